#include "attest/nitro.h"

#include <algorithm>
#include <span>
#include <string>

#include "cbor/decode.h"
#include "cbor/value.h"
#include "core/encoding.h"
#include "cose/sign1.h"
#include "crypto/ecdsa.h"
#include "crypto/hash.h"
#include "crypto/x509.h"

namespace eml::attest {
namespace {

constexpr size_t kPcrSize = 48;
constexpr size_t kMaxModuleIdSize = 256;
constexpr int64_t kMaxUnixSeconds = 253402300799;  // 9999-12-31T23:59:59Z

// ---- Payload fields --------------------------------------------------------

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

Status ParseCabundle(const cbor::Value& map, NitroDocument* out) {
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
  return OkStatus();
}

Status ParsePayload(const cbor::Value& map, NitroDocument* out) {
  if (!map.is_map()) return InvalidArgumentError("nitro: payload is not a map");
  ASSIGN_OR_RETURN(const cbor::Value* module_id, Field(map, "module_id"));
  ASSIGN_OR_RETURN(const cbor::Value* digest, Field(map, "digest"));
  ASSIGN_OR_RETURN(const cbor::Value* timestamp, Field(map, "timestamp"));
  if (!module_id->is_text() || module_id->text().empty() ||
      module_id->text().size() > kMaxModuleIdSize) {
    return InvalidArgumentError("nitro: module_id must be non-empty text of at most 256 bytes");
  }
  out->module_id = module_id->text();
  if (!digest->is_text() || digest->text() != "SHA384") {
    return UnsupportedError("nitro: digest must be SHA384");
  }
  if (!timestamp->is_unsigned()) return InvalidArgumentError("nitro: timestamp is not a uint");
  ASSIGN_OR_RETURN(out->timestamp_ms, timestamp->AsInt64());
  if (out->timestamp_ms <= 0) return InvalidArgumentError("nitro: timestamp must be positive");
  RETURN_IF_ERROR(ParsePcrs(map, out));
  ASSIGN_OR_RETURN(out->certificate_der, BytesField(map, "certificate", crypto::kMaxCertificateSize));
  RETURN_IF_ERROR(ParseCabundle(map, out));
  ASSIGN_OR_RETURN(out->public_key, OptionalBytes(map, "public_key"));
  ASSIGN_OR_RETURN(out->user_data, OptionalBytes(map, "user_data"));
  ASSIGN_OR_RETURN(out->nonce, OptionalBytes(map, "nonce"));
  return OkStatus();
}

// ---- The two decoding steps --------------------------------------------------

StatusOr<cose::Sign1Message> DecodeCose(ByteSpan document) {
  if (document.size() > kNitroMaxDocumentSize) return LimitExceededError("nitro: document too large");
  // Some NSM versions use indefinite-length CBOR (the payload map).
  const cose::Sign1ParseOptions options{.max_size = kNitroMaxDocumentSize, .allow_indefinite = true};
  ASSIGN_OR_RETURN(cose::Sign1Message message, cose::ParseSign1(document, options));
  if (message.algorithm != cose::Algorithm::kES384) {
    return UnsupportedError("nitro: COSE algorithm must be ES384");
  }
  if (!message.payload) return InvalidArgumentError("nitro: payload is detached");
  return message;
}

StatusOr<NitroDocument> DecodePayload(const cose::Sign1Message& message) {
  ASSIGN_OR_RETURN(cbor::Value payload,
                   cbor::Decode(*message.payload, {.max_size = kNitroMaxDocumentSize,
                                                   .allow_indefinite = true}));
  NitroDocument document;
  RETURN_IF_ERROR(ParsePayload(payload, &document));
  return document;
}

// ---- Checks --------------------------------------------------------------------

StatusOr<size_t> FindPinnedRoot(const NitroDocument& doc, const std::vector<ByteSpan>& roots) {
  const Bytes& first = doc.cabundle_der.front();
  for (size_t i = 0; i < roots.size(); ++i) {
    if (std::equal(first.begin(), first.end(), roots[i].begin(), roots[i].end())) return i;
  }
  return VerificationFailedError("cabundle[0] is none of the " + std::to_string(roots.size()) +
                                 " pinned roots");
}

Status CheckSignature(const cose::Sign1Message& message, const NitroDocument& doc) {
  ASSIGN_OR_RETURN(crypto::CertificateInfo leaf, crypto::ParseCertificate(doc.certificate_der));
  if (leaf.is_ca) return VerificationFailedError("nitro: the signing certificate is a CA");
  ASSIGN_OR_RETURN(crypto::EcdsaPublicKey key, crypto::EcdsaPublicKey::FromSpkiDer(leaf.spki_der));
  if (key.curve() != crypto::EcCurve::kP384) {
    return VerificationFailedError("nitro: leaf key is not P-384");
  }
  return cose::VerifySign1(message, key);
}

StatusOr<size_t> CheckChain(const NitroDocument& doc, ByteSpan root, int64_t at) {
  const std::span<const Bytes> intermediates(doc.cabundle_der.data() + 1, doc.cabundle_der.size() - 1);
  const Bytes anchor(root.begin(), root.end());
  ASSIGN_OR_RETURN(crypto::VerifiedChain chain,
                   crypto::VerifyCertificateChain(doc.certificate_der, intermediates,
                                                  std::span<const Bytes>(&anchor, 1), at));
  return chain.chain_length;
}

// ---- CABUNDLE_ORDER: issuer and subject names from DER ----------------------------

// One DER TLV: the tag, the whole encoding and its contents.
struct Tlv {
  uint8_t tag = 0;
  ByteSpan whole;
  ByteSpan contents;
};

// Reads one TLV with a definite length of at most four length bytes.
StatusOr<Tlv> ReadTlv(ByteReader* r, uint8_t want_tag) {
  const ByteSpan start = r->rest();
  Tlv t;
  uint8_t len_byte = 0;
  RETURN_IF_ERROR(r->ReadU8(&t.tag));
  RETURN_IF_ERROR(r->ReadU8(&len_byte));
  size_t len = len_byte;
  if (len_byte >= 0x80) {
    const size_t count = len_byte & 0x7f;
    if (count == 0 || count > 4) return InvalidArgumentError("nitro: unsupported DER length");
    len = 0;
    for (size_t i = 0; i < count; ++i) {
      uint8_t b = 0;
      RETURN_IF_ERROR(r->ReadU8(&b));
      len = (len << 8) | b;
    }
  }
  if (t.tag != want_tag) return InvalidArgumentError("nitro: unexpected DER tag in a certificate");
  RETURN_IF_ERROR(r->ReadSpan(len, &t.contents));
  t.whole = start.first(start.size() - r->rest().size());
  return t;
}

struct CertNames {
  Bytes issuer;   // DER Name
  Bytes subject;  // DER Name
};

// Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL,
// serialNumber, signature, issuer, validity, subject, ... }, ... } (RFC 5280).
StatusOr<CertNames> ReadCertNames(ByteSpan der) {
  ByteReader outer(der);
  ASSIGN_OR_RETURN(Tlv cert, ReadTlv(&outer, 0x30));
  ByteReader cert_reader(cert.contents);
  ASSIGN_OR_RETURN(Tlv tbs, ReadTlv(&cert_reader, 0x30));
  ByteReader r(tbs.contents);
  if (!r.empty() && r.rest()[0] == 0xa0) RETURN_IF_ERROR(ReadTlv(&r, 0xa0).status());
  RETURN_IF_ERROR(ReadTlv(&r, 0x02).status());  // serialNumber
  RETURN_IF_ERROR(ReadTlv(&r, 0x30).status());  // signature
  ASSIGN_OR_RETURN(Tlv issuer, ReadTlv(&r, 0x30));
  RETURN_IF_ERROR(ReadTlv(&r, 0x30).status());  // validity
  ASSIGN_OR_RETURN(Tlv subject, ReadTlv(&r, 0x30));
  return CertNames{Bytes(issuer.whole.begin(), issuer.whole.end()),
                   Bytes(subject.whole.begin(), subject.whole.end())};
}

Status CheckCabundleOrder(const NitroDocument& doc) {
  const size_t n = doc.cabundle_der.size();
  if (n == 0 || n > kNitroMaxCabundle) return VerificationFailedError("cabundle must hold 1..8 certificates");
  std::vector<CertNames> names;
  for (size_t i = 0; i < n; ++i) {
    StatusOr<CertNames> parsed = ReadCertNames(doc.cabundle_der[i]);
    if (!parsed.ok()) return VerificationFailedError("cabundle[" + std::to_string(i) + "] has no readable names");
    names.push_back(*std::move(parsed));
  }
  if (names[0].issuer != names[0].subject) {
    return VerificationFailedError("cabundle[0] is not a self-issued root");
  }
  for (size_t i = 1; i < n; ++i) {
    StatusOr<crypto::CertificateInfo> info = crypto::ParseCertificate(doc.cabundle_der[i]);
    if (!info.ok() || !info->is_ca) {
      return VerificationFailedError("cabundle[" + std::to_string(i) + "] is not a CA certificate");
    }
    if (names[i].issuer != names[i - 1].subject) {
      return VerificationFailedError("cabundle[" + std::to_string(i) + "] is not issued by cabundle[" +
                                     std::to_string(i - 1) + "]");
    }
    for (size_t j = 0; j < i; ++j) {
      if (names[i].subject == names[j].subject) {
        return VerificationFailedError("cabundle[" + std::to_string(i) + "] repeats the subject of cabundle[" +
                                       std::to_string(j) + "]");
      }
    }
  }
  StatusOr<CertNames> leaf = ReadCertNames(doc.certificate_der);
  if (!leaf.ok() || leaf->issuer != names[n - 1].subject) {
    return VerificationFailedError("the certificate is not issued by cabundle[" + std::to_string(n - 1) + "]");
  }
  return OkStatus();
}

// ---- NOT_DEBUG_MODE --------------------------------------------------------------

bool IsZero(const Bytes& b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
}

// OK with a detail, or why not.
StatusOr<std::string> CheckNotDebugMode(const NitroDocument& doc, bool allow_debug) {
  for (uint32_t i : {0u, 1u, 2u}) {
    if (doc.pcrs.count(i) == 0) return VerificationFailedError("PCR" + std::to_string(i) + " is missing");
  }
  if (!IsZero(doc.pcrs.at(0)) || !IsZero(doc.pcrs.at(1)) || !IsZero(doc.pcrs.at(2))) {
    return std::string("PCR0..2 are not all zero: not a debug-mode enclave");
  }
  if (!allow_debug) {
    return VerificationFailedError("PCR0, PCR1 and PCR2 are all zero: a debug-mode enclave "
                                   "(its memory is readable by the host)");
  }
  return std::string("debug-mode document (PCR0..2 all zero) accepted: the options allow debug");
}

Status CheckNotFuture(int64_t timestamp_ms, int64_t now_ms, int64_t skew_ms) {
  int64_t ahead = 0;
  if (__builtin_sub_overflow(timestamp_ms, now_ms, &ahead) || ahead > skew_ms) {
    return VerificationFailedError("timestamp " + FormatUnixMillis(timestamp_ms) +
                                   " is more than " + std::to_string(skew_ms) +
                                   " ms after now " + FormatUnixMillis(now_ms));
  }
  return OkStatus();
}

Status CheckMaxAge(int64_t timestamp_ms, int64_t now_ms, int64_t max_age_ms) {
  int64_t age = 0;
  if (__builtin_sub_overflow(now_ms, timestamp_ms, &age) || age > max_age_ms) {
    return VerificationFailedError("document from " + FormatUnixMillis(timestamp_ms) +
                                   " is older than " + std::to_string(max_age_ms) +
                                   " ms at now " + FormatUnixMillis(now_ms));
  }
  return OkStatus();
}

Status CheckOptions(const NitroVerifyOptions& options) {
  if (options.pinned_roots.empty() || options.pinned_roots.size() > kNitroMaxPinnedRoots) {
    return InvalidArgumentError("nitro: 1..16 pinned roots are required");
  }
  if (options.chain_time_unix_seconds.has_value() &&
      (*options.chain_time_unix_seconds < 0 || *options.chain_time_unix_seconds > kMaxUnixSeconds)) {
    return InvalidArgumentError("nitro: chain time must be within 1970..9999");
  }
  if (options.max_future_skew_millis < 0 ||
      (options.max_age_millis.has_value() && *options.max_age_millis < 0)) {
    return InvalidArgumentError("nitro: negative time limit");
  }
  if (options.max_age_millis.has_value() && options.clock == nullptr) {
    return InvalidArgumentError("nitro: a maximum age needs a clock (without one the document "
                                "would be judged as archived evidence)");
  }
  return OkStatus();
}

// Every check VerifyNitroEvidence will list for these options, in order.
std::vector<std::string_view> PlannedChecks(const NitroVerifyOptions& options) {
  std::vector<std::string_view> plan = {kCheckCoseDecode,    kCheckPayloadFields,
                                        kCheckRootPinned,    kCheckSignature,
                                        kCheckChainValidAtTime, kCheckCabundleOrder,
                                        kCheckNotDebugMode};
  if (options.clock != nullptr) {
    plan.push_back(kCheckNotFuture);
    if (options.max_age_millis.has_value()) plan.push_back(kCheckMaxAge);
  }
  return plan;
}

// Lists the planned checks after the last one reported as NOT_RUN.
void NotRunRest(const NitroVerifyOptions& options, std::string_view failed, EvidenceReport* report) {
  const std::vector<std::string_view> plan = PlannedChecks(options);
  for (size_t i = report->checks.size(); i < plan.size(); ++i) report->NotRun(plan[i], failed);
}

std::string RootDetail(size_t index, ByteSpan root) {
  return "cabundle[0] is pinned root #" + std::to_string(index) + " (SHA-256 " +
         HexEncode(crypto::Sha256(root)) + ")";
}

// NOT_FUTURE and, with a maximum age, MAX_AGE against `now` from options.clock.
void RunFreshnessChecks(int64_t timestamp_ms, int64_t now, const NitroVerifyOptions& options,
                        EvidenceReport* report) {
  const Status future = CheckNotFuture(timestamp_ms, now, options.max_future_skew_millis);
  if (future.ok()) {
    report->Pass(kCheckNotFuture, "timestamp " + FormatUnixMillis(timestamp_ms) +
                                      " is not after now + " +
                                      std::to_string(options.max_future_skew_millis) + " ms");
  } else {
    report->Fail(kCheckNotFuture, future);
  }
  if (!options.max_age_millis) return;
  const Status age = CheckMaxAge(timestamp_ms, now, *options.max_age_millis);
  if (age.ok()) {
    report->Pass(kCheckMaxAge, "at most " + std::to_string(*options.max_age_millis) + " ms old");
  } else {
    report->Fail(kCheckMaxAge, age);
  }
}

// Given time; else, with a clock, the later of now and the document's time
// (live: never earlier than now); else the document's time (archived).
int64_t ChainTime(const NitroDocument& doc, const NitroVerifyOptions& options, int64_t now_ms,
                  std::string* source) {
  if (options.chain_time_unix_seconds) {
    *source = "given time";
    return *options.chain_time_unix_seconds;
  }
  const int64_t doc_seconds = doc.timestamp_ms / 1000;
  if (options.clock == nullptr) {
    *source = "document time";
    return doc_seconds;
  }
  const int64_t now_seconds = std::min(now_ms / 1000, kMaxUnixSeconds);
  if (now_seconds >= doc_seconds) {
    *source = "now";
    return now_seconds;
  }
  *source = "document time, now is earlier";
  return doc_seconds;
}

// The checks that need a parsed document: ROOT_PINNED onwards.
void VerifyParsed(const cose::Sign1Message& message, const NitroVerifyOptions& options,
                  NitroVerification* out) {
  const NitroDocument& doc = *out->document;
  EvidenceReport& report = out->report;
  StatusOr<size_t> root = FindPinnedRoot(doc, options.pinned_roots);
  if (root.ok()) {
    out->matched_root = *root;
    report.Pass(kCheckRootPinned, RootDetail(*root, options.pinned_roots[*root]));
  } else {
    report.Fail(kCheckRootPinned, root.status());
  }
  const Status signature = CheckSignature(message, doc);
  if (signature.ok()) {
    report.Pass(kCheckSignature, "ES384 signature by the leaf certificate's P-384 key");
  } else {
    report.Fail(kCheckSignature, signature);
  }
  const int64_t now = options.clock != nullptr ? options.clock->NowUnixMillis() : 0;
  std::string source;
  out->chain_time_unix_seconds = ChainTime(doc, options, now, &source);
  const std::string at = FormatUnixMillis(out->chain_time_unix_seconds * 1000) + " (" + source + ")";
  if (!root.ok() || !signature.ok()) {
    report.NotRun(kCheckChainValidAtTime, root.ok() ? kCheckSignature : kCheckRootPinned);
  } else if (StatusOr<size_t> length = CheckChain(doc, options.pinned_roots[*root],
                                                  out->chain_time_unix_seconds);
             length.ok()) {
    report.Pass(kCheckChainValidAtTime,
                std::to_string(*length) + "-certificate chain valid at " + at);
  } else {
    report.Fail(kCheckChainValidAtTime, Status(length.status().code(),
                                               length.status().message() + " at " + at));
  }
  if (const Status order = CheckCabundleOrder(doc); order.ok()) {
    report.Pass(kCheckCabundleOrder, "root first, " + std::to_string(doc.cabundle_der.size() - 1) +
                                         " CA certificate(s) each issued by the previous one, "
                                         "the leaf issued by the last");
  } else {
    report.Fail(kCheckCabundleOrder, order);
  }
  if (StatusOr<std::string> debug = CheckNotDebugMode(doc, options.allow_debug); debug.ok()) {
    report.Pass(kCheckNotDebugMode, *debug);
  } else {
    report.Fail(kCheckNotDebugMode, debug.status());
  }
  if (options.clock == nullptr) return;
  if (!signature.ok()) return NotRunRest(options, kCheckSignature, &report);
  RunFreshnessChecks(doc.timestamp_ms, now, options, &report);
}

}  // namespace

StatusOr<NitroDocument> ParseNitroDocument(ByteSpan document) {
  ASSIGN_OR_RETURN(cose::Sign1Message message, DecodeCose(document));
  return DecodePayload(message);
}

StatusOr<NitroVerification> VerifyNitroEvidence(ByteSpan document,
                                                const NitroVerifyOptions& options) {
  RETURN_IF_ERROR(CheckOptions(options));
  NitroVerification out;
  StatusOr<cose::Sign1Message> message = DecodeCose(document);
  if (!message.ok()) {
    out.report.Fail(kCheckCoseDecode, message.status());
    NotRunRest(options, kCheckCoseDecode, &out.report);
    return out;
  }
  out.report.Pass(kCheckCoseDecode, std::string(message->tagged ? "tagged" : "untagged") +
                                        " COSE_Sign1, ES384, " +
                                        std::to_string(message->payload->size()) + "-byte payload");
  StatusOr<NitroDocument> parsed = DecodePayload(*message);
  if (!parsed.ok()) {
    out.report.Fail(kCheckPayloadFields, parsed.status());
    NotRunRest(options, kCheckPayloadFields, &out.report);
    return out;
  }
  out.report.Pass(kCheckPayloadFields, std::to_string(parsed->pcrs.size()) + " PCRs, " +
                                           std::to_string(parsed->cabundle_der.size()) +
                                           " CA certificates, fields within limits");
  out.document = *std::move(parsed);
  VerifyParsed(*message, options, &out);
  return out;
}

StatusOr<NitroDocument> VerifyNitroDocument(ByteSpan document, ByteSpan pinned_root_der) {
  ASSIGN_OR_RETURN(NitroVerification result,
                   VerifyNitroEvidence(document, {.pinned_roots = {pinned_root_der}}));
  RETURN_IF_ERROR(result.report.ToStatus());
  return *std::move(result.document);
}

}  // namespace eml::attest
