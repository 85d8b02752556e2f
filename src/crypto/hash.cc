#include "crypto/hash.h"

#include <cstdlib>
#include <string>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "crypto/crypto_internal.h"

namespace eml::crypto {
namespace {

using internal::OpenSslError;

// Each digest fetched from the default provider once for the process.
// EVP_sha256() and friends make every EVP_DigestInit fetch the
// implementation again (OpenSSL 3: a locked lookup), which costs more than
// hashing a request. Fetched objects are immutable and thread-safe.
const EVP_MD* FetchOnce(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) std::abort();  // invariant: the default provider has SHA-2
  return md;                        // kept for the life of the process
}

const EVP_MD* Md(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha256: {
      static const EVP_MD* const md = FetchOnce("SHA256");
      return md;
    }
    case HashAlg::kSha384: {
      static const EVP_MD* const md = FetchOnce("SHA384");
      return md;
    }
    case HashAlg::kSha512: {
      static const EVP_MD* const md = FetchOnce("SHA512");
      return md;
    }
  }
  std::abort();  // unreachable: enum is closed
}

const char* MdName(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha256: return "SHA256";
    case HashAlg::kSha384: return "SHA384";
    case HashAlg::kSha512: return "SHA512";
  }
  std::abort();
}

struct EvpKdfDeleter { void operator()(EVP_KDF* p) const { EVP_KDF_free(p); } };
struct EvpKdfCtxDeleter { void operator()(EVP_KDF_CTX* p) const { EVP_KDF_CTX_free(p); } };

// HMAC into `out` (HashSize bytes). Returns false on an OpenSSL failure.
bool HmacInto(HashAlg alg, ByteSpan key, ByteSpan data, uint8_t* out) {
  // OpenSSL's HMAC rejects a NULL key; an empty key is zero-padded to the
  // block size by definition, so a one-byte zero key is equivalent.
  static const uint8_t kZero = 0;
  const uint8_t* key_ptr = key.empty() ? &kZero : key.data();
  size_t key_size = key.empty() ? 1 : key.size();
  size_t out_size = 0;
  const char* digest = MdName(alg);
  unsigned char* r = EVP_Q_mac(nullptr, "HMAC", nullptr, digest, nullptr, key_ptr, key_size,
                               data.data(), data.size(), out, HashSize(alg), &out_size);
  return r != nullptr && out_size == HashSize(alg);
}

}  // namespace

size_t HashSize(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha256: return 32;
    case HashAlg::kSha384: return 48;
    case HashAlg::kSha512: return 64;
  }
  std::abort();
}

Bytes Hash(HashAlg alg, ByteSpan data) {
  Bytes out(HashSize(alg));
  unsigned int out_size = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &out_size, Md(alg), nullptr) != 1 ||
      out_size != out.size()) {
    std::abort();  // invariant: built-in digests do not fail
  }
  return out;
}

Bytes Sha256(ByteSpan data) { return Hash(HashAlg::kSha256, data); }
Bytes Sha384(ByteSpan data) { return Hash(HashAlg::kSha384, data); }

struct Sha256Hasher::Impl {
  internal::UniqueEvpMdCtx ctx{EVP_MD_CTX_new()};
};

Sha256Hasher::Sha256Hasher() : impl_(std::make_unique<Impl>()) {
  // Invariant, as for Hash(): built-in digests do not fail.
  if (!impl_->ctx || EVP_DigestInit_ex(impl_->ctx.get(), Md(HashAlg::kSha256), nullptr) != 1) std::abort();
}
Sha256Hasher::~Sha256Hasher() = default;
Sha256Hasher::Sha256Hasher(Sha256Hasher&&) noexcept = default;
Sha256Hasher& Sha256Hasher::operator=(Sha256Hasher&&) noexcept = default;

void Sha256Hasher::Update(ByteSpan data) {
  if (!data.empty() && EVP_DigestUpdate(impl_->ctx.get(), data.data(), data.size()) != 1) {
    std::abort();
  }
}

Bytes Sha256Hasher::Finish() {
  Bytes out(32);
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(impl_->ctx.get(), out.data(), &size) != 1 || size != out.size()) {
    std::abort();
  }
  return out;
}
Bytes Sha512(ByteSpan data) { return Hash(HashAlg::kSha512, data); }

StatusOr<Bytes> Hmac(HashAlg alg, ByteSpan key, ByteSpan data) {
  Bytes out(HashSize(alg));
  if (!HmacInto(alg, key, data, out.data())) {
    return OpenSslError(StatusCode::kInternal, "hmac: computation failed");
  }
  return out;
}

SecretBytes HkdfExtract(HashAlg alg, ByteSpan salt, ByteSpan ikm) {
  SecretBytes prk(HashSize(alg));
  if (!HmacInto(alg, salt, ikm, prk.MutableData())) {
    std::abort();  // invariant: HMAC with a built-in digest does not fail
  }
  return prk;
}

StatusOr<SecretBytes> HkdfExpand(HashAlg alg, ByteSpan prk, ByteSpan info, size_t length) {
  const size_t hash_size = HashSize(alg);
  if (prk.size() < hash_size) return InvalidArgumentError("hkdf: prk shorter than hash length");
  if (length == 0) return InvalidArgumentError("hkdf: output length is zero");
  if (length > 255 * hash_size) {
    return LimitExceededError("hkdf: output length exceeds 255 * hash length");
  }
  std::unique_ptr<EVP_KDF, EvpKdfDeleter> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) return OpenSslError(StatusCode::kInternal, "hkdf: fetch failed");
  std::unique_ptr<EVP_KDF_CTX, EvpKdfCtxDeleter> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return OpenSslError(StatusCode::kInternal, "hkdf: context allocation failed");

  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  // OSSL_PARAM takes non-const pointers; OpenSSL only reads these buffers.
  // An empty info is left out: OpenSSL treats a NULL octet string as unset.
  OSSL_PARAM params[5];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                                 const_cast<char*>(MdName(alg)), 0);
  params[n++] = OSSL_PARAM_construct_octet_string(
      OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(prk.data()), prk.size());
  if (!info.empty()) {
    params[n++] = OSSL_PARAM_construct_octet_string(
        OSSL_KDF_PARAM_INFO, const_cast<uint8_t*>(info.data()), info.size());
  }
  params[n] = OSSL_PARAM_construct_end();
  SecretBytes okm(length);
  if (EVP_KDF_derive(ctx.get(), okm.MutableData(), okm.size(), params) != 1) {
    return OpenSslError(StatusCode::kInternal, "hkdf: expand failed");
  }
  return okm;
}

StatusOr<SecretBytes> Hkdf(HashAlg alg, ByteSpan salt, ByteSpan ikm, ByteSpan info,
                           size_t length) {
  SecretBytes prk = HkdfExtract(alg, salt, ikm);
  return HkdfExpand(alg, prk.RevealSecret(), info, length);
}

}  // namespace eml::crypto
