// TDX quote parsing (v4 and v5) and the strict PEM chain reader; layout in
// docs/attestation-tdx.md, "Quote layout".
#include <algorithm>
#include <string>

#include "attest/tdx.h"
#include "attest/tdx_internal.h"
#include "core/encoding.h"
#include "crypto/x509.h"

namespace eml::attest {
namespace {

constexpr uint16_t kCertDataPckChainPem = 5;
constexpr uint16_t kCertDataQeReport = 6;
constexpr size_t kPckChainLength = 3;  // leaf, Platform/Processor CA, root

Status Malformed(const std::string& what) { return InvalidArgumentError("tdx quote: " + what); }

// Reads exactly N bytes into an array (the reader advances only on success).
template <size_t N>
Status ReadArray(ByteReader* r, std::array<uint8_t, N>* out) {
  ByteSpan span;
  RETURN_IF_ERROR(r->ReadSpan(N, &span));
  std::copy(span.begin(), span.end(), out->begin());
  return OkStatus();
}

// Wraps "need N bytes" from ByteReader with the structure that ended early.
Status Truncated(const Status& status, std::string_view what) {
  if (status.ok()) return status;
  return OutOfRangeError("tdx quote: " + std::string(what) + " truncated (" + status.message() + ")");
}

Status ReadHeader(ByteReader* r, TdxQuoteHeader* h) {
  Status s = r->ReadU16Le(&h->version);
  if (s.ok()) s = r->ReadU16Le(&h->att_key_type);
  if (s.ok()) s = r->ReadU32Le(&h->tee_type);
  if (s.ok()) s = r->ReadU16Le(&h->reserved1);
  if (s.ok()) s = r->ReadU16Le(&h->reserved2);
  if (s.ok()) s = ReadArray(r, &h->qe_vendor_id);
  if (s.ok()) s = ReadArray(r, &h->user_data);
  RETURN_IF_ERROR(Truncated(s, "header"));
  if (h->version != 4 && h->version != 5) {
    return UnsupportedError("tdx quote: version " + std::to_string(h->version) + " (need 4 or 5)");
  }
  if (h->att_key_type != kTdxAttestationKeyTypeEcdsaP256) {
    return UnsupportedError("tdx quote: attestation key type " + std::to_string(h->att_key_type) +
                            " (need 2, ECDSA-256 with P-256)");
  }
  if (h->tee_type != kTdxTeeType) {
    return UnsupportedError("tdx quote: tee type " + std::to_string(h->tee_type) + " (need 0x81, TDX)");
  }
  if (h->qe_vendor_id != kIntelQeVendorId) {
    return UnsupportedError("tdx quote: QE vendor ID is not Intel's");
  }
  return OkStatus();
}

Status ParseBody(ByteSpan bytes, TdReportBody* b) {
  ByteReader r(bytes);
  Status s = ReadArray(&r, &b->tee_tcb_svn);
  if (s.ok()) s = ReadArray(&r, &b->mr_seam);
  if (s.ok()) s = ReadArray(&r, &b->mr_signer_seam);
  if (s.ok()) s = r.ReadU64Le(&b->seam_attributes);
  if (s.ok()) s = r.ReadU64Le(&b->td_attributes);
  if (s.ok()) s = r.ReadU64Le(&b->xfam);
  if (s.ok()) s = ReadArray(&r, &b->mr_td);
  if (s.ok()) s = ReadArray(&r, &b->mr_config_id);
  if (s.ok()) s = ReadArray(&r, &b->mr_owner);
  if (s.ok()) s = ReadArray(&r, &b->mr_owner_config);
  for (TdxMeasurement& rtmr : b->rtmr) {
    if (s.ok()) s = ReadArray(&r, &rtmr);
  }
  if (s.ok()) s = ReadArray(&r, &b->report_data);
  if (s.ok() && bytes.size() == kTdReport15Size) {
    b->tee_tcb_svn_2.emplace();
    b->mr_service_td.emplace();
    s = ReadArray(&r, &*b->tee_tcb_svn_2);
    if (s.ok()) s = ReadArray(&r, &*b->mr_service_td);
  }
  RETURN_IF_ERROR(Truncated(s, "TD report body"));
  return r.ExpectEmpty("TD report body");
}

// v5 only: the body descriptor (type u16, size u32) and the size rule.
StatusOr<size_t> ReadBodyDescriptor(ByteReader* r, uint16_t* body_type) {
  uint32_t size = 0;
  Status s = r->ReadU16Le(body_type);
  if (s.ok()) s = r->ReadU32Le(&size);
  RETURN_IF_ERROR(Truncated(s, "body descriptor"));
  if (*body_type == 1) return UnsupportedError("tdx quote: body type 1 (SGX enclave report)");
  if (*body_type != kTdxBodyTypeTd10 && *body_type != kTdxBodyTypeTd15) {
    return Malformed("unknown body type " + std::to_string(*body_type));
  }
  const size_t want = *body_type == kTdxBodyTypeTd10 ? kTdReport10Size : kTdReport15Size;
  if (size != want) {
    return Malformed("body type " + std::to_string(*body_type) + " needs size " +
                     std::to_string(want) + ", got " + std::to_string(size));
  }
  return want;
}

Status ParseSgxReport(ByteSpan bytes, SgxReportBody* out) {
  ByteReader r(bytes);
  uint16_t svn = 0;
  Status s = ReadArray(&r, &out->cpu_svn);
  if (s.ok()) s = r.ReadU32Le(&out->misc_select);
  if (s.ok()) s = r.Skip(28);  // reserved, ISVEXTPRODID
  if (s.ok()) s = ReadArray(&r, &out->attributes);
  if (s.ok()) s = ReadArray(&r, &out->mr_enclave);
  if (s.ok()) s = r.Skip(32);  // reserved
  if (s.ok()) s = ReadArray(&r, &out->mr_signer);
  if (s.ok()) s = r.Skip(96);  // reserved, CONFIGID
  if (s.ok()) s = r.ReadU16Le(&out->isv_prod_id);
  if (s.ok()) s = r.ReadU16Le(&svn);
  if (s.ok()) s = r.Skip(60);  // CONFIGSVN, reserved, ISVFAMILYID
  if (s.ok()) s = ReadArray(&r, &out->report_data);
  RETURN_IF_ERROR(Truncated(s, "QE report"));
  out->isv_svn = svn;
  return r.ExpectEmpty("QE report");
}

// Certification data type 6: QE report, its signature, QE auth data and the
// nested certification data (type 5, the PCK chain).
Status ParseQeReportCertData(ByteSpan bytes, TdxQuote* q) {
  ByteReader r(bytes);
  ByteSpan report;
  ByteSpan auth;
  ByteSpan pem;
  uint16_t auth_size = 0;
  uint16_t inner_type = 0;
  uint32_t inner_size = 0;
  Status s = r.ReadSpan(kSgxReportSize, &report);
  if (s.ok()) s = ReadArray(&r, &q->qe_report_signature);
  if (s.ok()) s = r.ReadU16Le(&auth_size);
  if (s.ok()) s = r.ReadSpan(auth_size, &auth);
  if (s.ok()) s = r.ReadU16Le(&inner_type);
  if (s.ok()) s = r.ReadU32Le(&inner_size);
  RETURN_IF_ERROR(Truncated(s, "QE report certification data"));
  if (inner_type != kCertDataPckChainPem) {
    return UnsupportedError("tdx quote: inner certification data type " +
                            std::to_string(inner_type) + " (need 5, PCK chain PEM)");
  }
  RETURN_IF_ERROR(Truncated(r.ReadSpan(inner_size, &pem), "PCK certificate chain"));
  RETURN_IF_ERROR(r.ExpectEmpty("QE report certification data"));
  q->qe_report_raw.assign(report.begin(), report.end());
  RETURN_IF_ERROR(ParseSgxReport(report, &q->qe_report));
  q->qe_auth_data.assign(auth.begin(), auth.end());
  ASSIGN_OR_RETURN(q->pck_chain_der, tdx_internal::ParsePemChain(AsStringView(pem),
                                                                 /*allow_nul_padding=*/true));
  if (q->pck_chain_der.size() != kPckChainLength) {
    return Malformed("PCK chain has " + std::to_string(q->pck_chain_der.size()) +
                     " certificates (need 3: leaf, CA, root)");
  }
  return OkStatus();
}

Status ParseSignatureData(ByteSpan bytes, TdxQuote* q) {
  ByteReader r(bytes);
  uint16_t cert_type = 0;
  uint32_t cert_size = 0;
  ByteSpan cert_data;
  Status s = ReadArray(&r, &q->quote_signature);
  if (s.ok()) s = ReadArray(&r, &q->attestation_key);
  if (s.ok()) s = r.ReadU16Le(&cert_type);
  if (s.ok()) s = r.ReadU32Le(&cert_size);
  RETURN_IF_ERROR(Truncated(s, "signature data"));
  if (cert_type != kCertDataQeReport) {
    return UnsupportedError("tdx quote: certification data type " + std::to_string(cert_type) +
                            " (need 6, QE report certification data)");
  }
  RETURN_IF_ERROR(Truncated(r.ReadSpan(cert_size, &cert_data), "certification data"));
  RETURN_IF_ERROR(r.ExpectEmpty("signature data"));
  return ParseQeReportCertData(cert_data, q);
}

Status CheckTrailing(ByteSpan rest, TdxQuote* q) {
  if (rest.size() > kTdxMaxTrailingZeros) {
    return LimitExceededError("tdx quote: more than " + std::to_string(kTdxMaxTrailingZeros) +
                              " bytes after the signature data");
  }
  if (std::any_of(rest.begin(), rest.end(), [](uint8_t b) { return b != 0; })) {
    return Malformed("non-zero bytes after the signature data");
  }
  q->trailing_zeros = rest.size();
  return OkStatus();
}

// Lines of one base64 block up to (not including) the END line.
StatusOr<Bytes> DecodePemBody(std::string_view body) {
  if (body.empty() || body.back() != '\n') {
    return InvalidArgumentError("tdx pem: END line does not start a line");
  }
  std::string b64;
  b64.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\r' && (i + 1 == body.size() || body[i + 1] != '\n')) {
      return InvalidArgumentError("tdx pem: stray carriage return");
    }
    if (body[i] != '\n' && body[i] != '\r') b64.push_back(body[i]);
  }
  StatusOr<Bytes> der = Base64Decode(b64);
  if (!der.ok()) return InvalidArgumentError("tdx pem: certificate is not valid base64");
  return der;
}

// Skips "\n" and "\r\n" line breaks.
void SkipLineBreaks(std::string_view* text) {
  while (!text->empty()) {
    if (text->front() == '\n') {
      text->remove_prefix(1);
    } else if (text->size() >= 2 && (*text)[0] == '\r' && (*text)[1] == '\n') {
      text->remove_prefix(2);
    } else {
      return;
    }
  }
}

bool ConsumeLine(std::string_view* text, std::string_view line) {
  if (text->substr(0, line.size()) != line) return false;
  std::string_view rest = text->substr(line.size());
  if (rest.substr(0, 1) == "\n") {
    rest.remove_prefix(1);
  } else if (rest.substr(0, 2) == "\r\n") {
    rest.remove_prefix(2);
  } else if (!rest.empty() && rest.front() != '\0') {
    return false;  // the END line of the last block may end the text or meet the NUL padding
  }
  *text = rest;
  return true;
}

}  // namespace

namespace tdx_internal {

StatusOr<std::vector<Bytes>> ParsePemChain(std::string_view pem, bool allow_nul_padding) {
  static constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  static constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  std::vector<Bytes> certs;
  std::string_view text = pem;
  while (true) {
    SkipLineBreaks(&text);
    if (text.empty() || text.front() == '\0') break;
    if (certs.size() == kMaxPemCertificates) {
      return LimitExceededError("tdx pem: more than " + std::to_string(kMaxPemCertificates) +
                                " certificates");
    }
    if (!ConsumeLine(&text, kBegin)) return InvalidArgumentError("tdx pem: expected a BEGIN line");
    const size_t end = text.find(kEnd);
    if (end == std::string_view::npos) return InvalidArgumentError("tdx pem: missing END line");
    ASSIGN_OR_RETURN(Bytes der, DecodePemBody(text.substr(0, end)));
    text.remove_prefix(end);
    if (!ConsumeLine(&text, kEnd)) return InvalidArgumentError("tdx pem: bad END line");
    RETURN_IF_ERROR(crypto::ParseCertificate(der).status());
    certs.push_back(std::move(der));
  }
  if (!text.empty() &&
      (!allow_nul_padding || text.find_first_not_of('\0') != std::string_view::npos)) {
    return InvalidArgumentError("tdx pem: unexpected bytes after the last certificate");
  }
  if (certs.empty()) return InvalidArgumentError("tdx pem: no certificate");
  return certs;
}

}  // namespace tdx_internal

StatusOr<TdxQuote> ParseTdxQuote(ByteSpan quote) {
  if (quote.size() > kTdxMaxQuoteSize) {
    return LimitExceededError("tdx quote: larger than " + std::to_string(kTdxMaxQuoteSize) + " bytes");
  }
  ByteReader r(quote);
  TdxQuote q;
  RETURN_IF_ERROR(ReadHeader(&r, &q.header));
  size_t body_size = kTdReport10Size;
  if (q.header.version == 5) {
    ASSIGN_OR_RETURN(body_size, ReadBodyDescriptor(&r, &q.body_type));
  }
  ByteSpan body;
  RETURN_IF_ERROR(Truncated(r.ReadSpan(body_size, &body), "TD report body"));
  RETURN_IF_ERROR(ParseBody(body, &q.body));
  const size_t signed_size = quote.size() - r.remaining();
  q.signed_data.assign(quote.begin(), quote.begin() + static_cast<ptrdiff_t>(signed_size));
  uint32_t sig_size = 0;
  ByteSpan sig_data;
  RETURN_IF_ERROR(Truncated(r.ReadU32Le(&sig_size), "signature data size"));
  RETURN_IF_ERROR(Truncated(r.ReadSpan(sig_size, &sig_data), "signature data"));
  RETURN_IF_ERROR(ParseSignatureData(sig_data, &q));
  RETURN_IF_ERROR(CheckTrailing(r.rest(), &q));
  return q;
}

}  // namespace eml::attest
