// CMS EnvelopedData (RFC 5652) for AWS KMS CiphertextForRecipient:
// decryption (the enclave's side) and encryption in exactly the same profile
// (eml-kms, the development KMS in src/kms_server).
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
// Encryption writes that profile the way KMS does (checked against the real
// blobs): BER with indefinite-length ContentInfo, [0], EnvelopedData and
// EncryptedContentInfo, a definite-length recipientInfos SET, rid = SHA-256
// of the recipient's DER SPKI, OAEP params {[0] sha256 NULL, [1] mgf1
// sha256 NULL}, a fresh AES-256 key and random IV, PKCS#7 padding, and the
// ciphertext as one OCTET STRING inside a constructed indefinite [0].
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
inline constexpr size_t kMaxCmsPlaintextSize = 32 * 1024;
inline constexpr size_t kMaxSpkiDerSize = 1024;

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

// OK if `spki_der` is exactly one DER SubjectPublicKeyInfo (no trailing
// bytes, canonical encoding) of an RSA-2048 key: what KMS requires of an
// attestation document's public_key. InvalidArgument (malformed) or
// Unsupported (not RSA-2048) otherwise.
Status CheckRsa2048SpkiDer(ByteSpan spki_der);

// Envelope of `plaintext` (1..kMaxCmsPlaintextSize bytes) to the RSA-2048
// key whose DER SPKI is `recipient_spki_der` (checked as above).
StatusOr<Bytes> EncryptCmsEnvelopedData(ByteSpan plaintext, ByteSpan recipient_spki_der);

}  // namespace eml::crypto

#endif  // EML_CRYPTO_CMS_H_
