#include "crypto/aead.h"

#include <climits>
#include <cstdlib>

#include <openssl/evp.h>

#include "crypto/crypto_internal.h"

namespace eml::crypto {
namespace {

using internal::OpenSslError;
using internal::UniqueEvpCipherCtx;

// Each cipher fetched from the default provider once for the process:
// EVP_aes_256_gcm() and friends make every EVP_CipherInit_ex fetch the
// implementation again (OpenSSL 3: a locked lookup), and records are sealed
// and opened on every request. Fetched objects are immutable and thread-safe.
const EVP_CIPHER* FetchOnce(const char* name) {
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, name, nullptr);
  if (cipher == nullptr) std::abort();  // invariant: the default provider has these
  return cipher;                        // kept for the life of the process
}

const EVP_CIPHER* Cipher(AeadAlg alg) {
  switch (alg) {
    case AeadAlg::kAes128Gcm: {
      static const EVP_CIPHER* const cipher = FetchOnce("AES-128-GCM");
      return cipher;
    }
    case AeadAlg::kAes256Gcm: {
      static const EVP_CIPHER* const cipher = FetchOnce("AES-256-GCM");
      return cipher;
    }
    case AeadAlg::kChaCha20Poly1305: {
      static const EVP_CIPHER* const cipher = FetchOnce("ChaCha20-Poly1305");
      return cipher;
    }
  }
  std::abort();  // unreachable: enum is closed
}

Status CheckSizes(ByteSpan nonce, ByteSpan data, ByteSpan aad) {
  if (nonce.size() != kAeadNonceSize) return InvalidArgumentError("aead: nonce must be 12 bytes");
  if (data.size() >= INT_MAX || aad.size() >= INT_MAX) {
    return LimitExceededError("aead: input too large");
  }
  return OkStatus();
}

// Creates a context keyed for `alg` in the given direction (1 = encrypt).
StatusOr<UniqueEvpCipherCtx> NewContext(AeadAlg alg, ByteSpan key, ByteSpan nonce, int enc) {
  UniqueEvpCipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return OpenSslError(StatusCode::kInternal, "aead: context allocation failed");
  if (EVP_CipherInit_ex(ctx.get(), Cipher(alg), nullptr, nullptr, nullptr, enc) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, static_cast<int>(nonce.size()),
                          nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce.data(), enc) != 1) {
    return OpenSslError(StatusCode::kInternal, "aead: init failed");
  }
  return ctx;
}

// Feeds the AAD and runs the cipher over `in` into `out` (same size).
bool Process(EVP_CIPHER_CTX* ctx, ByteSpan aad, ByteSpan in, uint8_t* out) {
  int len = 0;
  if (!aad.empty() &&
      EVP_CipherUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    return false;
  }
  if (!in.empty() &&
      (EVP_CipherUpdate(ctx, out, &len, in.data(), static_cast<int>(in.size())) != 1 ||
       static_cast<size_t>(len) != in.size())) {
    return false;
  }
  return true;
}

}  // namespace

size_t AeadKeySize(AeadAlg alg) {
  switch (alg) {
    case AeadAlg::kAes128Gcm: return 16;
    case AeadAlg::kAes256Gcm: return 32;
    case AeadAlg::kChaCha20Poly1305: return 32;
  }
  std::abort();
}

StatusOr<Aead> Aead::Create(AeadAlg alg, const SecretBytes& key) {
  if (key.size() != AeadKeySize(alg)) return InvalidArgumentError("aead: wrong key size");
  return Aead(alg, key.Clone());
}

StatusOr<Bytes> Aead::Seal(ByteSpan nonce, ByteSpan plaintext, ByteSpan aad) const {
  Bytes out(plaintext.size() + kAeadTagSize);
  RETURN_IF_ERROR(SealInto(nonce, plaintext, aad, out));
  return out;
}

Status Aead::SealInto(ByteSpan nonce, ByteSpan plaintext, ByteSpan aad,
                      std::span<uint8_t> out) const {
  RETURN_IF_ERROR(CheckSizes(nonce, plaintext, aad));
  if (out.size() != plaintext.size() + kAeadTagSize) {
    return InvalidArgumentError("aead: output size is not the plaintext size + 16");
  }
  ASSIGN_OR_RETURN(UniqueEvpCipherCtx ctx, NewContext(alg_, key_.RevealSecret(), nonce, 1));
  int len = 0;
  uint8_t final_block[16];
  if (!Process(ctx.get(), aad, plaintext, out.data()) ||
      EVP_CipherFinal_ex(ctx.get(), final_block, &len) != 1 || len != 0 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kAeadTagSize),
                          out.data() + plaintext.size()) != 1) {
    return OpenSslError(StatusCode::kInternal, "aead: seal failed");
  }
  return OkStatus();
}

Status Aead::OpenInto(ByteSpan nonce, ByteSpan ciphertext_and_tag, ByteSpan aad,
                      std::span<uint8_t> out) const {
  RETURN_IF_ERROR(CheckSizes(nonce, ciphertext_and_tag, aad));
  if (ciphertext_and_tag.size() < kAeadTagSize) {
    return InvalidArgumentError("aead: ciphertext shorter than tag");
  }
  const size_t ct_size = ciphertext_and_tag.size() - kAeadTagSize;
  if (out.size() != ct_size) return InvalidArgumentError("aead: output size is not the plaintext size");
  ByteSpan ct = ciphertext_and_tag.first(ct_size);
  ByteSpan tag = ciphertext_and_tag.subspan(ct_size);
  ASSIGN_OR_RETURN(UniqueEvpCipherCtx ctx, NewContext(alg_, key_.RevealSecret(), nonce, 0));
  if (!Process(ctx.get(), aad, ct, out.data()) ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kAeadTagSize),
                          const_cast<uint8_t*>(tag.data())) != 1) {
    SecureWipe(out.data(), out.size());
    return OpenSslError(StatusCode::kInternal, "aead: open failed");
  }
  int len = 0;
  uint8_t final_block[16];
  if (EVP_CipherFinal_ex(ctx.get(), final_block, &len) != 1 || len != 0) {
    SecureWipe(out.data(), out.size());
    return OpenSslError(StatusCode::kVerificationFailed, "aead: authentication failed");
  }
  return OkStatus();
}

StatusOr<Bytes> Aead::Open(ByteSpan nonce, ByteSpan ciphertext_and_tag, ByteSpan aad) const {
  Bytes out(ciphertext_and_tag.size() >= kAeadTagSize ? ciphertext_and_tag.size() - kAeadTagSize : 0);
  RETURN_IF_ERROR(OpenInto(nonce, ciphertext_and_tag, aad, out));
  return out;
}

}  // namespace eml::crypto
