// Parsing half of sign1.h: structure, headers, algorithm, Sig_structure.
#include <set>
#include <string>
#include <string_view>

#include "cbor/decode.h"
#include "cbor/encode.h"
#include "cose/sign1.h"

namespace eml::cose {

namespace {

// Labels whose meaning we implement or that carry no processing rule, so a
// "crit" entry naming them is satisfied.
bool IsUnderstoodLabel(const cbor::Value& label) {
  StatusOr<int64_t> n = label.AsInt64();
  return n.ok() && (*n == kLabelAlg || *n == kLabelContentType || *n == kLabelKid);
}

StatusOr<Algorithm> AlgorithmFromHeader(const cbor::Value& protected_headers) {
  const cbor::Value* alg = protected_headers.FindInt(kLabelAlg);
  if (alg == nullptr) return InvalidArgumentError("cose: alg missing from protected header");
  StatusOr<int64_t> id = alg->AsInt64();
  if (!id.ok()) return UnsupportedError("cose: alg is not an integer");
  switch (*id) {
    case static_cast<int64_t>(Algorithm::kEdDSA):
    case static_cast<int64_t>(Algorithm::kES256):
    case static_cast<int64_t>(Algorithm::kES384):
      return static_cast<Algorithm>(*id);
    default:
      return UnsupportedError("cose: unsupported alg " + std::to_string(*id));
  }
}

// Labels are ints or text, whose encodings are equal exactly when the values
// are; a set of encodings makes each lookup logarithmic, so a hostile message
// with many labels cannot make the cross-bucket checks quadratic.
using LabelSet = std::set<Bytes>;

StatusOr<Bytes> EncodedLabel(const cbor::Value& label) {
  if (!label.is_integer() && !label.is_text()) {
    return InvalidArgumentError("cose: header label is not an int or text");
  }
  return cbor::Encode(label);
}

Status CheckCrit(const LabelSet& protected_labels, const cbor::Value& protected_headers,
                 const cbor::Value& unprotected_headers) {
  if (unprotected_headers.FindInt(kLabelCrit) != nullptr) {
    return InvalidArgumentError("cose: crit in unprotected header");
  }
  const cbor::Value* crit = protected_headers.FindInt(kLabelCrit);
  if (crit == nullptr) return OkStatus();
  if (!crit->is_array() || crit->array().empty()) {
    return InvalidArgumentError("cose: crit must be a non-empty array");
  }
  for (const cbor::Value& label : crit->array()) {
    if (!label.is_integer() && !label.is_text()) {
      return InvalidArgumentError("cose: crit entry is not a label");
    }
    if (!IsUnderstoodLabel(label)) {
      return UnsupportedError("cose: unknown or absent critical header");
    }
    ASSIGN_OR_RETURN(Bytes encoded, cbor::Encode(label));
    if (protected_labels.count(encoded) == 0) {
      return UnsupportedError("cose: unknown or absent critical header");
    }
  }
  return OkStatus();
}

Status CheckHeaders(const cbor::Value& protected_headers, const cbor::Value& unprotected_headers) {
  LabelSet protected_labels;
  for (const auto& [label, value] : protected_headers.map()) {
    ASSIGN_OR_RETURN(Bytes encoded, EncodedLabel(label));
    protected_labels.insert(std::move(encoded));
  }
  for (const auto& [label, value] : unprotected_headers.map()) {
    ASSIGN_OR_RETURN(Bytes encoded, EncodedLabel(label));
    if (protected_labels.count(encoded) != 0) {
      return InvalidArgumentError("cose: header label in both protected and unprotected");
    }
  }
  return CheckCrit(protected_labels, protected_headers, unprotected_headers);
}

StatusOr<cbor::Value> DecodeProtected(ByteSpan bytes, const cbor::DecodeOptions& options) {
  if (bytes.empty()) return cbor::Value::FromMap({});
  ASSIGN_OR_RETURN(cbor::Value headers, cbor::Decode(bytes, options));
  if (!headers.is_map()) return InvalidArgumentError("cose: protected header is not a map");
  return headers;
}

// Fills `out` from the four array elements.
Status ParseElements(const cbor::Array& items, const cbor::DecodeOptions& options,
                     Sign1Message* out) {
  if (items.size() != 4) return InvalidArgumentError("cose: Sign1 must have 4 elements");
  const cbor::Value& protected_bstr = items[0];
  const cbor::Value& unprotected = items[1];
  const cbor::Value& payload = items[2];
  const cbor::Value& signature = items[3];
  if (!protected_bstr.is_bytes()) return InvalidArgumentError("cose: protected is not a bstr");
  if (!unprotected.is_map()) return InvalidArgumentError("cose: unprotected is not a map");
  if (!payload.is_bytes() && !payload.is_null()) {
    return InvalidArgumentError("cose: payload is neither bstr nor nil");
  }
  if (!signature.is_bytes()) return InvalidArgumentError("cose: signature is not a bstr");

  out->protected_bytes = protected_bstr.bytes();
  ASSIGN_OR_RETURN(out->protected_headers, DecodeProtected(out->protected_bytes, options));
  out->unprotected_headers = unprotected;
  RETURN_IF_ERROR(CheckHeaders(out->protected_headers, out->unprotected_headers));
  ASSIGN_OR_RETURN(out->algorithm, AlgorithmFromHeader(out->protected_headers));
  if (payload.is_bytes()) out->payload = payload.bytes();
  out->signature = signature.bytes();
  if (out->signature.size() != SignatureSize(out->algorithm)) {
    return InvalidArgumentError("cose: signature size " + std::to_string(out->signature.size()) +
                                " wrong for alg");
  }
  return OkStatus();
}

}  // namespace

size_t SignatureSize(Algorithm alg) {
  return alg == Algorithm::kES384 ? 96 : 64;
}

StatusOr<Bytes> Sign1ToBeSigned(ByteSpan protected_bytes, ByteSpan external_aad,
                                ByteSpan payload) {
  // Sig_structure = ["Signature1", protected, external_aad, payload], written
  // directly (receipts are signed and verified on every request); the bytes
  // are cbor::Encode's for the same array (sign1_test compares them).
  constexpr std::string_view kContext = "Signature1";
  Bytes out;
  out.reserve(1 + 1 + kContext.size() + 3 * 9 + protected_bytes.size() + external_aad.size() +
              payload.size());
  cbor::AppendHead(4, 4, &out);
  cbor::AppendHead(3, kContext.size(), &out);
  out.insert(out.end(), kContext.begin(), kContext.end());
  for (ByteSpan part : {protected_bytes, external_aad, payload}) {
    cbor::AppendHead(2, part.size(), &out);
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

StatusOr<Sign1Message> ParseSign1(ByteSpan message, const Sign1ParseOptions& options) {
  if (message.size() > options.max_size) {
    return LimitExceededError("cose: message of " + std::to_string(message.size()) +
                              " bytes exceeds max_size " + std::to_string(options.max_size));
  }
  cbor::DecodeOptions cbor_options{.max_depth = 16,
                                   .max_size = options.max_size,
                                   .allow_indefinite = options.allow_indefinite};
  ASSIGN_OR_RETURN(cbor::Value root, cbor::Decode(message, cbor_options));
  Sign1Message out;
  const cbor::Value* array = &root;
  if (root.is_tag()) {
    if (root.tag() != kSign1Tag) {
      return InvalidArgumentError("cose: tag " + std::to_string(root.tag()) + " is not Sign1");
    }
    out.tagged = true;
    array = &root.tag_content();
  }
  if (!array->is_array()) return InvalidArgumentError("cose: Sign1 is not an array");
  RETURN_IF_ERROR(ParseElements(array->array(), cbor_options, &out));
  return out;
}

}  // namespace eml::cose
