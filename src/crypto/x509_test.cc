#include "crypto/x509.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/x509_internal.h"
#include "tests/testing.h"

namespace eml::crypto {
namespace {

constexpr int64_t kT0 = 1700000000;  // 2023-11-14
constexpr int64_t kDay = 86400;

struct CertSpec {
  std::string cn;
  int64_t not_before;
  int64_t not_after;
  std::string basic_constraints;  // e.g. "critical,CA:TRUE" or "critical,CA:FALSE"
  std::string key_usage;          // e.g. "critical,keyCertSign,cRLSign"
  std::string subject_key_id = "hash";  // or hex "AB:CD:..."
};

struct Issued {
  EVP_PKEY* key = nullptr;  // owned by the test fixture
  X509* cert = nullptr;
  Bytes der;
};

class X509ChainTest : public ::testing::Test {
 protected:
  ~X509ChainTest() override {
    for (X509* c : certs_) X509_free(c);
    for (EVP_PKEY* k : keys_) EVP_PKEY_free(k);
  }

  void AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
    ASSERT_NE(ext, nullptr) << value;
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }

  // Issues a P-384 certificate signed by `issuer` (nullptr: self-signed).
  Issued Issue(const CertSpec& spec, const Issued* issuer) {
    Issued out;
    out.key = EVP_EC_gen("secp384r1");
    keys_.push_back(out.key);
    X509* cert = X509_new();
    certs_.push_back(cert);
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), static_cast<long>(certs_.size()));
    ASN1_TIME_set(X509_getm_notBefore(cert), static_cast<time_t>(spec.not_before));
    ASN1_TIME_set(X509_getm_notAfter(cert), static_cast<time_t>(spec.not_after));
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1, -1, 0);
    X509* issuer_cert = issuer ? issuer->cert : cert;
    X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert));
    X509_set_pubkey(cert, out.key);
    AddExt(cert, issuer_cert, NID_basic_constraints, spec.basic_constraints);
    AddExt(cert, issuer_cert, NID_key_usage, spec.key_usage);
    AddExt(cert, issuer_cert, NID_subject_key_identifier, spec.subject_key_id);
    AddExt(cert, issuer_cert, NID_authority_key_identifier, "keyid:always");
    EXPECT_GT(X509_sign(cert, issuer ? issuer->key : out.key, EVP_sha384()), 0);
    out.cert = cert;
    unsigned char* der = nullptr;
    int len = i2d_X509(cert, &der);
    out.der.assign(der, der + len);
    OPENSSL_free(der);
    return out;
  }

  // root [T0, T0+10y] -> intermediate [T0+1d, T0+5y] -> leaf [T0+2d, T0+1y].
  void BuildChain(const std::string& intermediate_bc = "critical,CA:TRUE",
                  const std::string& intermediate_ku = "critical,keyCertSign,cRLSign",
                  const std::string& root_bc = "critical,CA:TRUE") {
    root_ = Issue({"Root", kT0, kT0 + 3650 * kDay, root_bc, "critical,keyCertSign,cRLSign"},
                  nullptr);
    intermediate_ = Issue({"Intermediate", kT0 + kDay, kT0 + 1825 * kDay, intermediate_bc,
                           intermediate_ku},
                          &root_);
    leaf_ = Issue({"Leaf", kT0 + 2 * kDay, kT0 + 365 * kDay, "critical,CA:FALSE",
                   "critical,digitalSignature"},
                  &intermediate_);
  }

  StatusOr<VerifiedChain> Verify(int64_t time) {
    std::vector<Bytes> intermediates = {intermediate_.der};
    std::vector<Bytes> roots = {root_.der};
    return VerifyCertificateChain(leaf_.der, intermediates, roots, time);
  }

  std::vector<X509*> certs_;
  std::vector<EVP_PKEY*> keys_;
  Issued root_, intermediate_, leaf_;
};

TEST_F(X509ChainTest, ValidChainAtCallerTime) {
  BuildChain();
  auto chain = Verify(kT0 + 10 * kDay);
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  EXPECT_EQ(chain->chain_length, 3u);
  EXPECT_EQ(chain->leaf_not_before, kT0 + 2 * kDay);
  EXPECT_EQ(chain->leaf_not_after, kT0 + 365 * kDay);
  auto info = ParseCertificate(leaf_.der);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(chain->leaf_spki_der, info->spki_der);
  EXPECT_FALSE(info->is_ca);
  EXPECT_FALSE(info->self_signed);
}

TEST_F(X509ChainTest, TimeIsTheCallersNotTheWallClock) {
  BuildChain();
  EXPECT_EQ(Verify(kT0 + 2 * kDay - 1).status().code(), StatusCode::kVerificationFailed);
  EXPECT_TRUE(Verify(kT0 + 2 * kDay).ok());
  EXPECT_TRUE(Verify(kT0 + 365 * kDay - 1).ok());
  EXPECT_EQ(Verify(kT0 + 365 * kDay + 1).status().code(), StatusCode::kVerificationFailed);
  // The wall clock today is past the leaf's notAfter, so the OK results
  // above show the caller's time is used; a later caller time fails.
  EXPECT_EQ(Verify(kT0 + 3000 * kDay).status().code(), StatusCode::kVerificationFailed);
}

TEST_F(X509ChainTest, IntermediateWithoutCaIsRejected) {
  BuildChain("critical,CA:FALSE");
  EXPECT_EQ(Verify(kT0 + 10 * kDay).status().code(), StatusCode::kVerificationFailed);
}

TEST_F(X509ChainTest, IntermediateWithoutKeyCertSignIsRejected) {
  BuildChain("critical,CA:TRUE", "critical,digitalSignature,cRLSign");
  EXPECT_EQ(Verify(kT0 + 10 * kDay).status().code(), StatusCode::kVerificationFailed);
}

TEST_F(X509ChainTest, PathLengthIsEnforced) {
  BuildChain("critical,CA:TRUE", "critical,keyCertSign,cRLSign", "critical,CA:TRUE,pathlen:0");
  EXPECT_EQ(Verify(kT0 + 10 * kDay).status().code(), StatusCode::kVerificationFailed);
}

TEST_F(X509ChainTest, WrongRootIsRejected) {
  BuildChain();
  Issued other_root =
      Issue({"Root", kT0, kT0 + 3650 * kDay, "critical,CA:TRUE", "critical,keyCertSign,cRLSign"},
            nullptr);
  std::vector<Bytes> intermediates = {intermediate_.der};
  std::vector<Bytes> roots = {other_root.der};
  EXPECT_EQ(VerifyCertificateChain(leaf_.der, intermediates, roots, kT0 + 10 * kDay).status().code(),
            StatusCode::kVerificationFailed);
  // Missing intermediate.
  roots = {root_.der};
  EXPECT_EQ(VerifyCertificateChain(leaf_.der, {}, roots, kT0 + 10 * kDay).status().code(),
            StatusCode::kVerificationFailed);
}

TEST_F(X509ChainTest, TamperedSignatureIsRejected) {
  BuildChain();
  Bytes bad = leaf_.der;
  bad[bad.size() - 3] ^= 0x01;  // inside the signature value
  std::vector<Bytes> intermediates = {intermediate_.der};
  std::vector<Bytes> roots = {root_.der};
  EXPECT_FALSE(VerifyCertificateChain(bad, intermediates, roots, kT0 + 10 * kDay).ok());
  // Trailing bytes and truncation are parse errors.
  Bytes trailing = leaf_.der;
  trailing.push_back(0);
  EXPECT_EQ(ParseCertificate(trailing).status().code(), StatusCode::kInvalidArgument);
  for (size_t len = 0; len < leaf_.der.size(); len += 3) {
    EXPECT_FALSE(ParseCertificate(ByteSpan(leaf_.der).first(len)).ok()) << len;
  }
}

// The signature memo (x509_verify.cc) skips P-384 verifications of links
// that verified before; it must never turn a bad signature into a good one.
TEST_F(X509ChainTest, MemoisedLinksStillRejectABadSignature) {
  BuildChain();
  internal::SignatureMemo& memo = internal::CertificateSignatureMemo();
  ASSERT_TRUE(Verify(kT0 + 10 * kDay).ok());
  const uint64_t hits = memo.hits();
  ASSERT_TRUE(Verify(kT0 + 10 * kDay).ok());
  EXPECT_EQ(memo.hits(), hits + 2);  // root -> intermediate and intermediate -> leaf
  std::vector<Bytes> intermediates = {intermediate_.der};
  std::vector<Bytes> roots = {root_.der};
  // The same leaf with its signature altered, right after the good one was
  // remembered.
  Bytes bad = leaf_.der;
  bad[bad.size() - 3] ^= 0x01;
  EXPECT_EQ(VerifyCertificateChain(bad, intermediates, roots, kT0 + 10 * kDay).status().code(),
            StatusCode::kVerificationFailed);
  // The remembered leaf under an impostor intermediate: same name, same
  // subject key identifier (so the chain builds), another key.
  const ASN1_OCTET_STRING* skid = X509_get0_subject_key_id(intermediate_.cert);
  ASSERT_NE(skid, nullptr);
  char* skid_hex = OPENSSL_buf2hexstr(ASN1_STRING_get0_data(skid), ASN1_STRING_length(skid));
  const std::string skid_text = skid_hex;
  OPENSSL_free(skid_hex);
  Issued impostor = Issue({"Intermediate", kT0 + kDay, kT0 + 1825 * kDay, "critical,CA:TRUE",
                           "critical,keyCertSign,cRLSign", skid_text},
                          &root_);
  intermediates = {impostor.der};
  EXPECT_EQ(VerifyCertificateChain(leaf_.der, intermediates, roots, kT0 + 10 * kDay).status().code(),
            StatusCode::kVerificationFailed);
  // Validity is still checked for links the memo knows.
  EXPECT_EQ(Verify(kT0 + 365 * kDay + 1).status().code(), StatusCode::kVerificationFailed);
  EXPECT_EQ(Verify(kT0 + 2 * kDay - 1).status().code(), StatusCode::kVerificationFailed);
  EXPECT_TRUE(Verify(kT0 + 10 * kDay).ok());
}

TEST_F(X509ChainTest, MemoisedLinksStillCheckKeyUsage) {
  BuildChain("critical,CA:TRUE", "critical,digitalSignature,cRLSign");
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(Verify(kT0 + 10 * kDay).status().code(), StatusCode::kVerificationFailed);
  }
}

// Parsed certificates and remembered signatures are shared by every thread
// (an enclave serves sessions on several); concurrent verifications of the
// same and of tampered chains must each get their own, right answer.
TEST_F(X509ChainTest, ConcurrentVerificationsShareTheMemos) {
  BuildChain();
  Bytes bad = leaf_.der;
  bad[bad.size() - 3] ^= 0x01;
  const std::vector<Bytes> intermediates = {intermediate_.der};
  const std::vector<Bytes> roots = {root_.der};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        const bool tampered = (i + t) % 3 == 0;
        const bool ok = VerifyCertificateChain(tampered ? bad : leaf_.der, intermediates, roots,
                                               kT0 + 10 * kDay)
                            .ok();
        if (ok == tampered) wrong.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(SignatureMemoTest, IsBoundedAndForgetsTheOldest) {
  internal::SignatureMemo memo(4);
  auto key = [](uint8_t i) {
    internal::SignatureMemo::Key k{};
    k[0] = i;
    return k;
  };
  for (uint8_t i = 0; i < 10; ++i) {
    memo.Remember(key(i));
    memo.Remember(key(i));  // a repeat takes no second slot
    EXPECT_LE(memo.size(), 4u);
  }
  EXPECT_EQ(memo.size(), 4u);
  for (uint8_t i = 0; i < 6; ++i) EXPECT_FALSE(memo.Contains(key(i))) << int{i};
  for (uint8_t i = 6; i < 10; ++i) EXPECT_TRUE(memo.Contains(key(i))) << int{i};
  EXPECT_EQ(memo.hits(), 4u);
  EXPECT_EQ(internal::CertificateSignatureMemo().capacity(), 1024u);
}

TEST(X509Test, AwsNitroRootIsSelfSignedAndVerifiesAlone) {
  const Bytes root = eml::testing::ReadFileOrFail(
      eml::testing::SharedPath("vectors/nitro/aws_nitro_root_ca.der"));
  auto info = ParseCertificate(root);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(info->is_ca);
  EXPECT_TRUE(info->self_signed);
  // Published validity: 2019-10-28T13:28:05Z .. 2049-10-28T14:28:05Z.
  EXPECT_EQ(info->not_before, 1572269285);
  EXPECT_EQ(info->not_after, 2519044085);
  std::vector<Bytes> roots = {root};
  auto chain = VerifyCertificateChain(root, {}, roots, 1725667200);  // 2024-09-07
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  EXPECT_EQ(chain->chain_length, 1u);
  EXPECT_EQ(chain->leaf_spki_der, info->spki_der);
  EXPECT_FALSE(VerifyCertificateChain(root, {}, roots, info->not_after + 1).ok());
  EXPECT_FALSE(VerifyCertificateChain(root, {}, roots, info->not_before - 1).ok());
}

}  // namespace
}  // namespace eml::crypto
