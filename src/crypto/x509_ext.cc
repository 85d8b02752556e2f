// Certificate names and extensions, PEM bundles and RSASSA-PSS chains over
// OpenSSL 3 (see x509_ext.h).
#include "crypto/x509_ext.h"

#include <cstring>
#include <ctime>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "crypto/crypto_internal.h"
#include "crypto/x509_internal.h"

namespace eml::crypto {
namespace {

using internal::OpenSslError;

constexpr size_t kMaxTextSize = 256;  // OIDs and names
constexpr long kPssSaltLength = 48;   // SHA-384 output size

struct BioDeleter { void operator()(BIO* p) const { BIO_free(p); } };
struct PssParamsDeleter { void operator()(RSA_PSS_PARAMS* p) const { RSA_PSS_PARAMS_free(p); } };
struct IntegerDeleter { void operator()(ASN1_INTEGER* p) const { ASN1_INTEGER_free(p); } };
struct AlgorDeleter { void operator()(X509_ALGOR* p) const { X509_ALGOR_free(p); } };
struct Ia5Deleter { void operator()(ASN1_IA5STRING* p) const { ASN1_IA5STRING_free(p); } };
using internal::UniqueX509;

// Frees what PEM_read_bio allocates.
struct PemBlock {
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  ~PemBlock() {
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
  }
};


StatusOr<std::string> ObjectText(const ASN1_OBJECT* obj) {
  char buf[kMaxTextSize + 1];
  const int n = OBJ_obj2txt(buf, sizeof buf, obj, /*no_name=*/1);
  if (n <= 0 || static_cast<size_t>(n) > kMaxTextSize) {
    return OpenSslError(StatusCode::kInvalidArgument, "x509: unreadable or oversized OID");
  }
  return std::string(buf, static_cast<size_t>(n));
}

StatusOr<std::string> CommonName(const X509_NAME* name) {
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return std::string();
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, value);
  if (n < 0 || static_cast<size_t>(n) > kMaxTextSize) {
    OPENSSL_free(utf8);
    return OpenSslError(StatusCode::kInvalidArgument, "x509: unreadable or oversized common name");
  }
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

StatusOr<std::vector<CertificateExtension>> Extensions(const X509* cert) {
  const int count = X509_get_ext_count(cert);
  if (count < 0 || static_cast<size_t>(count) > kMaxCertificateExtensions) {
    return LimitExceededError("x509: more than " + std::to_string(kMaxCertificateExtensions) +
                              " extensions");
  }
  std::vector<CertificateExtension> out;
  std::set<std::string> seen;
  for (int i = 0; i < count; ++i) {
    X509_EXTENSION* ext = X509_get_ext(cert, i);
    CertificateExtension e;
    ASSIGN_OR_RETURN(e.oid, ObjectText(X509_EXTENSION_get_object(ext)));
    if (!seen.insert(e.oid).second) return InvalidArgumentError("x509: duplicate extension " + e.oid);
    e.critical = X509_EXTENSION_get_critical(ext) == 1;
    const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(ext);
    const unsigned char* data = ASN1_STRING_get0_data(value);
    e.value.assign(data, data + ASN1_STRING_length(value));
    out.push_back(std::move(e));
  }
  return out;
}

// The hash named in an MGF1 AlgorithmIdentifier's parameters; NID_undef if
// they are absent or malformed.
int Mgf1HashNid(const X509_ALGOR* mgf) {
  const ASN1_OBJECT* obj = nullptr;
  int ptype = 0;
  const void* pval = nullptr;
  X509_ALGOR_get0(&obj, &ptype, &pval, mgf);
  if (ptype != V_ASN1_SEQUENCE || pval == nullptr) return NID_undef;
  const ASN1_STRING* seq = static_cast<const ASN1_STRING*>(pval);
  const unsigned char* p = ASN1_STRING_get0_data(seq);
  const long len = ASN1_STRING_length(seq);
  std::unique_ptr<X509_ALGOR, AlgorDeleter> hash(d2i_X509_ALGOR(nullptr, &p, len));
  if (!hash || p != ASN1_STRING_get0_data(seq) + len) return NID_undef;
  return OBJ_obj2nid(hash->algorithm);
}

// AlgorithmIdentifier parameters of RSASSA-PSS with SHA-384 / MGF1-SHA-384 /
// 48-byte salt / trailer 1.
Status CheckPssProfile(const X509* cert) {
  if (X509_get_signature_nid(cert) != NID_rsassaPss) {
    return VerificationFailedError("x509: a signature in the path is not RSASSA-PSS");
  }
  const X509_ALGOR* alg = nullptr;
  X509_get0_signature(nullptr, &alg, cert);
  const ASN1_OBJECT* obj = nullptr;
  int ptype = 0;
  const void* pval = nullptr;
  X509_ALGOR_get0(&obj, &ptype, &pval, alg);
  if (ptype != V_ASN1_SEQUENCE || pval == nullptr) {
    return VerificationFailedError("x509: RSASSA-PSS without parameters");
  }
  const ASN1_STRING* seq = static_cast<const ASN1_STRING*>(pval);
  const unsigned char* p = ASN1_STRING_get0_data(seq);
  const long len = ASN1_STRING_length(seq);
  std::unique_ptr<RSA_PSS_PARAMS, PssParamsDeleter> params(d2i_RSA_PSS_PARAMS(nullptr, &p, len));
  if (!params || p != ASN1_STRING_get0_data(seq) + len) {
    return OpenSslError(StatusCode::kVerificationFailed, "x509: malformed RSASSA-PSS parameters");
  }
  const auto nid_of = [](const X509_ALGOR* a) {
    return a == nullptr ? NID_undef : OBJ_obj2nid(a->algorithm);
  };
  const bool hash_ok = nid_of(params->hashAlgorithm) == NID_sha384;
  const bool mgf_ok = nid_of(params->maskGenAlgorithm) == NID_mgf1 &&
                      Mgf1HashNid(params->maskGenAlgorithm) == NID_sha384;
  const bool salt_ok = params->saltLength != nullptr &&
                       ASN1_INTEGER_get(params->saltLength) == kPssSaltLength;
  const bool trailer_ok = params->trailerField == nullptr ||
                          ASN1_INTEGER_get(params->trailerField) == 1;
  if (!hash_ok || !mgf_ok || !salt_ok || !trailer_ok) {
    return VerificationFailedError(
        "x509: RSASSA-PSS parameters are not SHA-384, MGF1-SHA-384, salt 48");
  }
  return OkStatus();
}

}  // namespace

StatusOr<CertificateDetails> ParseCertificateDetails(ByteSpan der) {
  CertificateDetails out;
  ASSIGN_OR_RETURN(out.info, ParseCertificate(der));
  ASSIGN_OR_RETURN(UniqueX509 cert, internal::ParseX509Der(der));
  ASSIGN_OR_RETURN(out.subject_common_name, CommonName(X509_get_subject_name(cert.get())));
  ASSIGN_OR_RETURN(out.issuer_common_name, CommonName(X509_get_issuer_name(cert.get())));
  ASSIGN_OR_RETURN(out.extensions, Extensions(cert.get()));
  return out;
}

const CertificateExtension* FindExtension(const CertificateDetails& details, std::string_view oid) {
  for (const CertificateExtension& e : details.extensions) {
    if (e.oid == oid) return &e;
  }
  return nullptr;
}

StatusOr<uint64_t> DecodeDerUnsignedInteger(ByteSpan der) {
  const unsigned char* p = der.data();
  std::unique_ptr<ASN1_INTEGER, IntegerDeleter> value(
      d2i_ASN1_INTEGER(nullptr, &p, static_cast<long>(der.size())));
  if (!value || p != der.data() + der.size()) {
    return OpenSslError(StatusCode::kInvalidArgument, "der: not exactly one INTEGER");
  }
  unsigned char* again = nullptr;
  const int len = i2d_ASN1_INTEGER(value.get(), &again);
  const bool same = len > 0 && static_cast<size_t>(len) == der.size() &&
                    std::memcmp(again, der.data(), der.size()) == 0;
  OPENSSL_free(again);
  if (!same) return InvalidArgumentError("der: INTEGER is not minimally encoded");
  int64_t v = 0;
  if (ASN1_INTEGER_get_int64(&v, value.get()) != 1 || v < 0) {
    return OpenSslError(StatusCode::kInvalidArgument, "der: INTEGER negative or over 63 bits");
  }
  return static_cast<uint64_t>(v);
}

StatusOr<std::string> DecodeDerIa5String(ByteSpan der) {
  const unsigned char* p = der.data();
  std::unique_ptr<ASN1_IA5STRING, Ia5Deleter> value(
      d2i_ASN1_IA5STRING(nullptr, &p, static_cast<long>(der.size())));
  if (!value || p != der.data() + der.size()) {
    return OpenSslError(StatusCode::kInvalidArgument, "der: not exactly one IA5String");
  }
  const int n = ASN1_STRING_length(value.get());
  if (n < 0 || static_cast<size_t>(n) > kMaxTextSize) {
    return InvalidArgumentError("der: IA5String over 256 bytes");
  }
  const unsigned char* data = ASN1_STRING_get0_data(value.get());
  for (int i = 0; i < n; ++i) {
    if (data[i] > 0x7f) return InvalidArgumentError("der: IA5String holds a non-ASCII byte");
  }
  return std::string(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
}

StatusOr<std::vector<Bytes>> CertificatesFromPem(std::string_view pem) {
  if (pem.size() > kMaxPemBundleSize) return LimitExceededError("pem: bundle over 64 KiB");
  ERR_clear_error();
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OpenSslError(StatusCode::kInternal, "pem: alloc failed");
  std::vector<Bytes> out;
  while (true) {
    PemBlock block;
    if (PEM_read_bio(bio.get(), &block.name, &block.header, &block.data, &block.len) != 1) {
      const unsigned long err = ERR_peek_last_error();
      if (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE) break;
      return OpenSslError(StatusCode::kInvalidArgument, "pem: malformed block");
    }
    if (std::strcmp(block.name, "CERTIFICATE") != 0 || block.header[0] != '\0') {
      ERR_clear_error();
      return InvalidArgumentError("pem: a block is not a plain CERTIFICATE");
    }
    if (out.size() == kMaxPemCertificates) {
      ERR_clear_error();
      return LimitExceededError("pem: more than " + std::to_string(kMaxPemCertificates) +
                                " certificates");
    }
    Bytes der(block.data, block.data + block.len);
    RETURN_IF_ERROR(ParseCertificate(der).status());
    out.push_back(std::move(der));
  }
  ERR_clear_error();
  if (out.empty()) return InvalidArgumentError("pem: no CERTIFICATE block");
  return out;
}

StatusOr<VerifiedChain> VerifyRsaPssCertificateChain(ByteSpan leaf_der,
                                                     std::span<const Bytes> intermediates_der,
                                                     ByteSpan root_der, int64_t unix_time_seconds) {
  // The same verifier as VerifyCertificateChain (not X509_STRICT: AMD's VCEKs
  // carry no Authority Key Identifier), then the PSS profile on every
  // certificate of the chain, the root's self-signature included.
  const ByteSpan roots[] = {root_der};
  return internal::VerifyChainWith(leaf_der, intermediates_der, roots, unix_time_seconds,
                                   [](const X509* cert, bool) { return CheckPssProfile(cert); });
}

}  // namespace eml::crypto
