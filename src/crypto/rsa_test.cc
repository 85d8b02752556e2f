#include "crypto/rsa.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "tests/testing.h"

namespace eml::crypto {
namespace {

// Encrypts with OpenSSL directly to the exported SPKI: an independent path
// from the code under test. `md` selects the OAEP/MGF1 hash.
Bytes OaepEncrypt(const Bytes& spki, ByteSpan plaintext, const EVP_MD* md) {
  const unsigned char* p = spki.data();
  EVP_PKEY* pub = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size()));
  EVP_PKEY_CTX* ctx = pub ? EVP_PKEY_CTX_new(pub, nullptr) : nullptr;
  Bytes out(512);
  size_t len = out.size();
  bool ok = ctx && EVP_PKEY_encrypt_init(ctx) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
            EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) == 1 && EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) == 1 &&
            EVP_PKEY_encrypt(ctx, out.data(), &len, plaintext.data(), plaintext.size()) == 1;
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(pub);
  EXPECT_TRUE(ok);
  out.resize(ok ? len : 0);
  return out;
}

TEST(RsaTest, OaepSha256RoundTripAndTamper) {
  auto key = RsaPrivateKey::Generate2048();
  ASSERT_TRUE(key.ok());
  const Bytes spki = key->PublicKeySpkiDer();
  const Bytes secret = ToBytes("32-byte data key for the enclave");
  const Bytes ct = OaepEncrypt(spki, secret, EVP_sha256());
  ASSERT_EQ(ct.size(), kRsa2048ModulusSize);
  auto pt = key->DecryptOaepSha256(ct);
  ASSERT_TRUE(pt.ok()) << pt.status().ToString();
  EXPECT_EQ(Bytes(pt->RevealSecret().begin(), pt->RevealSecret().end()), secret);

  for (size_t i = 0; i < ct.size(); i += 5) {
    Bytes bad = ct;
    bad[i] ^= 0x01;
    EXPECT_EQ(key->DecryptOaepSha256(bad).status().code(), StatusCode::kVerificationFailed) << i;
  }
  EXPECT_EQ(key->DecryptOaepSha256(ByteSpan(ct).first(255)).status().code(),
            StatusCode::kInvalidArgument);
  // OAEP with SHA-1 is a different scheme: must not decrypt.
  EXPECT_FALSE(key->DecryptOaepSha256(OaepEncrypt(spki, secret, EVP_sha1())).ok());
  // Another key cannot decrypt.
  auto other = RsaPrivateKey::Generate2048();
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->DecryptOaepSha256(ct).status().code(), StatusCode::kVerificationFailed);
}

TEST(RsaTest, FromPem) {
  const std::string pem = eml::testing::ReadTextOrFail(
      eml::testing::SharedPath("vectors/kms/nitrocontrol-e2e/recipient_rsa2048_private_key.pem"));
  auto key = RsaPrivateKey::FromPem(pem);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_GT(key->PublicKeySpkiDer().size(), 256u);
  EXPECT_EQ(RsaPrivateKey::FromPem("not a pem").status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(RsaPrivateKey::FromPem(pem.substr(0, pem.size() / 2)).ok());

  // A 1024-bit key is refused.
  EVP_PKEY* small = EVP_RSA_gen(1024);
  ASSERT_NE(small, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio, small, nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string small_pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(small);
  EXPECT_EQ(RsaPrivateKey::FromPem(small_pem).status().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace eml::crypto
