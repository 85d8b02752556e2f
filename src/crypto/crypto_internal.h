// Internal helpers shared by src/crypto implementation files only (never
// included from outside src/crypto): RAII owners for OpenSSL handles and the
// conversion of OpenSSL's error queue into a Status.
#ifndef EML_CRYPTO_CRYPTO_INTERNAL_H_
#define EML_CRYPTO_CRYPTO_INTERNAL_H_

#include <memory>
#include <string_view>

#include <openssl/asn1.h>
#include <openssl/evp.h>

#include "core/bytes.h"
#include "core/status.h"

namespace eml::crypto::internal {

struct EvpPkeyDeleter { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct EvpPkeyCtxDeleter { void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); } };
struct EvpMdCtxDeleter { void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); } };
struct EvpCipherCtxDeleter { void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); } };

using UniqueEvpPkey = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;
using UniqueEvpPkeyCtx = std::unique_ptr<EVP_PKEY_CTX, EvpPkeyCtxDeleter>;
using UniqueEvpMdCtx = std::unique_ptr<EVP_MD_CTX, EvpMdCtxDeleter>;
using UniqueEvpCipherCtx = std::unique_ptr<EVP_CIPHER_CTX, EvpCipherCtxDeleter>;

// Clears OpenSSL's thread-local error queue and returns `code` with
// "<what>" as the message. OpenSSL's own error strings are not forwarded: they
// can be long and are not part of our stable error surface.
Status OpenSslError(StatusCode code, std::string_view what);

// An ASN1_TIME as Unix seconds; InvalidArgument `error` for a null or bad one.
// A PKCS#8 PrivateKeyInfo (DER, 1..1024 bytes, nothing after it) as a key
// whose private and public halves agree (EVP_PKEY_check). InvalidArgument
// otherwise; messages start with `who` ("ecdsa", "p384").
StatusOr<UniqueEvpPkey> ParsePkcs8PrivateKey(ByteSpan der, std::string_view who);

StatusOr<int64_t> Asn1TimeToUnixSeconds(const ASN1_TIME* t, std::string_view error);

// DER SubjectPublicKeyInfo of a key; empty on failure.
Bytes PublicKeySpkiDer(const EVP_PKEY* pkey);

}  // namespace eml::crypto::internal

#endif  // EML_CRYPTO_CRYPTO_INTERNAL_H_
