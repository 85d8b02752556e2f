// CRL checks over OpenSSL 3's X509_CRL.
#include "crypto/x509_crl.h"

#include <cstring>
#include <ctime>
#include <memory>
#include <string>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/crypto_internal.h"
#include "crypto/x509_internal.h"
#include "crypto/x509.h"

namespace eml::crypto {
namespace {

using internal::OpenSslError;

struct CrlDeleter { void operator()(X509_CRL* p) const { X509_CRL_free(p); } };
using internal::UniqueX509;
using UniqueCrl = std::unique_ptr<X509_CRL, CrlDeleter>;

bool HasCriticalExtension(const STACK_OF(X509_EXTENSION) * exts) {
  for (int i = 0; i < sk_X509_EXTENSION_num(exts); ++i) {
    if (X509_EXTENSION_get_critical(sk_X509_EXTENSION_value(exts, i)) != 0) return true;
  }
  return false;
}

StatusOr<UniqueCrl> ParseCrlDer(ByteSpan der) {
  if (der.size() > kMaxCrlSize) return LimitExceededError("x509: CRL over 1 MiB");
  const unsigned char* p = der.data();
  UniqueCrl crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  if (!crl || p != der.data() + der.size()) {
    return OpenSslError(StatusCode::kInvalidArgument, "x509: malformed CRL DER");
  }
  unsigned char* again = nullptr;
  const int len = i2d_X509_CRL(crl.get(), &again);
  const bool same = len > 0 && static_cast<size_t>(len) == der.size() &&
                    std::memcmp(again, der.data(), der.size()) == 0;
  OPENSSL_free(again);
  if (!same) return InvalidArgumentError("x509: CRL is not DER");
  if (X509_CRL_get_version(crl.get()) != 1) return InvalidArgumentError("x509: CRL is not v2");
  if (HasCriticalExtension(X509_CRL_get0_extensions(crl.get()))) {
    return UnsupportedError("x509: CRL has a critical extension");
  }
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    if (HasCriticalExtension(X509_REVOKED_get0_extensions(sk_X509_REVOKED_value(revoked, i)))) {
      return UnsupportedError("x509: CRL entry has a critical extension");
    }
  }
  return crl;
}

StatusOr<int64_t> ToUnixSeconds(const ASN1_TIME* t, const char* what) {
  return internal::Asn1TimeToUnixSeconds(t, std::string("x509: CRL ") + what + " missing or bad");
}

StatusOr<CrlInfo> Info(const X509_CRL* crl) {
  CrlInfo info;
  ASSIGN_OR_RETURN(info.this_update, ToUnixSeconds(X509_CRL_get0_lastUpdate(crl), "thisUpdate"));
  ASSIGN_OR_RETURN(info.next_update, ToUnixSeconds(X509_CRL_get0_nextUpdate(crl), "nextUpdate"));
  if (info.next_update <= info.this_update) {
    return InvalidArgumentError("x509: CRL nextUpdate is not after thisUpdate");
  }
  // OpenSSL keeps no stack (and counts -1) when nothing is revoked.
  const int count = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(const_cast<X509_CRL*>(crl)));
  info.revoked_count = count > 0 ? static_cast<size_t>(count) : 0;
  return info;
}

bool AllowedCrlSignature(int nid) {
  switch (nid) {
    case NID_ecdsa_with_SHA256:
    case NID_ecdsa_with_SHA384:
    case NID_ecdsa_with_SHA512:
    case NID_sha256WithRSAEncryption:
    case NID_sha384WithRSAEncryption:
    case NID_sha512WithRSAEncryption:
      return true;
    default:
      return false;
  }
}

Status CheckIssuerMaySignCrls(X509* issuer) {
  if (X509_check_ca(issuer) < 1) return VerificationFailedError("x509: CRL issuer is not a CA");
  if ((X509_get_extension_flags(issuer) & EXFLAG_KUSAGE) != 0 &&
      (X509_get_key_usage(issuer) & KU_CRL_SIGN) == 0) {
    return VerificationFailedError("x509: CRL issuer lacks cRLSign");
  }
  return OkStatus();
}

Status CheckCrlSignature(X509_CRL* crl, X509* issuer) {
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) {
    return VerificationFailedError("x509: CRL issuer is not the issuing certificate");
  }
  RETURN_IF_ERROR(CheckIssuerMaySignCrls(issuer));
  if (!AllowedCrlSignature(X509_CRL_get_signature_nid(crl))) {
    return VerificationFailedError("x509: CRL signature algorithm not allowed");
  }
  EVP_PKEY* key = X509_get0_pubkey(issuer);
  if (key == nullptr || X509_CRL_verify(crl, key) != 1) {
    return OpenSslError(StatusCode::kVerificationFailed, "x509: CRL signature did not verify");
  }
  return OkStatus();
}

}  // namespace

StatusOr<CrlInfo> ParseCrl(ByteSpan crl_der) {
  ASSIGN_OR_RETURN(UniqueCrl crl, ParseCrlDer(crl_der));
  return Info(crl.get());
}

StatusOr<CrlInfo> CheckNotRevoked(ByteSpan crl_der, ByteSpan issuer_cert_der, ByteSpan cert_der,
                                  int64_t unix_time_seconds) {
  ASSIGN_OR_RETURN(UniqueCrl crl, ParseCrlDer(crl_der));
  ASSIGN_OR_RETURN(UniqueX509 issuer, internal::ParseX509Der(issuer_cert_der));
  ASSIGN_OR_RETURN(UniqueX509 cert, internal::ParseX509Der(cert_der));
  ASSIGN_OR_RETURN(CrlInfo info, Info(crl.get()));
  RETURN_IF_ERROR(CheckCrlSignature(crl.get(), issuer.get()));
  if (unix_time_seconds < info.this_update) {
    return VerificationFailedError("x509: CRL is not yet valid (thisUpdate is later)");
  }
  if (unix_time_seconds >= info.next_update) {
    return VerificationFailedError("x509: CRL has expired (nextUpdate has passed)");
  }
  if (X509_NAME_cmp(X509_get_issuer_name(cert.get()), X509_CRL_get_issuer(crl.get())) != 0) {
    return VerificationFailedError("x509: certificate was not issued by the CRL issuer");
  }
  X509_REVOKED* entry = nullptr;
  if (X509_CRL_get0_by_serial(crl.get(), &entry, X509_get0_serialNumber(cert.get())) != 0) {
    ERR_clear_error();
    return VerificationFailedError("x509: certificate revoked");
  }
  ERR_clear_error();
  return info;
}

}  // namespace eml::crypto
