#include "attest/nitro.h"

#include <span>
#include <string>

#include "cbor/decode.h"
#include "cbor/value.h"
#include "cose/sign1.h"
#include "crypto/ecdsa.h"
#include "crypto/x509.h"

namespace eml::attest {
namespace {

constexpr size_t kPcrSize = 48;

StatusOr<const cbor::Value*> Field(const cbor::Value& map, const char* name) {
  const cbor::Value* v = map.FindText(name);
  if (v == nullptr) return InvalidArgumentError(std::string("nitro: missing field ") + name);
  return v;
}

StatusOr<Bytes> BytesField(const cbor::Value& map, const char* name, size_t max_size) {
  ASSIGN_OR_RETURN(const cbor::Value* v, Field(map, name));
  if (!v->is_bytes()) return InvalidArgumentError(std::string("nitro: ") + name + " is not a bstr");
  if (v->bytes().size() > max_size) {
    return LimitExceededError(std::string("nitro: ") + name + " exceeds " + std::to_string(max_size));
  }
  return v->bytes();
}

// public_key, user_data and nonce are optional: absent, null, or a bstr.
StatusOr<std::optional<Bytes>> OptionalBytes(const cbor::Value& map, const char* name) {
  const cbor::Value* v = map.FindText(name);
  if (v == nullptr || v->is_null()) return std::optional<Bytes>();
  ASSIGN_OR_RETURN(Bytes b, BytesField(map, name, kNitroMaxOptionalFieldSize));
  return std::optional<Bytes>(std::move(b));
}

Status ParsePcrs(const cbor::Value& map, NitroDocument* out) {
  ASSIGN_OR_RETURN(const cbor::Value* pcrs, Field(map, "pcrs"));
  if (!pcrs->is_map()) return InvalidArgumentError("nitro: pcrs is not a map");
  if (pcrs->map().empty() || pcrs->map().size() > kNitroMaxPcrs) {
    return InvalidArgumentError("nitro: pcr count out of range");
  }
  for (const auto& [key, value] : pcrs->map()) {
    ASSIGN_OR_RETURN(int64_t index, key.AsInt64());
    if (index < 0 || index >= static_cast<int64_t>(kNitroMaxPcrs)) {
      return InvalidArgumentError("nitro: pcr index out of range");
    }
    if (!value.is_bytes() || value.bytes().size() != kPcrSize) {
      return InvalidArgumentError("nitro: pcr " + std::to_string(index) + " is not 48 bytes");
    }
    out->pcrs[static_cast<uint32_t>(index)] = value.bytes();
  }
  return OkStatus();
}

Status ParsePayload(const cbor::Value& map, NitroDocument* out) {
  if (!map.is_map()) return InvalidArgumentError("nitro: payload is not a map");
  ASSIGN_OR_RETURN(const cbor::Value* module_id, Field(map, "module_id"));
  ASSIGN_OR_RETURN(const cbor::Value* digest, Field(map, "digest"));
  ASSIGN_OR_RETURN(const cbor::Value* timestamp, Field(map, "timestamp"));
  if (!module_id->is_text() || module_id->text().empty() || module_id->text().size() > 256) {
    return InvalidArgumentError("nitro: module_id must be non-empty text of at most 256 bytes");
  }
  out->module_id = module_id->text();
  if (!digest->is_text() || digest->text() != "SHA384") {
    return UnsupportedError("nitro: digest must be SHA384");
  }
  ASSIGN_OR_RETURN(out->timestamp_ms, timestamp->AsInt64());
  if (out->timestamp_ms <= 0) return InvalidArgumentError("nitro: timestamp must be positive");
  RETURN_IF_ERROR(ParsePcrs(map, out));
  ASSIGN_OR_RETURN(out->certificate_der, BytesField(map, "certificate", crypto::kMaxCertificateSize));
  ASSIGN_OR_RETURN(const cbor::Value* bundle, Field(map, "cabundle"));
  if (!bundle->is_array() || bundle->array().empty() || bundle->array().size() > kNitroMaxCabundle) {
    return InvalidArgumentError("nitro: cabundle must hold 1..8 certificates");
  }
  for (const cbor::Value& cert : bundle->array()) {
    if (!cert.is_bytes() || cert.bytes().size() > crypto::kMaxCertificateSize) {
      return InvalidArgumentError("nitro: cabundle entry is not a certificate-sized bstr");
    }
    out->cabundle_der.push_back(cert.bytes());
  }
  ASSIGN_OR_RETURN(out->public_key, OptionalBytes(map, "public_key"));
  ASSIGN_OR_RETURN(out->user_data, OptionalBytes(map, "user_data"));
  ASSIGN_OR_RETURN(out->nonce, OptionalBytes(map, "nonce"));
  return OkStatus();
}

struct Parsed {
  cose::Sign1Message message;
  NitroDocument document;
};

StatusOr<Parsed> Parse(ByteSpan document) {
  if (document.size() > kNitroMaxDocumentSize) return LimitExceededError("nitro: document too large");
  // Recent documents use an indefinite-length payload map.
  const cose::Sign1ParseOptions options{.max_size = kNitroMaxDocumentSize, .allow_indefinite = true};
  Parsed parsed;
  ASSIGN_OR_RETURN(parsed.message, cose::ParseSign1(document, options));
  if (parsed.message.algorithm != cose::Algorithm::kES384) {
    return UnsupportedError("nitro: COSE algorithm must be ES384");
  }
  if (!parsed.message.payload) return InvalidArgumentError("nitro: payload is detached");
  ASSIGN_OR_RETURN(cbor::Value payload,
                   cbor::Decode(*parsed.message.payload, {.allow_indefinite = true}));
  RETURN_IF_ERROR(ParsePayload(payload, &parsed.document));
  return parsed;
}

}  // namespace

StatusOr<NitroDocument> ParseNitroDocument(ByteSpan document) {
  ASSIGN_OR_RETURN(Parsed parsed, Parse(document));
  return std::move(parsed.document);
}

StatusOr<NitroDocument> VerifyNitroDocument(ByteSpan document, ByteSpan pinned_root_der) {
  ASSIGN_OR_RETURN(Parsed parsed, Parse(document));
  const NitroDocument& doc = parsed.document;
  const Bytes root(pinned_root_der.begin(), pinned_root_der.end());
  if (doc.cabundle_der.front() != root) {
    return VerificationFailedError("nitro: cabundle[0] is not the pinned root");
  }
  const std::span<const Bytes> intermediates(doc.cabundle_der.data() + 1, doc.cabundle_der.size() - 1);
  ASSIGN_OR_RETURN(crypto::VerifiedChain chain,
                   crypto::VerifyCertificateChain(doc.certificate_der, intermediates,
                                                  std::span<const Bytes>(&root, 1),
                                                  doc.timestamp_ms / 1000));
  ASSIGN_OR_RETURN(crypto::EcdsaPublicKey key, crypto::EcdsaPublicKey::FromSpkiDer(chain.leaf_spki_der));
  if (key.curve() != crypto::EcCurve::kP384) return VerificationFailedError("nitro: leaf key is not P-384");
  RETURN_IF_ERROR(cose::VerifySign1(parsed.message, key));
  return std::move(parsed.document);
}

}  // namespace eml::attest
