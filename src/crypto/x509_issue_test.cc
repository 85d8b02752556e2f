// Tests for crypto/x509_issue.h: PKCS#8 persistence against keys and
// signatures made by the openssl CLI, and issued chains checked two ways:
// by crypto/x509.h's chain verification at given times, and field by field
// with OpenSSL's own accessors (this file lives in src/crypto, the one place
// allowed to include OpenSSL), with the key identifiers recomputed here.
#include "crypto/x509_issue.h"

#include <string>

#include <gtest/gtest.h>
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/x509.h"
#include "tests/testing.h"

namespace eml::crypto {
namespace {

using eml::testing::Hex;

// Produced with OpenSSL 3.0 (outside this code):
//   openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384
//       -pkeyopt ec_param_enc:named_curve -outform DER -out k384.der   (one line)
//   openssl pkcs8 -topk8 -nocrypt -inform DER -in k384.der -outform DER -out k384.p8
//   openssl pkey -inform DER -in k384.p8 -pubout -outform DER        (kSpki)
//   printf 'EphemeralML dev evidence' > msg
//   openssl dgst -sha384 -sign k384.p8 -keyform DER -out sig.der msg  (kOpenSslSig)
// Test-only key: never used for anything else.
constexpr char kPkcs8[] =
    "3081b6020100301006072a8648ce3d020106052b8104002204819e30819b0201010430d745257a1cf3337ea81c56"
    "7cad90c29b81e677dacd643992969323b69feeebd628ee43f5089b27dea028557832a2fc10a16403620004"
    "28deb47fa76d06566fcb8db27263609849c7492f192627f0537d4cb798d68aa72dfd2d5147d3fc314b1a8df2"
    "7122e462351871402c70b53475396082fb26837420d00e057dba9870f1c16bbeb059bfe27e166b527fc038af"
    "9861dab79aabc32d";
constexpr char kSpki[] =
    "3076301006072a8648ce3d020106052b810400220362000428deb47fa76d06566fcb8db27263609849c7492f"
    "192627f0537d4cb798d68aa72dfd2d5147d3fc314b1a8df27122e462351871402c70b53475396082fb2683"
    "7420d00e057dba9870f1c16bbeb059bfe27e166b527fc038af9861dab79aabc32d";
constexpr char kMessage[] = "EphemeralML dev evidence";
constexpr char kOpenSslSig[] =
    "3066023100a8791d2485efaa421c5fae52dd727ba32ee8565ea6c562ee37f741d1b75a1b68b68edc95abe86c"
    "de16116ceedd72f53c023100ebda049879b3418fab4d253ad79f40dc2aa0f40902087f45c2cedb868a6639"
    "1296aa14514aa24eafa97cf565654585fc";
// Same commands with ec_paramgen_curve:P-256, then with P-384 and
// -pkeyopt ec_param_enc:explicit.
constexpr char kP256Pkcs8[] =
    "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b02010104205debc29d0443ed98"
    "427ad0e4130f331970ec806864450e9b9bcecaabd6a7a396a1440342000408c8944c275c7b056781a3a5b2"
    "c91f5363a62868f3eb04c67a4c4f7b30fb70e9023c2bc5f0edbb635c98a7d6d618bdfab2225d00eaefaa40"
    "cc7d6c76f9204bee";
constexpr char kExplicitP384Pkcs8[] =
    "3082020c0201003082016406072a8648ce3d020130820157020101303c06072a8648ce3d0101023100ffffff"
    "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffff"
    "ffff307b0430fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff00"
    "00000000000000fffffffc0430b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013"
    "875ac656398d8a2ed19d2a85c8edd3ec2aef031500a335926aa319a27a1d00896a6773a4827acdac7304"
    "6104aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a"
    "545e3872760ab73617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce"
    "1d7e819d7a431d7c90ea0e5f023100ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81"
    "f4372ddf581a0db248b0a77aecec196accc5297302010104819e30819b020101043047d30e9e92f3ea3bae"
    "d4708cdc9f1cd283d9cb75c54a586ee06accdc35000ed3ff5f85cc531c2704ffee15461260452fa1640362"
    "0004b6f4992c9d91255ffbfa87e906b6b28a6a09381ffd466696c46baa05cd77aa22911d5cd1e9a3992406"
    "c104bffcc8e1318bd98035174b745417c7dbfcd3aba816cc1aa4ccaab597f2c980d93f7b8e010bd8cd436d"
    "33aeaac97062e17b019b0a62";

constexpr int64_t kT0 = 1795219200;  // 2026-11-21T00:00:00Z
constexpr int64_t kDay = 86400;

struct X509Deleter { void operator()(X509* p) const { X509_free(p); } };
using UniqueX509 = std::unique_ptr<X509, X509Deleter>;

UniqueX509 Parse(const Bytes& der) {
  const unsigned char* p = der.data();
  UniqueX509 cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  EXPECT_TRUE(cert && p == der.data() + der.size());
  return cert;
}

P384PrivateKey NewKey() {
  StatusOr<P384PrivateKey> key = P384PrivateKey::Generate();
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return *std::move(key);
}

CertificateParams Ca(const char* cn, int64_t from, int64_t to, int path_length) {
  return {.common_name = cn, .organization = "EphemeralML test", .not_before = from,
          .not_after = to, .role = CertificateRole::kCa, .path_length = path_length};
}
CertificateParams Leaf(const char* cn, int64_t from, int64_t to) {
  return {.common_name = cn, .not_before = from, .not_after = to, .role = CertificateRole::kLeaf};
}

struct Chain {
  P384PrivateKey root_key = NewKey(), mid_key = NewKey(), leaf_key = NewKey();
  Bytes root, mid, leaf;
};

// root [T0, T0+20y] -> intermediate [T0+100, T0+10y] -> leaf [T0+200, T0+1d].
Chain MakeChain() {
  Chain c;
  StatusOr<Bytes> root = IssueRootCertificate(c.root_key, Ca("Test root", kT0, kT0 + 7305 * kDay, 1));
  EXPECT_TRUE(root.ok()) << root.status().ToString();
  c.root = *root;
  StatusOr<Bytes> mid = IssueCertificate(c.root_key, c.root, c.mid_key.SpkiDer(),
                                         Ca("Test intermediate", kT0 + 100, kT0 + 3652 * kDay, 0));
  EXPECT_TRUE(mid.ok()) << mid.status().ToString();
  c.mid = *mid;
  StatusOr<Bytes> leaf =
      IssueCertificate(c.mid_key, c.mid, c.leaf_key.SpkiDer(), Leaf("Test leaf", kT0 + 200, kT0 + kDay));
  EXPECT_TRUE(leaf.ok()) << leaf.status().ToString();
  c.leaf = *leaf;
  return c;
}

StatusCode VerifyAt(const Chain& c, int64_t t) {
  const Bytes intermediates[] = {c.mid};
  const Bytes roots[] = {c.root};
  return VerifyCertificateChain(c.leaf, intermediates, roots, t).status().code();
}

// RFC 5280 4.2.1.2 method 1: SHA-1 over the subjectPublicKey BIT STRING value.
Bytes KeyIdOf(X509* cert) {
  const ASN1_BIT_STRING* bits = X509_get0_pubkey_bitstr(cert);
  Bytes out(SHA_DIGEST_LENGTH);
  SHA1(bits->data, static_cast<size_t>(bits->length), out.data());
  return out;
}

Bytes ToBytes(const ASN1_OCTET_STRING* s) {
  return s == nullptr ? Bytes() : Bytes(s->data, s->data + s->length);
}

TEST(P384KeyTest, LoadsAnOpenSslPkcs8Key) {
  StatusOr<P384PrivateKey> key = P384PrivateKey::FromPkcs8Der(Hex(kPkcs8));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->SpkiDer(), Hex(kSpki));
  // The openssl CLI's signature verifies with our view of the public key...
  EXPECT_TRUE(key->PublicKey().Verify(AsBytes(kMessage), Hex(kOpenSslSig), EcdsaSignatureFormat::kDer).ok());
  // ...and our signatures verify with the key built from openssl's SPKI.
  StatusOr<EcdsaPublicKey> theirs = EcdsaPublicKey::FromSpkiDer(Hex(kSpki));
  ASSERT_TRUE(theirs.ok());
  for (EcdsaSignatureFormat format : {EcdsaSignatureFormat::kRawRS, EcdsaSignatureFormat::kDer}) {
    StatusOr<Bytes> sig = key->Sign(AsBytes(kMessage), format);
    ASSERT_TRUE(sig.ok()) << sig.status().ToString();
    if (format == EcdsaSignatureFormat::kRawRS) {
      EXPECT_EQ(sig->size(), 96u);
    }
    EXPECT_TRUE(theirs->Verify(AsBytes(kMessage), *sig, format).ok());
    EXPECT_FALSE(theirs->Verify(AsBytes("another message"), *sig, format).ok());
  }
}

TEST(P384KeyTest, Pkcs8RoundTrip) {
  P384PrivateKey key = NewKey();
  StatusOr<SecretBytes> der = key.ToPkcs8Der();
  ASSERT_TRUE(der.ok()) << der.status().ToString();
  StatusOr<P384PrivateKey> again = P384PrivateKey::FromPkcs8Der(der->RevealSecret());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->SpkiDer(), key.SpkiDer());
  StatusOr<Bytes> sig = again->Sign(AsBytes(kMessage), EcdsaSignatureFormat::kRawRS);
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(key.PublicKey().Verify(AsBytes(kMessage), *sig, EcdsaSignatureFormat::kRawRS).ok());
  // A different key does not verify it.
  EXPECT_FALSE(NewKey().PublicKey().Verify(AsBytes(kMessage), *sig, EcdsaSignatureFormat::kRawRS).ok());
}

TEST(P384KeyTest, RejectsOtherKeysAndDamagedDer) {
  EXPECT_EQ(P384PrivateKey::FromPkcs8Der(Hex(kP256Pkcs8)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(P384PrivateKey::FromPkcs8Der(Hex(kExplicitP384Pkcs8)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(P384PrivateKey::FromPkcs8Der({}).ok());
  EXPECT_EQ(P384PrivateKey::FromPkcs8Der(Bytes(1025, 0x30)).status().code(), StatusCode::kInvalidArgument);
  const Bytes good = Hex(kPkcs8);
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_FALSE(P384PrivateKey::FromPkcs8Der(trailing).ok());
  for (size_t len = 0; len < good.size(); ++len) {
    EXPECT_FALSE(P384PrivateKey::FromPkcs8Der(ByteSpan(good).first(len)).ok()) << len;
  }
  // A changed private scalar no longer matches the embedded public key
  // (offset 40 is inside the 48-byte scalar that starts at offset 38).
  Bytes bad_scalar = good;
  bad_scalar[40] ^= 0x01;
  EXPECT_FALSE(P384PrivateKey::FromPkcs8Der(bad_scalar).ok());
  // Messages never echo key bytes.
  const std::string message = P384PrivateKey::FromPkcs8Der(bad_scalar).status().message();
  EXPECT_EQ(message.find("d745"), std::string::npos);
}

TEST(X509IssueTest, ChainVerifiesInsideEveryWindowOnly) {
  const Chain c = MakeChain();
  EXPECT_EQ(VerifyAt(c, kT0 + 200), StatusCode::kOk);
  EXPECT_EQ(VerifyAt(c, kT0 + 3600), StatusCode::kOk);
  EXPECT_EQ(VerifyAt(c, kT0 + kDay - 1), StatusCode::kOk);
  // OpenSSL treats the notAfter second itself as expired (X509_cmp_time).
  EXPECT_EQ(VerifyAt(c, kT0 + kDay), StatusCode::kVerificationFailed);
  EXPECT_EQ(VerifyAt(c, kT0 + 199), StatusCode::kVerificationFailed);  // leaf not yet valid
  EXPECT_EQ(VerifyAt(c, kT0 + kDay + 1), StatusCode::kVerificationFailed);  // leaf expired
  EXPECT_EQ(VerifyAt(c, kT0 - 1), StatusCode::kVerificationFailed);
  // Another root with the same name does not anchor the chain.
  Chain other = MakeChain();
  const Bytes intermediates[] = {c.mid};
  const Bytes roots[] = {other.root};
  EXPECT_EQ(VerifyCertificateChain(c.leaf, intermediates, roots, kT0 + 3600).status().code(),
            StatusCode::kVerificationFailed);
}

TEST(X509IssueTest, ParsedFlagsMatch) {
  const Chain c = MakeChain();
  StatusOr<CertificateInfo> root = ParseCertificate(c.root);
  StatusOr<CertificateInfo> mid = ParseCertificate(c.mid);
  StatusOr<CertificateInfo> leaf = ParseCertificate(c.leaf);
  ASSERT_TRUE(root.ok() && mid.ok() && leaf.ok());
  EXPECT_TRUE(root->is_ca && root->self_signed);
  EXPECT_TRUE(mid->is_ca && !mid->self_signed);
  EXPECT_FALSE(leaf->is_ca || leaf->self_signed);
  EXPECT_EQ(leaf->spki_der, c.leaf_key.SpkiDer());
  EXPECT_EQ(leaf->not_before, kT0 + 200);
  EXPECT_EQ(leaf->not_after, kT0 + kDay);
}

void ExpectCommonFields(X509* cert, X509* issuer) {
  EXPECT_EQ(X509_get_version(cert), X509_VERSION_3);
  EXPECT_EQ(X509_get_signature_nid(cert), NID_ecdsa_with_SHA384);
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  EXPECT_EQ(serial->length, 16);
  EXPECT_EQ(serial->type, V_ASN1_INTEGER);  // positive
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(issuer)), 0);
  EXPECT_EQ(ToBytes(X509_get0_subject_key_id(cert)), KeyIdOf(cert));
  EXPECT_EQ(ToBytes(X509_get0_authority_key_id(cert)), KeyIdOf(issuer));
  for (int nid : {NID_basic_constraints, NID_key_usage}) {
    const int at = X509_get_ext_by_NID(cert, nid, -1);
    ASSERT_GE(at, 0) << nid;
    EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(cert, at)), 1) << nid;
  }
  EXPECT_EQ(X509_get_extension_flags(cert) & EXFLAG_INVALID, 0u);
}

TEST(X509IssueTest, ExtensionsAsSpecified) {
  const Chain c = MakeChain();
  UniqueX509 root = Parse(c.root), mid = Parse(c.mid), leaf = Parse(c.leaf);
  ExpectCommonFields(root.get(), root.get());
  ExpectCommonFields(mid.get(), root.get());
  ExpectCommonFields(leaf.get(), mid.get());
  EXPECT_NE(X509_get_extension_flags(root.get()) & EXFLAG_CA, 0u);
  EXPECT_EQ(X509_get_pathlen(root.get()), 1);
  EXPECT_EQ(X509_get_pathlen(mid.get()), 0);
  EXPECT_EQ(X509_get_extension_flags(leaf.get()) & EXFLAG_CA, 0u);
  EXPECT_EQ(X509_get_pathlen(leaf.get()), -1);
  EXPECT_EQ(X509_get_key_usage(root.get()), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_EQ(X509_get_key_usage(mid.get()), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_EQ(X509_get_key_usage(leaf.get()), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(root.get()), X509_get0_serialNumber(mid.get())), 0);
  // Subject names carry exactly what was asked for.
  char cn[80] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(leaf.get()), NID_commonName, cn, sizeof cn);
  EXPECT_STREQ(cn, "Test leaf");
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(leaf.get())), 1);  // no O given
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(root.get())), 2);
}

TEST(X509IssueTest, TimeEncodingFollowsRfc5280) {
  P384PrivateKey key = NewKey();
  // 2049-12-31T23:59:59Z is the last UTCTime; 2050-01-01T00:00:00Z is GeneralizedTime.
  StatusOr<Bytes> der = IssueRootCertificate(key, Ca("Time test", 2524607999, 2524608000, -1));
  ASSERT_TRUE(der.ok()) << der.status().ToString();
  UniqueX509 cert = Parse(*der);
  EXPECT_EQ(ASN1_STRING_type(X509_get0_notBefore(cert.get())), V_ASN1_UTCTIME);
  EXPECT_EQ(ASN1_STRING_type(X509_get0_notAfter(cert.get())), V_ASN1_GENERALIZEDTIME);
  EXPECT_EQ(X509_get_pathlen(cert.get()), -1);  // unconstrained
  StatusOr<CertificateInfo> info = ParseCertificate(*der);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->not_before, 2524607999);
  EXPECT_EQ(info->not_after, 2524608000);
}

TEST(X509IssueTest, IssuerRulesAreEnforced) {
  const Chain c = MakeChain();
  const Bytes subject = NewKey().SpkiDer();
  // A leaf cannot issue; a key that is not the issuer's cannot sign as it.
  EXPECT_EQ(IssueCertificate(c.leaf_key, c.leaf, subject, Leaf("x", kT0, kT0 + 10)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(IssueCertificate(c.root_key, c.mid, subject, Leaf("x", kT0, kT0 + 10)).status().code(),
            StatusCode::kInvalidArgument);
  // Path length 0 forbids a CA below the intermediate, not a leaf.
  EXPECT_EQ(IssueCertificate(c.mid_key, c.mid, subject, Ca("x", kT0, kT0 + 10, -1)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(IssueCertificate(c.mid_key, c.mid, subject, Leaf("x", kT0, kT0 + 10)).ok());
  // Malformed issuer or subject.
  Bytes truncated = c.mid;
  truncated.pop_back();
  EXPECT_FALSE(IssueCertificate(c.mid_key, truncated, subject, Leaf("x", kT0, kT0 + 10)).ok());
  EXPECT_FALSE(IssueCertificate(c.mid_key, c.mid, Bytes{0x30, 0x00}, Leaf("x", kT0, kT0 + 10)).ok());
}

TEST(X509IssueTest, ParamsAreChecked) {
  P384PrivateKey key = NewKey();
  auto code = [&](const CertificateParams& p) { return IssueRootCertificate(key, p).status().code(); };
  EXPECT_EQ(code(Ca("ok", kT0, kT0 + 1, 0)), StatusCode::kOk);
  EXPECT_EQ(code(Ca("", kT0, kT0 + 1, 0)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Ca(std::string(65, 'a').c_str(), kT0, kT0 + 1, 0)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Ca("x", kT0, kT0, 0)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Ca("x", kT0 + 1, kT0, 0)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Ca("x", -1, kT0, 0)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Ca("x", kT0, 253402300800, 0)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Ca("x", kT0, kT0 + 1, 9)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Ca("\xff", kT0, kT0 + 1, 0)), StatusCode::kInvalidArgument);  // not UTF-8
  CertificateParams leaf_with_path = Leaf("x", kT0, kT0 + 1);
  leaf_with_path.path_length = 0;
  EXPECT_EQ(IssueCertificate(key, *IssueRootCertificate(key, Ca("r", kT0, kT0 + 9, -1)),
                             NewKey().SpkiDer(), leaf_with_path).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Leaf("root must be a CA", kT0, kT0 + 1)), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace eml::crypto
