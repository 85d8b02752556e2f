// RSA-2048 OAEP-SHA256 decryption key over OpenSSL 3 EVP.
#include "crypto/rsa.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/crypto_internal.h"

namespace eml::crypto {
namespace {

using internal::OpenSslError;
using internal::UniqueEvpPkey;
using internal::UniqueEvpPkeyCtx;

struct BioDeleter { void operator()(BIO* p) const { BIO_free(p); } };

constexpr size_t kMaxPemSize = 16 * 1024;

Status CheckRsa2048(EVP_PKEY* pkey) {
  if (!EVP_PKEY_is_a(pkey, "RSA")) return UnsupportedError("rsa: key is not RSA");
  if (EVP_PKEY_get_bits(pkey) != 2048) return UnsupportedError("rsa: key must be 2048 bits");
  return OkStatus();
}

}  // namespace

struct RsaPrivateKey::Impl {
  UniqueEvpPkey pkey;
};

RsaPrivateKey::RsaPrivateKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RsaPrivateKey::RsaPrivateKey(RsaPrivateKey&&) noexcept = default;
RsaPrivateKey& RsaPrivateKey::operator=(RsaPrivateKey&&) noexcept = default;
RsaPrivateKey::~RsaPrivateKey() = default;

StatusOr<RsaPrivateKey> RsaPrivateKey::Generate2048() {
  // EVP_RSA_gen uses e = 65537.
  UniqueEvpPkey pkey(EVP_RSA_gen(2048));
  if (!pkey) return OpenSslError(StatusCode::kInternal, "rsa: key generation failed");
  return RsaPrivateKey(std::make_unique<Impl>(Impl{std::move(pkey)}));
}

StatusOr<RsaPrivateKey> RsaPrivateKey::FromPem(std::string_view pem) {
  if (pem.size() > kMaxPemSize) return LimitExceededError("rsa: PEM larger than 16 KiB");
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OpenSslError(StatusCode::kInternal, "rsa: BIO_new_mem_buf failed");
  // No passphrase callback: encrypted PEM is refused rather than prompting.
  UniqueEvpPkey pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>("")));
  if (!pkey) return OpenSslError(StatusCode::kInvalidArgument, "rsa: malformed private key PEM");
  RETURN_IF_ERROR(CheckRsa2048(pkey.get()));
  return RsaPrivateKey(std::make_unique<Impl>(Impl{std::move(pkey)}));
}

Bytes RsaPrivateKey::PublicKeySpkiDer() const {
  return internal::PublicKeySpkiDer(impl_->pkey.get());
}

StatusOr<SecretBytes> RsaPrivateKey::DecryptOaepSha256(ByteSpan ciphertext) const {
  if (ciphertext.size() != kRsa2048ModulusSize) {
    return InvalidArgumentError("rsa: ciphertext must be 256 bytes");
  }
  UniqueEvpPkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, impl_->pkey.get(), nullptr));
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) != 1) {
    return OpenSslError(StatusCode::kInternal, "rsa: decrypt init failed");
  }
  SecretBytes buffer(kRsa2048ModulusSize);
  size_t len = buffer.size();
  if (EVP_PKEY_decrypt(ctx.get(), buffer.MutableData(), &len, ciphertext.data(),
                       ciphertext.size()) != 1 ||
      len > buffer.size()) {
    return OpenSslError(StatusCode::kVerificationFailed, "rsa: OAEP decryption failed");
  }
  return SecretBytes(buffer.RevealSecret().first(len));
}

void* RsaPrivateKey::NativeHandleForInternalUse() const { return impl_->pkey.get(); }

}  // namespace eml::crypto
