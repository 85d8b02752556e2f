// The signature and validity step of X.509 chain verification (see
// x509_internal.h), with a bounded memo of certificate signatures that
// verified. The trust anchors and intermediates of attestation chains (Nitro,
// SNP) are the same on every handshake, and each P-384 verification costs
// ~0.7 ms; the memo turns a repeat of the same (issuer key, certificate bytes)
// into one SHA-256. Only successes are remembered, and nothing but the
// signature is skipped: key usage and validity at the caller's time are
// checked on every call.
#include <cstring>
#include <deque>
#include <mutex>
#include <set>

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "crypto/hash.h"
#include "crypto/x509_internal.h"

namespace eml::crypto::internal {
namespace {

constexpr size_t kSignatureMemoCapacity = 1024;

void HashLengthPrefixed(Sha256Hasher& hasher, ByteSpan part) {
  const uint64_t n = part.size();
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(n >> (56 - 8 * i));
  hasher.Update(ByteSpan(len, sizeof(len)));
  hasher.Update(part);
}

// SHA-256 over the issuer's SubjectPublicKeyInfo and the whole subject
// certificate (tbsCertificate, signatureAlgorithm and signatureValue: exactly
// what X509_verify reads), each with a 64-bit length. False if either cannot
// be encoded (then the signature is simply verified).
bool MemoKey(X509* issuer, X509* subject, SignatureMemo::Key* out) {
  unsigned char* spki = nullptr;
  const int spki_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer), &spki);
  unsigned char* cert = nullptr;
  const int cert_len = i2d_X509(subject, &cert);
  const bool ok = spki_len > 0 && cert_len > 0;
  if (ok) {
    Sha256Hasher hasher;
    HashLengthPrefixed(hasher, ByteSpan(spki, static_cast<size_t>(spki_len)));
    HashLengthPrefixed(hasher, ByteSpan(cert, static_cast<size_t>(cert_len)));
    const Bytes digest = hasher.Finish();
    std::memcpy(out->data(), digest.data(), out->size());
  }
  OPENSSL_free(spki);
  OPENSSL_free(cert);
  return ok;
}

// X509_verify(subject, issuer's key), answered from the memo when this exact
// pair verified before.
bool SignatureVerifies(X509* subject, X509* issuer, EVP_PKEY* issuer_key) {
  SignatureMemo& memo = CertificateSignatureMemo();
  SignatureMemo::Key key;
  const bool have_key = MemoKey(issuer, subject, &key);
  if (have_key && memo.Contains(key)) return true;
  if (X509_verify(subject, issuer_key) <= 0) return false;
  if (have_key) memo.Remember(key);
  return true;
}

// Reports `err` for `cert` at `depth` to the verify callback, as OpenSSL's
// own checks do; false means stop.
bool Report(X509_STORE_CTX* ctx, X509* cert, int depth, int err) {
  X509_STORE_CTX_set_error_depth(ctx, depth);
  X509_STORE_CTX_set_current_cert(ctx, cert);
  X509_STORE_CTX_set_error(ctx, err);
  return X509_STORE_CTX_get_verify_cb(ctx)(0, ctx) != 0;
}

// OpenSSL's validity check (x509_vfy.c ossl_x509_check_cert_time), by its
// public X509_cmp_time: 0 is an unreadable field, notBefore must not be
// after the time, notAfter must be after it.
bool CheckTime(X509_STORE_CTX* ctx, X509* cert, int depth) {
  const X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  const unsigned long flags = X509_VERIFY_PARAM_get_flags(param);
  time_t at = 0;
  time_t* when = nullptr;  // now
  if ((flags & X509_V_FLAG_USE_CHECK_TIME) != 0) {
    at = X509_VERIFY_PARAM_get_time(param);
    when = &at;
  } else if ((flags & X509_V_FLAG_NO_CHECK_TIME) != 0) {
    return true;
  }
  int cmp = X509_cmp_time(X509_get0_notBefore(cert), when);
  if (cmp == 0 && !Report(ctx, cert, depth, X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD)) return false;
  if (cmp > 0 && !Report(ctx, cert, depth, X509_V_ERR_CERT_NOT_YET_VALID)) return false;
  cmp = X509_cmp_time(X509_get0_notAfter(cert), when);
  if (cmp == 0 && !Report(ctx, cert, depth, X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD)) return false;
  if (cmp < 0 && !Report(ctx, cert, depth, X509_V_ERR_CERT_HAS_EXPIRED)) return false;
  return true;
}

// The link issuer -> subject: the issuer may sign certificates (keyUsage,
// when present, has keyCertSign; proxy certificates are never allowed here)
// and its key verifies the subject's signature.
bool CheckLink(X509_STORE_CTX* ctx, X509* subject, int depth, X509* issuer) {
  if ((X509_get_extension_flags(subject) & EXFLAG_PROXY) != 0 &&
      !Report(ctx, subject, depth, X509_V_ERR_PROXY_CERTIFICATES_NOT_ALLOWED)) {
    return false;
  }
  if ((X509_get_key_usage(issuer) & KU_KEY_CERT_SIGN) == 0 &&
      !Report(ctx, issuer, depth + 1, X509_V_ERR_KEYUSAGE_NO_CERTSIGN)) {
    return false;
  }
  EVP_PKEY* key = X509_get0_pubkey(issuer);
  if (key == nullptr) return Report(ctx, issuer, depth + 1, X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY);
  if (!SignatureVerifies(subject, issuer, key)) {
    return Report(ctx, subject, depth, X509_V_ERR_CERT_SIGNATURE_FAILURE);
  }
  return true;
}

}  // namespace

SignatureMemo::SignatureMemo(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

bool SignatureMemo::Contains(const Key& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (keys_.count(key) == 0) return false;
  ++hits_;
  return true;
}

void SignatureMemo::Remember(const Key& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!keys_.insert(key).second) return;
  order_.push_back(key);
  if (order_.size() > capacity_) {  // forget the oldest
    keys_.erase(order_.front());
    order_.pop_front();
  }
}

size_t SignatureMemo::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return keys_.size();
}

uint64_t SignatureMemo::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

SignatureMemo& CertificateSignatureMemo() {
  static SignatureMemo* memo = new SignatureMemo(kSignatureMemoCapacity);  // never destroyed
  return *memo;
}

int VerifyChainSignaturesAndTimes(X509_STORE_CTX* ctx) {
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx);
  const int n = sk_X509_num(chain);
  if (n <= 0) {
    X509_STORE_CTX_set_error(ctx, X509_V_ERR_UNSPECIFIED);
    return 0;
  }
  const unsigned long flags = X509_VERIFY_PARAM_get_flags(X509_STORE_CTX_get0_param(ctx));
  X509* top = sk_X509_value(chain, n - 1);
  // A chain ends in a self-issued anchor unless partial chains are allowed
  // (X509_check_issued's key usage verdicts still mean "self-issued"; key
  // usage is checked per link below). OpenSSL would then check the link
  // below a non-self-issued top; no chain this verifier builds ends so, and
  // it is refused outright.
  const int top_issued = X509_check_issued(top, top);
  const bool self_issued = top_issued == X509_V_OK ||
                           top_issued == X509_V_ERR_KEYUSAGE_NO_CERTSIGN ||
                           top_issued == X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE;
  if (!self_issued && (flags & X509_V_FLAG_PARTIAL_CHAIN) == 0) {
    (void)Report(ctx, top, n - 1, X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE);
    return 0;
  }
  for (int depth = n - 1; depth >= 0; --depth) {
    X509* cert = sk_X509_value(chain, depth);
    if (depth < n - 1) {
      if (!CheckLink(ctx, cert, depth, sk_X509_value(chain, depth + 1))) return 0;
    } else if ((flags & X509_V_FLAG_CHECK_SS_SIGNATURE) != 0 &&
               (X509_get_extension_flags(cert) & EXFLAG_SS) != 0 &&
               !SignatureVerifies(cert, cert, X509_get0_pubkey(cert)) &&
               !Report(ctx, cert, depth, X509_V_ERR_CERT_SIGNATURE_FAILURE)) {
      // The anchor's self-signature only when asked for, as in OpenSSL (it
      // adds no security).
      return 0;
    }
    if (!CheckTime(ctx, cert, depth)) return 0;
    X509_STORE_CTX_set_error_depth(ctx, depth);
    X509_STORE_CTX_set_current_cert(ctx, cert);
    if (X509_STORE_CTX_get_verify_cb(ctx)(1, ctx) == 0) return 0;
  }
  return 1;
}

}  // namespace eml::crypto::internal
