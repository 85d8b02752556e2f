// X.509 parsing and chain verification over OpenSSL 3's X509_verify_cert,
// configured for a caller-supplied time, strict RFC 5280 checks and an
// allowlist of signature algorithms.
#include "crypto/x509.h"

#include <cstring>
#include <ctime>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "crypto/crypto_internal.h"
#include "crypto/x509_internal.h"

namespace eml::crypto {
namespace {

using internal::OpenSslError;

using internal::UniqueX509;

struct StoreDeleter { void operator()(X509_STORE* p) const { X509_STORE_free(p); } };
struct StoreCtxDeleter { void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); } };
struct StackDeleter { void operator()(STACK_OF(X509)* p) const { sk_X509_free(p); } };  // not owning

StatusOr<int64_t> ToUnixSeconds(const ASN1_TIME* t) {
  return internal::Asn1TimeToUnixSeconds(t, "x509: bad validity time");
}

StatusOr<Bytes> SpkiDer(X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (len <= 0) return OpenSslError(StatusCode::kInternal, "x509: cannot encode SPKI");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

bool AllowedSignatureAlgorithm(int nid) {
  switch (nid) {
    case NID_ecdsa_with_SHA256:
    case NID_ecdsa_with_SHA384:
    case NID_ecdsa_with_SHA512:
    case NID_sha256WithRSAEncryption:
    case NID_sha384WithRSAEncryption:
    case NID_sha512WithRSAEncryption:
    case NID_ED25519:
      return true;
    default:
      return false;
  }
}

// Verifier configuration: caller's time, >= 112-bit security (auth level 2:
// RSA >= 2048, no SHA-1), bounded depth. Not X509_V_FLAG_X509_STRICT: real AWS
// Nitro leaf certificates carry no Authority Key Identifier, which strict mode
// demands. The checks that matter here (issuers CA:TRUE with keyCertSign when
// keyUsage is present, path length, validity at the given time, signatures)
// are OpenSSL's defaults and are pinned by x509_test.
void ConfigureParams(X509_STORE_CTX* ctx, int64_t unix_time_seconds) {
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(unix_time_seconds));
  X509_VERIFY_PARAM_set_auth_level(param, 2);
  X509_VERIFY_PARAM_set_depth(param, static_cast<int>(kMaxChainLength));
}

}  // namespace

StatusOr<CertificateInfo> ParseCertificate(ByteSpan der) {
  ASSIGN_OR_RETURN(UniqueX509 cert, internal::ParseX509Der(der));
  CertificateInfo info;
  ASSIGN_OR_RETURN(info.spki_der, SpkiDer(cert.get()));
  ASSIGN_OR_RETURN(info.not_before, ToUnixSeconds(X509_get0_notBefore(cert.get())));
  ASSIGN_OR_RETURN(info.not_after, ToUnixSeconds(X509_get0_notAfter(cert.get())));
  info.is_ca = (X509_get_extension_flags(cert.get()) & EXFLAG_CA) != 0;
  info.self_signed = X509_self_signed(cert.get(), /*verify_signature=*/1) == 1;
  ERR_clear_error();
  return info;
}

StatusOr<VerifiedChain> VerifyCertificateChain(ByteSpan leaf_der,
                                               std::span<const Bytes> intermediates_der,
                                               std::span<const Bytes> trusted_roots_der,
                                               int64_t unix_time_seconds) {
  if (trusted_roots_der.size() > kMaxChainLength) return LimitExceededError("x509: too many certificates");
  std::vector<ByteSpan> roots(trusted_roots_der.begin(), trusted_roots_der.end());
  // Signatures made by an issuer (all but the trust anchor's self-signature).
  return internal::VerifyChainWith(leaf_der, intermediates_der, roots, unix_time_seconds,
                                   [](const X509* cert, bool anchor) {
                                     if (anchor || AllowedSignatureAlgorithm(X509_get_signature_nid(cert))) {
                                       return OkStatus();
                                     }
                                     return VerificationFailedError("x509: signature algorithm not allowed");
                                   });
}

namespace internal {

namespace {

// Certificates parsed before, by their exact DER. OpenSSL 3.0 spends more
// on d2i_X509 (its key decoder) than on anything else in a chain check but
// the signatures, and attestation chains repeat the same few certificates
// on every handshake. The X509 objects are never modified after parsing
// (OpenSSL's lazily cached extension data is filled before an object is
// shared), so one object may be shared by several verifications at once.
class ParsedCertificates {
 public:
  static constexpr size_t kCapacity = 64;

  // Another reference to the certificate parsed from exactly `der`, or null.
  UniqueX509 Find(ByteSpan der) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Entry& e : entries_) {
      if (e.der.size() == der.size() && std::memcmp(e.der.data(), der.data(), der.size()) == 0) {
        X509_up_ref(e.cert.get());
        return UniqueX509(e.cert.get());
      }
    }
    return nullptr;
  }

  void Add(ByteSpan der, X509* cert) {
    // OpenSSL fills a certificate's extension data (key identifiers, flags,
    // path length) lazily on first use; fill it now, before the object is
    // shared, so readers on other threads only ever read it.
    (void)X509_check_purpose(cert, -1, 0);
    X509_up_ref(cert);
    UniqueX509 ref(cert);
    std::lock_guard<std::mutex> lock(mu_);
    entries_.push_back({Bytes(der.begin(), der.end()), std::move(ref)});
    if (entries_.size() > kCapacity) entries_.pop_front();  // forget the oldest
  }

 private:
  struct Entry {
    Bytes der;
    UniqueX509 cert;
  };
  std::mutex mu_;  // guards entries_
  std::deque<Entry> entries_;  // oldest first
};

ParsedCertificates& Parsed() {
  static ParsedCertificates* parsed = new ParsedCertificates();  // never destroyed
  return *parsed;
}

}  // namespace

StatusOr<UniqueX509> ParseX509Der(ByteSpan der) {
  if (der.size() > kMaxCertificateSize) return LimitExceededError("x509: certificate over 16 KiB");
  if (UniqueX509 known = Parsed().Find(der)) return known;
  const unsigned char* p = der.data();
  UniqueX509 cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size()) {
    return OpenSslError(StatusCode::kInvalidArgument, "x509: malformed certificate DER");
  }
  unsigned char* again = nullptr;
  const int len = i2d_X509(cert.get(), &again);
  const bool same = len > 0 && static_cast<size_t>(len) == der.size() &&
                    std::memcmp(again, der.data(), der.size()) == 0;
  OPENSSL_free(again);
  if (!same) return InvalidArgumentError("x509: certificate is not DER");
  Parsed().Add(der, cert.get());
  return cert;
}

StatusOr<VerifiedChain> VerifyChainWith(
    ByteSpan leaf_der, std::span<const Bytes> intermediates_der, std::span<const ByteSpan> roots_der,
    int64_t unix_time_seconds, const std::function<Status(const X509* cert, bool anchor)>& check) {
  if (intermediates_der.size() + 1 > kMaxChainLength) {
    return LimitExceededError("x509: too many certificates");
  }
  if (roots_der.empty()) return InvalidArgumentError("x509: no trusted roots");
  ASSIGN_OR_RETURN(UniqueX509 leaf, ParseX509Der(leaf_der));
  std::vector<UniqueX509> owned;
  std::unique_ptr<STACK_OF(X509), StackDeleter> untrusted(sk_X509_new_null());
  std::unique_ptr<X509_STORE, StoreDeleter> store(X509_STORE_new());
  std::unique_ptr<X509_STORE_CTX, StoreCtxDeleter> ctx(X509_STORE_CTX_new());
  if (!untrusted || !store || !ctx) return OpenSslError(StatusCode::kInternal, "x509: alloc failed");
  for (const Bytes& der : intermediates_der) {
    ASSIGN_OR_RETURN(UniqueX509 cert, ParseX509Der(der));
    if (sk_X509_push(untrusted.get(), cert.get()) <= 0) {
      return OpenSslError(StatusCode::kInternal, "x509: stack push failed");
    }
    owned.push_back(std::move(cert));
  }
  for (ByteSpan der : roots_der) {
    ASSIGN_OR_RETURN(UniqueX509 cert, ParseX509Der(der));
    if (X509_STORE_add_cert(store.get(), cert.get()) != 1) {  // takes its own reference
      return OpenSslError(StatusCode::kInvalidArgument, "x509: cannot add trusted root");
    }
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), untrusted.get()) != 1) {
    return OpenSslError(StatusCode::kInternal, "x509: verify init failed");
  }
  ConfigureParams(ctx.get(), unix_time_seconds);
  X509_STORE_CTX_set_verify(ctx.get(), VerifyChainSignaturesAndTimes);
  if (X509_verify_cert(ctx.get()) != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    return OpenSslError(StatusCode::kVerificationFailed,
                        std::string("x509: chain did not verify: ") +
                            X509_verify_cert_error_string(err));
  }
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  const int n = sk_X509_num(chain);
  for (int i = 0; i < n; ++i) RETURN_IF_ERROR(check(sk_X509_value(chain, i), i + 1 == n));
  VerifiedChain out;
  ASSIGN_OR_RETURN(out.leaf_spki_der, SpkiDer(leaf.get()));
  ASSIGN_OR_RETURN(out.leaf_not_before, ToUnixSeconds(X509_get0_notBefore(leaf.get())));
  ASSIGN_OR_RETURN(out.leaf_not_after, ToUnixSeconds(X509_get0_notAfter(leaf.get())));
  out.chain_length = static_cast<size_t>(n);
  return out;
}

}  // namespace internal

}  // namespace eml::crypto
