// RSA-2048 key for receiving secrets by RSAES-OAEP (SHA-256, MGF1-SHA-256,
// empty label): the key type AWS KMS encrypts to when a Nitro Enclave sends a
// Recipient attestation document (see ../shared/vectors/kms/FACTS.md).
//
// The private key never leaves this object; the public half is exported as a
// DER SubjectPublicKeyInfo for the attestation document's `public_key`.
// Decryption failures (wrong key, tampered ciphertext, bad padding) all map to
// one VerificationFailed status with the same message, so callers cannot build
// a padding oracle from our errors.
//
// Thread-safety: immutable once built; const methods may be called
// concurrently. Move-only.
#ifndef EML_CRYPTO_RSA_H_
#define EML_CRYPTO_RSA_H_

#include <memory>

#include "core/bytes.h"
#include "core/secret.h"
#include "core/status.h"

namespace eml::crypto {

inline constexpr size_t kRsa2048ModulusSize = 256;

class RsaPrivateKey {
 public:
  // Fresh RSA-2048 key with e = 65537.
  static StatusOr<RsaPrivateKey> Generate2048();
  // PEM ("RSA PRIVATE KEY" / PKCS#1 or "PRIVATE KEY" / PKCS#8). Only
  // 2048-bit keys are accepted. For fixtures and provisioned keys.
  static StatusOr<RsaPrivateKey> FromPem(std::string_view pem);

  RsaPrivateKey(RsaPrivateKey&&) noexcept;
  RsaPrivateKey& operator=(RsaPrivateKey&&) noexcept;
  RsaPrivateKey(const RsaPrivateKey&) = delete;
  RsaPrivateKey& operator=(const RsaPrivateKey&) = delete;
  ~RsaPrivateKey();

  // DER SubjectPublicKeyInfo (rsaEncryption).
  Bytes PublicKeySpkiDer() const;
  // RSAES-OAEP with SHA-256 / MGF1-SHA-256 / empty label. InvalidArgument if
  // the ciphertext is not exactly the modulus size; VerificationFailed on any
  // decryption failure.
  StatusOr<SecretBytes> DecryptOaepSha256(ByteSpan ciphertext) const;

  // For src/crypto internals (CMS, tests): the EVP_PKEY*, borrowed.
  void* NativeHandleForInternalUse() const;

 private:
  struct Impl;
  explicit RsaPrivateKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace eml::crypto

#endif  // EML_CRYPTO_RSA_H_
