// CMS EnvelopedData (RFC 5652) decryption for AWS KMS CiphertextForRecipient.
//
// Accepted profile (../shared/vectors/kms/FACTS.md section 4): a ContentInfo
// (id-envelopedData) wrapping EnvelopedData version 2, BER with definite or
// indefinite lengths, no originatorInfo, exactly one KeyTransRecipientInfo
// (version 2, rid = [0] SubjectKeyIdentifier) whose keyEncryptionAlgorithm is
// id-RSAES-OAEP with SHA-256 / MGF1-SHA-256 and no pSourceFunc; content type
// id-data, aes256-CBC with a 16-byte IV; encryptedContent either primitive
// [0] or constructed [0] of OCTET STRING chunks; no unprotectedAttrs.
// RSAES-OAEP params that are empty (RFC 4055 default = SHA-1) are rejected as
// Unsupported rather than silently switching hash. The whole input is bounded
// by kMaxCmsEnvelopeSize and nesting of constructed strings is bounded.
//
// FIXME: AES-256-CBC gives no integrity. A modified IV or content block can
// decrypt (with valid padding) to different bytes; authenticity of the data
// key rests on the TLS channel to KMS, not on this envelope. Callers must
// treat the plaintext as a key to be checked by its later use (e.g. an AEAD
// tag), never as authenticated content.
//
// Thread-safety: pure functions.
#ifndef EML_CRYPTO_CMS_H_
#define EML_CRYPTO_CMS_H_

#include "core/bytes.h"
#include "core/secret.h"
#include "core/status.h"
#include "crypto/rsa.h"

namespace eml::crypto {

inline constexpr size_t kMaxCmsEnvelopeSize = 64 * 1024;

// The parts of a parsed envelope needed to decrypt it.
struct CmsEnvelopeParts {
  Bytes recipient_key_id;  // rid SubjectKeyIdentifier (KMS: SHA-256 of SPKI DER)
  Bytes encrypted_key;     // RSAES-OAEP ciphertext of the AES-256 key
  Bytes iv;                // 16 bytes
  Bytes ciphertext;        // AES-256-CBC, concatenated content chunks
};

// Parses and checks the profile above; no cryptography.
StatusOr<CmsEnvelopeParts> ParseCmsEnvelopedData(ByteSpan ber);

// Parses, checks that rid matches SHA-256(key's SPKI DER), unwraps the content
// key with `key` and decrypts the content (PKCS#7 padding removed). Every
// decryption failure is VerificationFailed with one fixed message.
StatusOr<SecretBytes> DecryptCmsEnvelopedData(ByteSpan ber, const RsaPrivateKey& key);

}  // namespace eml::crypto

#endif  // EML_CRYPTO_CMS_H_
