// ECDSA P-256 / P-384 over OpenSSL 3 EVP, with strict DER and fixed-width
// r||s conversion done here (OpenSSL's EVP interface speaks DER only).
#include "crypto/ecdsa.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "crypto/crypto_internal.h"

namespace eml::crypto {
namespace {

using internal::OpenSslError;
using internal::UniqueEvpMdCtx;
using internal::UniqueEvpPkey;
using internal::UniqueEvpPkeyCtx;

struct BnDeleter { void operator()(BIGNUM* p) const { BN_free(p); } };
struct EcdsaSigDeleter { void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); } };
struct ParamBldDeleter { void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); } };
struct ParamDeleter { void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); } };
using UniqueBn = std::unique_ptr<BIGNUM, BnDeleter>;
using UniqueEcdsaSig = std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter>;

// Upper bound of an ECDSA DER signature for P-384: SEQUENCE of two 49-byte
// INTEGERs. Anything larger cannot be a valid signature for our curves.
constexpr size_t kMaxDerSignatureSize = 2 + 2 * (2 + 49);

const char* GroupName(EcCurve curve) {
  return curve == EcCurve::kP256 ? "prime256v1" : "secp384r1";
}

const EVP_MD* CurveDigest(EcCurve curve) {
  return curve == EcCurve::kP256 ? EVP_sha256() : EVP_sha384();
}

// Builds a public EVP_PKEY from an uncompressed point and checks it.
StatusOr<UniqueEvpPkey> PkeyFromPoint(EcCurve curve, ByteSpan point) {
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, GroupName(curve),
                                      0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return OpenSslError(StatusCode::kInternal, "ecdsa: param build failed");
  }
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld.get()));
  UniqueEvpPkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return OpenSslError(StatusCode::kInternal, "ecdsa: fromdata init failed");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return OpenSslError(StatusCode::kInvalidArgument, "ecdsa: public key is not a curve point");
  }
  UniqueEvpPkey pkey(raw);
  // The quick check (on the curve, not the point at infinity) is complete
  // for P-256 and P-384: their cofactor is 1, so every curve point other than
  // infinity has prime order. The full check adds a scalar multiplication by
  // the order (~0.3 ms for P-384) that proves nothing more.
  UniqueEvpPkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check || EVP_PKEY_public_check_quick(check.get()) != 1) {
    return OpenSslError(StatusCode::kInvalidArgument, "ecdsa: public key failed validation");
  }
  return pkey;
}

StatusOr<Bytes> ExportPoint(EcCurve curve, EVP_PKEY* pkey) {
  BIGNUM* x_raw = nullptr;
  BIGNUM* y_raw = nullptr;
  EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x_raw);
  EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y_raw);
  UniqueBn x(x_raw), y(y_raw);
  const size_t n = EcCurveFieldSize(curve);
  Bytes out(1 + 2 * n);
  out[0] = 0x04;
  if (!x || !y || BN_bn2binpad(x.get(), out.data() + 1, static_cast<int>(n)) < 0 ||
      BN_bn2binpad(y.get(), out.data() + 1 + n, static_cast<int>(n)) < 0) {
    return OpenSslError(StatusCode::kInternal, "ecdsa: cannot export point");
  }
  return out;
}

// r||s (fixed width) -> DER. Values >= 2^(8n) cannot occur; range checks
// against the group order are OpenSSL's (verify fails for r, s not in [1, n-1]).
StatusOr<Bytes> RawToDer(EcCurve curve, ByteSpan raw) {
  const size_t n = EcCurveFieldSize(curve);
  if (raw.size() != 2 * n) return VerificationFailedError("ecdsa: raw signature has wrong size");
  UniqueEcdsaSig sig(ECDSA_SIG_new());
  UniqueBn r(BN_bin2bn(raw.data(), static_cast<int>(n), nullptr));
  UniqueBn s(BN_bin2bn(raw.data() + n, static_cast<int>(n), nullptr));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return OpenSslError(StatusCode::kInternal, "ecdsa: cannot build signature");
  }
  r.release();  // owned by sig now
  s.release();
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return OpenSslError(StatusCode::kInternal, "ecdsa: cannot encode signature");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

// Strict DER check: parses and requires the canonical re-encoding to be
// byte-identical (rejects BER lengths, non-minimal or negative integers and
// trailing bytes).
Status CheckStrictDer(ByteSpan der) {
  if (der.empty() || der.size() > kMaxDerSignatureSize) {
    return VerificationFailedError("ecdsa: DER signature has wrong size");
  }
  const unsigned char* p = der.data();
  UniqueEcdsaSig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig || p != der.data() + der.size()) {
    return OpenSslError(StatusCode::kVerificationFailed, "ecdsa: malformed DER signature");
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  if (BN_is_negative(r) || BN_is_negative(s)) {
    return VerificationFailedError("ecdsa: negative signature integer");
  }
  unsigned char* again = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &again);
  bool same = len > 0 && static_cast<size_t>(len) == der.size() &&
              std::memcmp(again, der.data(), der.size()) == 0;
  OPENSSL_free(again);
  if (!same) return VerificationFailedError("ecdsa: DER signature is not canonical");
  return OkStatus();
}

StatusOr<Bytes> DerToRaw(EcCurve curve, ByteSpan der) {
  const unsigned char* p = der.data();
  UniqueEcdsaSig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return OpenSslError(StatusCode::kInternal, "ecdsa: cannot decode own signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  const size_t n = EcCurveFieldSize(curve);
  Bytes out(2 * n);
  if (BN_bn2binpad(r, out.data(), static_cast<int>(n)) < 0 ||
      BN_bn2binpad(s, out.data() + n, static_cast<int>(n)) < 0) {
    return OpenSslError(StatusCode::kInternal, "ecdsa: cannot convert signature");
  }
  return out;
}

// The named curve of an EC key: P-256 or P-384, else Unsupported.
StatusOr<EcCurve> CurveOf(EVP_PKEY* pkey, std::string_view what) {
  if (!EVP_PKEY_is_a(pkey, "EC")) return UnsupportedError(std::string(what) + " is not an EC key");
  char group[64] = {};
  size_t group_len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                     &group_len) != 1) {
    return OpenSslError(StatusCode::kUnsupported, std::string(what) + " has no named curve");
  }
  if (std::string(group) == "prime256v1") return EcCurve::kP256;
  if (std::string(group) == "secp384r1") return EcCurve::kP384;
  return UnsupportedError("ecdsa: curve must be P-256 or P-384");
}

}  // namespace

struct EcdsaPublicKey::Impl {
  UniqueEvpPkey pkey;
};
struct EcdsaPrivateKey::Impl {
  UniqueEvpPkey pkey;
  EcdsaPublicKey public_key;
};

size_t EcCurveFieldSize(EcCurve curve) { return curve == EcCurve::kP256 ? 32 : 48; }

StatusOr<EcdsaPublicKey> EcdsaPublicKey::FromUncompressedPoint(EcCurve curve, ByteSpan point) {
  const size_t n = EcCurveFieldSize(curve);
  if (point.size() != 1 + 2 * n || point[0] != 0x04) {
    return InvalidArgumentError("ecdsa: expected an uncompressed point 0x04||X||Y");
  }
  ASSIGN_OR_RETURN(UniqueEvpPkey pkey, PkeyFromPoint(curve, point));
  return EcdsaPublicKey(curve, std::make_shared<const Impl>(Impl{std::move(pkey)}));
}

StatusOr<EcdsaPublicKey> EcdsaPublicKey::FromCoordinates(EcCurve curve, ByteSpan x, ByteSpan y) {
  const size_t n = EcCurveFieldSize(curve);
  if (x.size() != n || y.size() != n) {
    return InvalidArgumentError("ecdsa: coordinates must be exactly the field size");
  }
  Bytes point = Concat({ByteSpan(Bytes{0x04}), x, y});
  return FromUncompressedPoint(curve, point);
}

namespace {

// Keys built from SubjectPublicKeyInfo before, by their exact DER. OpenSSL
// 3.0's d2i_PUBKEY goes through its decoder framework (~0.1 ms), and a
// verifier sees the same attestation signing keys again and again. Keys are
// immutable once built (shared, const Impl), so a remembered key may be used
// by several threads at once.
class KnownSpkiKeys {
 public:
  static constexpr size_t kCapacity = 16;

  std::optional<EcdsaPublicKey> Find(ByteSpan der) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [known_der, key] : entries_) {
      if (std::equal(known_der.begin(), known_der.end(), der.begin(), der.end())) return key;
    }
    return std::nullopt;
  }

  void Add(ByteSpan der, const EcdsaPublicKey& key) {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.emplace_back(Bytes(der.begin(), der.end()), key);
    if (entries_.size() > kCapacity) entries_.pop_front();  // forget the oldest
  }

 private:
  std::mutex mu_;  // guards entries_
  std::deque<std::pair<Bytes, EcdsaPublicKey>> entries_;  // oldest first
};

KnownSpkiKeys& KnownKeys() {
  static KnownSpkiKeys* known = new KnownSpkiKeys();  // never destroyed
  return *known;
}

}  // namespace

StatusOr<EcdsaPublicKey> EcdsaPublicKey::FromSpkiDer(ByteSpan der) {
  if (std::optional<EcdsaPublicKey> known = KnownKeys().Find(der)) return *std::move(known);
  ASSIGN_OR_RETURN(EcdsaPublicKey key, ParseSpkiDer(der));
  KnownKeys().Add(der, key);
  return key;
}

StatusOr<EcdsaPublicKey> EcdsaPublicKey::ParseSpkiDer(ByteSpan der) {
  const unsigned char* p = der.data();
  UniqueEvpPkey pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!pkey || p != der.data() + der.size()) {
    return OpenSslError(StatusCode::kInvalidArgument, "ecdsa: malformed SubjectPublicKeyInfo");
  }
  ASSIGN_OR_RETURN(EcCurve curve, CurveOf(pkey.get(), "ecdsa: SPKI"));
  // Rebuild from the point so every key goes through the same validation.
  ASSIGN_OR_RETURN(Bytes point, ExportPoint(curve, pkey.get()));
  return FromUncompressedPoint(curve, point);
}

Bytes EcdsaPublicKey::UncompressedPoint() const {
  StatusOr<Bytes> point = ExportPoint(curve_, impl_->pkey.get());
  return point.ok() ? std::move(point).value() : Bytes();
}

Bytes EcdsaPublicKey::SpkiDer() const {
  return internal::PublicKeySpkiDer(impl_->pkey.get());
}

Status EcdsaPublicKey::Verify(ByteSpan message, ByteSpan signature,
                              EcdsaSignatureFormat format) const {
  Bytes der;
  if (format == EcdsaSignatureFormat::kRawRS) {
    ASSIGN_OR_RETURN(der, RawToDer(curve_, signature));
  } else {
    RETURN_IF_ERROR(CheckStrictDer(signature));
    der.assign(signature.begin(), signature.end());
  }
  UniqueEvpMdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, CurveDigest(curve_), nullptr,
                                   impl_->pkey.get()) != 1) {
    return OpenSslError(StatusCode::kInternal, "ecdsa: verify init failed");
  }
  if (EVP_DigestVerify(ctx.get(), der.data(), der.size(), message.data(), message.size()) != 1) {
    return OpenSslError(StatusCode::kVerificationFailed, "ecdsa: signature did not verify");
  }
  return OkStatus();
}

StatusOr<EcdsaPrivateKey> EcdsaPrivateKey::Generate(EcCurve curve) {
  UniqueEvpPkey pkey(EVP_EC_gen(GroupName(curve)));
  if (!pkey) return OpenSslError(StatusCode::kInternal, "ecdsa: key generation failed");
  ASSIGN_OR_RETURN(Bytes point, ExportPoint(curve, pkey.get()));
  ASSIGN_OR_RETURN(EcdsaPublicKey public_key, EcdsaPublicKey::FromUncompressedPoint(curve, point));
  return EcdsaPrivateKey(curve,
                         std::make_shared<const Impl>(Impl{std::move(pkey), std::move(public_key)}));
}

StatusOr<EcdsaPrivateKey> EcdsaPrivateKey::FromPkcs8Der(EcCurve curve, ByteSpan der) {
  ASSIGN_OR_RETURN(UniqueEvpPkey pkey, internal::ParsePkcs8PrivateKey(der, "ecdsa"));
  StatusOr<EcCurve> key_curve = CurveOf(pkey.get(), "ecdsa: PKCS#8 key");
  if (!key_curve.ok() || *key_curve != curve) {
    return InvalidArgumentError("ecdsa: PKCS#8 key is not on the expected curve");
  }
  ASSIGN_OR_RETURN(Bytes point, ExportPoint(curve, pkey.get()));
  ASSIGN_OR_RETURN(EcdsaPublicKey public_key, EcdsaPublicKey::FromUncompressedPoint(curve, point));
  return EcdsaPrivateKey(curve,
                         std::make_shared<const Impl>(Impl{std::move(pkey), std::move(public_key)}));
}

EcdsaPublicKey EcdsaPrivateKey::PublicKey() const { return impl_->public_key; }

StatusOr<Bytes> EcdsaPrivateKey::Sign(ByteSpan message, EcdsaSignatureFormat format) const {
  UniqueEvpMdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, CurveDigest(curve_), nullptr,
                                 impl_->pkey.get()) != 1) {
    return OpenSslError(StatusCode::kInternal, "ecdsa: sign init failed");
  }
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1) {
    return OpenSslError(StatusCode::kInternal, "ecdsa: sign failed");
  }
  Bytes der(len);
  if (EVP_DigestSign(ctx.get(), der.data(), &len, message.data(), message.size()) != 1) {
    return OpenSslError(StatusCode::kInternal, "ecdsa: sign failed");
  }
  der.resize(len);
  if (format == EcdsaSignatureFormat::kDer) return der;
  return DerToRaw(curve_, der);
}

}  // namespace eml::crypto
