#include "crypto/x25519.h"

#include <utility>

#include <openssl/evp.h>

#include "crypto/random.h"

namespace eml::crypto {
namespace {

using internal::OpenSslError;
using internal::UniqueEvpPkey;
using internal::UniqueEvpPkeyCtx;

}  // namespace

StatusOr<X25519PrivateKey> X25519PrivateKey::Generate() {
  ASSIGN_OR_RETURN(SecretBytes scalar, RandomSecret(kX25519KeySize));
  return FromBytes(scalar.RevealSecret());
}

StatusOr<X25519PrivateKey> X25519PrivateKey::FromBytes(ByteSpan private_key) {
  if (private_key.size() != kX25519KeySize) {
    return InvalidArgumentError("x25519: private key must be 32 bytes");
  }
  UniqueEvpPkey pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.data(),
                                                  private_key.size()));
  if (!pkey) return OpenSslError(StatusCode::kInternal, "x25519: key import failed");
  Bytes public_key(kX25519KeySize);
  size_t size = public_key.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), public_key.data(), &size) != 1 ||
      size != kX25519KeySize) {
    return OpenSslError(StatusCode::kInternal, "x25519: public key derivation failed");
  }
  return X25519PrivateKey(std::move(pkey), std::move(public_key));
}

StatusOr<SecretBytes> X25519PrivateKey::PrivateKeyBytes() const {
  SecretBytes out(kX25519KeySize);
  size_t size = out.size();
  if (EVP_PKEY_get_raw_private_key(pkey_.get(), out.MutableData(), &size) != 1 ||
      size != kX25519KeySize) {
    return OpenSslError(StatusCode::kInternal, "x25519: private key export failed");
  }
  return out;
}

StatusOr<SecretBytes> X25519PrivateKey::ComputeSharedSecret(ByteSpan peer_public) const {
  if (peer_public.size() != kX25519KeySize) {
    return InvalidArgumentError("x25519: peer public key must be 32 bytes");
  }
  UniqueEvpPkey peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_public.data(),
                                                 peer_public.size()));
  if (!peer) return OpenSslError(StatusCode::kInvalidArgument, "x25519: bad peer public key");
  UniqueEvpPkeyCtx ctx(EVP_PKEY_CTX_new(pkey_.get(), nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1) {
    return OpenSslError(StatusCode::kInternal, "x25519: derive setup failed");
  }
  SecretBytes shared(kX25519KeySize);
  size_t size = shared.size();
  // OpenSSL itself fails the derivation when the result is all zero; the
  // explicit check below keeps our policy independent of that detail.
  if (EVP_PKEY_derive(ctx.get(), shared.MutableData(), &size) != 1) {
    return OpenSslError(StatusCode::kInvalidArgument,
                        "x25519: shared secret rejected (low-order peer key)");
  }
  if (size != kX25519KeySize) return InternalError("x25519: unexpected shared secret size");
  if (ConstantTimeEquals(shared.RevealSecret(), Bytes(kX25519KeySize, 0))) {
    return InvalidArgumentError("x25519: shared secret is all zero (low-order peer key)");
  }
  return shared;
}

}  // namespace eml::crypto
