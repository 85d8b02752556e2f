// Certificate issuing and PKCS#8 persistence over OpenSSL 3 (X509_sign,
// X509V3 extension builders, PKCS8_PRIV_KEY_INFO).
#include "crypto/x509_issue.h"

#include <array>
#include <cstring>
#include <optional>
#include <string>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/crypto_internal.h"
#include "crypto/random.h"

namespace eml::crypto {

struct P384PrivateKey::Impl {
  internal::UniqueEvpPkey pkey;
  Bytes spki_der;
  std::optional<EcdsaPublicKey> public_key;  // always set once built
};

namespace internal {

struct P384KeyAccess {
  static EVP_PKEY* Pkey(const P384PrivateKey& key) { return key.impl_->pkey.get(); }

  // Takes a validated P-384 private key.
  static StatusOr<P384PrivateKey> Wrap(UniqueEvpPkey pkey) {
    auto impl = std::make_shared<P384PrivateKey::Impl>();
    impl->spki_der = PublicKeySpkiDer(pkey.get());
    if (impl->spki_der.empty()) return OpenSslError(StatusCode::kInternal, "p384: cannot encode SPKI");
    ASSIGN_OR_RETURN(EcdsaPublicKey pub, EcdsaPublicKey::FromSpkiDer(impl->spki_der));
    if (pub.curve() != EcCurve::kP384) return InternalError("p384: key is not on P-384");
    impl->public_key = std::move(pub);
    impl->pkey = std::move(pkey);
    return P384PrivateKey(std::move(impl));
  }
};

}  // namespace internal

namespace {

using internal::OpenSslError;
using internal::P384KeyAccess;
using internal::UniqueEvpMdCtx;
using internal::UniqueEvpPkey;
using internal::UniqueEvpPkeyCtx;

struct X509Deleter { void operator()(X509* p) const { X509_free(p); } };
struct NameDeleter { void operator()(X509_NAME* p) const { X509_NAME_free(p); } };
struct ExtDeleter { void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); } };
struct BnDeleter { void operator()(BIGNUM* p) const { BN_free(p); } };
struct SigDeleter { void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); } };
struct P8Deleter { void operator()(PKCS8_PRIV_KEY_INFO* p) const { PKCS8_PRIV_KEY_INFO_free(p); } };
using UniqueX509 = std::unique_ptr<X509, X509Deleter>;
using UniqueName = std::unique_ptr<X509_NAME, NameDeleter>;
using UniqueExt = std::unique_ptr<X509_EXTENSION, ExtDeleter>;
using UniqueBn = std::unique_ptr<BIGNUM, BnDeleter>;
using UniqueSig = std::unique_ptr<ECDSA_SIG, SigDeleter>;
using UniqueP8 = std::unique_ptr<PKCS8_PRIV_KEY_INFO, P8Deleter>;

constexpr size_t kP384FieldSize = 48;
constexpr size_t kMaxNameSize = 64;         // ub-common-name, ub-organization-name
constexpr int64_t kMaxUnixTime = 253402300799;  // 9999-12-31T23:59:59Z
constexpr int kMaxPathLength = 8;
constexpr size_t kSerialSize = 16;

// OK only for an EC key on P-384 with a named curve.
Status CheckP384(EVP_PKEY* pkey) {
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC) return InvalidArgumentError("p384: not an EC key");
  std::array<char, 64> group{};
  size_t group_len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(),
                                     &group_len) != 1 ||
      std::strcmp(group.data(), "secp384r1") != 0) {
    return OpenSslError(StatusCode::kInvalidArgument, "p384: key is not on P-384");
  }
  int explicit_params = 0;
  if (EVP_PKEY_get_int_param(pkey, OSSL_PKEY_PARAM_EC_DECODED_FROM_EXPLICIT_PARAMS,
                             &explicit_params) == 1 &&
      explicit_params != 0) {
    return InvalidArgumentError("p384: explicit curve parameters are not accepted");
  }
  return OkStatus();
}

// r||s (48 bytes each) from a DER ECDSA-Sig-Value we just produced.
StatusOr<Bytes> DerToRaw(ByteSpan der) {
  const unsigned char* p = der.data();
  UniqueSig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return OpenSslError(StatusCode::kInternal, "p384: cannot decode own signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  Bytes out(2 * kP384FieldSize);
  if (BN_bn2binpad(r, out.data(), kP384FieldSize) < 0 ||
      BN_bn2binpad(s, out.data() + kP384FieldSize, kP384FieldSize) < 0) {
    return OpenSslError(StatusCode::kInternal, "p384: cannot convert signature");
  }
  return out;
}

StatusOr<UniqueX509> ParseCertificateDer(ByteSpan der, const char* what) {
  if (der.empty() || der.size() > 16 * 1024) {
    return InvalidArgumentError(std::string("x509 issue: ") + what + " size out of range");
  }
  const unsigned char* p = der.data();
  UniqueX509 cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size()) {
    return OpenSslError(StatusCode::kInvalidArgument,
                        std::string("x509 issue: malformed ") + what + " DER");
  }
  return cert;
}

StatusOr<UniqueEvpPkey> ParseSubjectKey(ByteSpan spki_der) {
  // Validates the curve (P-256/P-384) and the point; OpenSSL needs its own object.
  RETURN_IF_ERROR(EcdsaPublicKey::FromSpkiDer(spki_der).status());
  const unsigned char* p = spki_der.data();
  UniqueEvpPkey pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size())));
  if (!pkey || p != spki_der.data() + spki_der.size()) {
    return OpenSslError(StatusCode::kInvalidArgument, "x509 issue: malformed subject SPKI");
  }
  return pkey;
}

Status CheckParams(const CertificateParams& params) {
  if (params.common_name.empty() || params.common_name.size() > kMaxNameSize ||
      params.organization.size() > kMaxNameSize) {
    return InvalidArgumentError("x509 issue: common name 1..64 bytes, organization 0..64 bytes");
  }
  if (params.not_before < 0 || params.not_after > kMaxUnixTime ||
      params.not_before >= params.not_after) {
    return InvalidArgumentError("x509 issue: validity must satisfy 0 <= not_before < not_after "
                                "<= 9999-12-31");
  }
  if (params.role == CertificateRole::kLeaf && params.path_length != -1) {
    return InvalidArgumentError("x509 issue: a leaf certificate has no path length");
  }
  if (params.path_length < -1 || params.path_length > kMaxPathLength) {
    return InvalidArgumentError("x509 issue: path length must be -1..8");
  }
  return OkStatus();
}

StatusOr<UniqueName> BuildName(const CertificateParams& params) {
  UniqueName name(X509_NAME_new());
  if (!name) return OpenSslError(StatusCode::kInternal, "x509 issue: alloc failed");
  auto add = [&](int nid, const std::string& value) {
    return X509_NAME_add_entry_by_NID(name.get(), nid, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), -1, 0) == 1;
  };
  if ((!params.organization.empty() && !add(NID_organizationName, params.organization)) ||
      !add(NID_commonName, params.common_name)) {
    return OpenSslError(StatusCode::kInvalidArgument, "x509 issue: name is not valid UTF-8");
  }
  return name;
}

// 16 random bytes with the top bit clear (positive) and the next bit set (so
// the INTEGER is always 16 bytes long and never zero).
Status SetRandomSerial(X509* cert) {
  std::array<uint8_t, kSerialSize> bytes{};
  RETURN_IF_ERROR(RandomBytes(bytes));
  bytes[0] = static_cast<uint8_t>((bytes[0] & 0x7f) | 0x40);
  UniqueBn bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    return OpenSslError(StatusCode::kInternal, "x509 issue: cannot set serial");
  }
  return OkStatus();
}

// Version, serial, subject, validity and public key of a new certificate.
StatusOr<UniqueX509> NewCertificate(const CertificateParams& params, EVP_PKEY* subject_key) {
  UniqueX509 cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return OpenSslError(StatusCode::kInternal, "x509 issue: alloc failed");
  }
  RETURN_IF_ERROR(SetRandomSerial(cert.get()));
  ASSIGN_OR_RETURN(UniqueName subject, BuildName(params));
  if (X509_set_subject_name(cert.get(), subject.get()) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(params.not_before)) ==
          nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(params.not_after)) ==
          nullptr ||
      X509_set_pubkey(cert.get(), subject_key) != 1) {
    return OpenSslError(StatusCode::kInternal, "x509 issue: cannot fill certificate");
  }
  return cert;
}

Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  UniqueExt ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError(StatusCode::kInternal, "x509 issue: cannot add extension");
  }
  return OkStatus();
}

// basicConstraints, keyUsage, subjectKeyIdentifier, authorityKeyIdentifier.
// The SKI goes first: for a root the AKI is taken from it.
Status AddExtensions(X509* cert, X509* issuer, const CertificateParams& params) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  std::string basic = "critical,CA:FALSE";
  std::string usage = "critical,digitalSignature";
  if (params.role == CertificateRole::kCa) {
    basic = "critical,CA:TRUE";
    if (params.path_length >= 0) basic += ",pathlen:" + std::to_string(params.path_length);
    usage = "critical,keyCertSign,cRLSign";
  }
  RETURN_IF_ERROR(AddExtension(cert, &ctx, NID_subject_key_identifier, "hash"));
  RETURN_IF_ERROR(AddExtension(cert, &ctx, NID_authority_key_identifier, "keyid:always"));
  RETURN_IF_ERROR(AddExtension(cert, &ctx, NID_basic_constraints, basic));
  return AddExtension(cert, &ctx, NID_key_usage, usage);
}

StatusOr<Bytes> SignAndEncode(X509* cert, EVP_PKEY* issuer_key) {
  if (X509_sign(cert, issuer_key, EVP_sha384()) <= 0) {
    return OpenSslError(StatusCode::kInternal, "x509 issue: signing failed");
  }
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert, &der);
  if (len <= 0) return OpenSslError(StatusCode::kInternal, "x509 issue: cannot encode");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Status CheckIssuer(X509* issuer, EVP_PKEY* issuer_key, const CertificateParams& params) {
  if (X509_check_private_key(issuer, issuer_key) != 1) {
    return OpenSslError(StatusCode::kInvalidArgument,
                        "x509 issue: issuer key does not match the issuer certificate");
  }
  const uint32_t flags = X509_get_extension_flags(issuer);
  if ((flags & EXFLAG_INVALID) != 0 || (flags & EXFLAG_CA) == 0) {
    return InvalidArgumentError("x509 issue: issuer certificate is not a CA");
  }
  if ((flags & EXFLAG_KUSAGE) != 0 && (X509_get_key_usage(issuer) & KU_KEY_CERT_SIGN) == 0) {
    return InvalidArgumentError("x509 issue: issuer certificate may not sign certificates");
  }
  if (params.role == CertificateRole::kCa && X509_get_pathlen(issuer) == 0) {
    return InvalidArgumentError("x509 issue: issuer's path length 0 forbids issuing a CA");
  }
  return OkStatus();
}

}  // namespace

StatusOr<P384PrivateKey> P384PrivateKey::Generate() {
  UniqueEvpPkey pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  if (!pkey) return OpenSslError(StatusCode::kInternal, "p384: key generation failed");
  return P384KeyAccess::Wrap(std::move(pkey));
}

StatusOr<P384PrivateKey> P384PrivateKey::FromPkcs8Der(ByteSpan der) {
  ASSIGN_OR_RETURN(UniqueEvpPkey pkey, internal::ParsePkcs8PrivateKey(der, "p384"));
  RETURN_IF_ERROR(CheckP384(pkey.get()));
  return P384KeyAccess::Wrap(std::move(pkey));
}

StatusOr<SecretBytes> P384PrivateKey::ToPkcs8Der() const {
  UniqueP8 p8(EVP_PKEY2PKCS8(impl_->pkey.get()));
  const int len = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8.get(), nullptr) : 0;
  if (len <= 0) return OpenSslError(StatusCode::kInternal, "p384: cannot encode PKCS#8");
  SecretBytes out(static_cast<size_t>(len));
  unsigned char* q = out.MutableData();  // written in place: no unwiped copy
  if (i2d_PKCS8_PRIV_KEY_INFO(p8.get(), &q) != len) {
    return OpenSslError(StatusCode::kInternal, "p384: cannot encode PKCS#8");
  }
  return out;
}

const Bytes& P384PrivateKey::SpkiDer() const { return impl_->spki_der; }

EcdsaPublicKey P384PrivateKey::PublicKey() const { return *impl_->public_key; }

StatusOr<Bytes> P384PrivateKey::Sign(ByteSpan message, EcdsaSignatureFormat format) const {
  UniqueEvpMdCtx ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx ||
      EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA384", nullptr, nullptr, impl_->pkey.get(),
                            nullptr) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1) {
    return OpenSslError(StatusCode::kInternal, "p384: sign init failed");
  }
  Bytes der(len);
  if (EVP_DigestSign(ctx.get(), der.data(), &len, message.data(), message.size()) != 1) {
    return OpenSslError(StatusCode::kInternal, "p384: signing failed");
  }
  der.resize(len);
  if (format == EcdsaSignatureFormat::kDer) return der;
  return DerToRaw(der);
}

StatusOr<Bytes> IssueRootCertificate(const P384PrivateKey& key, const CertificateParams& params) {
  RETURN_IF_ERROR(CheckParams(params));
  if (params.role != CertificateRole::kCa) {
    return InvalidArgumentError("x509 issue: a root certificate must be a CA");
  }
  EVP_PKEY* pkey = P384KeyAccess::Pkey(key);
  ASSIGN_OR_RETURN(UniqueX509 cert, NewCertificate(params, pkey));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1) {
    return OpenSslError(StatusCode::kInternal, "x509 issue: cannot set issuer");
  }
  RETURN_IF_ERROR(AddExtensions(cert.get(), cert.get(), params));
  return SignAndEncode(cert.get(), pkey);
}

StatusOr<Bytes> IssueCertificate(const P384PrivateKey& issuer_key, ByteSpan issuer_der,
                                 ByteSpan subject_spki_der, const CertificateParams& params) {
  RETURN_IF_ERROR(CheckParams(params));
  EVP_PKEY* signer = P384KeyAccess::Pkey(issuer_key);
  ASSIGN_OR_RETURN(UniqueX509 issuer, ParseCertificateDer(issuer_der, "issuer certificate"));
  RETURN_IF_ERROR(CheckIssuer(issuer.get(), signer, params));
  ASSIGN_OR_RETURN(UniqueEvpPkey subject_key, ParseSubjectKey(subject_spki_der));
  ASSIGN_OR_RETURN(UniqueX509 cert, NewCertificate(params, subject_key.get()));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer.get())) != 1) {
    return OpenSslError(StatusCode::kInternal, "x509 issue: cannot set issuer");
  }
  RETURN_IF_ERROR(AddExtensions(cert.get(), issuer.get(), params));
  return SignAndEncode(cert.get(), signer);
}

}  // namespace eml::crypto
