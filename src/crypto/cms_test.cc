#include "crypto/cms.h"

#include <string>

#include <gtest/gtest.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "tests/testing.h"

namespace eml::crypto {
namespace {

using eml::testing::ReadFileOrFail;
using eml::testing::SharedPath;

Bytes Reveal(const SecretBytes& s) { return Bytes(s.RevealSecret().begin(), s.RevealSecret().end()); }

// The SDK's own expected parse outputs (extracted to .bin files).
void ExpectSdkParse(const std::string& stem) {
  SCOPED_TRACE(stem);
  const Bytes ber = ReadFileOrFail(SharedPath("vectors/kms/" + stem + ".ber"));
  auto parts = ParseCmsEnvelopedData(ber);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  EXPECT_EQ(parts->encrypted_key, ReadFileOrFail(SharedPath("vectors/kms/" + stem + ".encrypted_key.bin")));
  EXPECT_EQ(parts->iv, ReadFileOrFail(SharedPath("vectors/kms/" + stem + ".iv.bin")));
  EXPECT_EQ(parts->ciphertext, ReadFileOrFail(SharedPath("vectors/kms/" + stem + ".ciphertext.bin")));
  EXPECT_EQ(parts->encrypted_key.size(), 256u);
  EXPECT_EQ(parts->recipient_key_id.size(), 32u);
  // Every truncation is an error, never a crash.
  for (size_t len = 0; len < ber.size(); ++len) {
    EXPECT_FALSE(ParseCmsEnvelopedData(ByteSpan(ber).first(len)).ok()) << len;
  }
  // A key that is not the recipient is refused with a clear status.
  auto key = RsaPrivateKey::Generate2048();
  ASSERT_TRUE(key.ok());
  auto result = DecryptCmsEnvelopedData(ber, *key);
  EXPECT_EQ(result.status().code(), StatusCode::kVerificationFailed);
  EXPECT_EQ(result.status().message(), "cms: envelope is addressed to a different key");
}

TEST(CmsTest, ParsesRealKmsEnvelopes) {
  ExpectSdkParse("cms_kms_envelope_1");        // indefinite [0] content
  ExpectSdkParse("cms_kms_envelope_2_ctx");    // primitive [0] content
}

TEST(CmsTest, DecryptsRealKmsEnvelopeEndToEnd) {
  const std::string dir = "vectors/kms/nitrocontrol-e2e/";
  const Bytes ber = ReadFileOrFail(SharedPath(dir + "ciphertext_for_recipient.ber"));
  std::string b64 = eml::testing::ReadTextOrFail(SharedPath(dir + "ciphertext_for_recipient.b64"));
  while (!b64.empty() && (b64.back() == '\n' || b64.back() == '\r')) b64.pop_back();
  auto decoded = Base64Decode(b64);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, ber);

  auto key = RsaPrivateKey::FromPem(
      eml::testing::ReadTextOrFail(SharedPath(dir + "recipient_rsa2048_private_key.pem")));
  ASSERT_TRUE(key.ok());
  auto parts = ParseCmsEnvelopedData(ber);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->recipient_key_id, Sha256(key->PublicKeySpkiDer()));
  auto plaintext = DecryptCmsEnvelopedData(ber, *key);
  ASSERT_TRUE(plaintext.ok()) << plaintext.status().ToString();
  EXPECT_EQ(Reveal(*plaintext), ReadFileOrFail(SharedPath(dir + "expected_plaintext.bin")));
}

TEST(CmsTest, EmptyOaepParamsVariantIsUnsupported) {
  const Bytes ber = ReadFileOrFail(SharedPath("vectors/kms/variants/rockowl_sample_empty_oaep_params.ber"));
  EXPECT_EQ(ParseCmsEnvelopedData(ber).status().code(), StatusCode::kUnsupported);
}

TEST(CmsTest, RejectsOversizedInput) {
  Bytes big(kMaxCmsEnvelopeSize + 1, 0x30);
  EXPECT_EQ(ParseCmsEnvelopedData(big).status().code(), StatusCode::kLimitExceeded);
}

// Self-signed certificate carrying SKID = SHA-256(SPKI), so OpenSSL's
// CMS_USE_KEYID writes the same rid KMS does.
X509* MakeRecipientCert(EVP_PKEY* pkey, const Bytes& spki) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("recipient"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_set_pubkey(cert, pkey);
  const std::string skid = HexEncode(Sha256(spki));
  X509_EXTENSION* ext =
      X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_key_identifier, skid.c_str());
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(cert, pkey, EVP_sha256());
  return cert;
}

// Envelope to `key` with RSAES-OAEP-SHA256 + AES-256-CBC made by OpenSSL's
// CMS code; `streamed` gives BER with indefinite lengths like KMS.
Bytes MakeEnvelope(const RsaPrivateKey& key, const Bytes& plaintext, bool streamed) {
  EVP_PKEY* pkey = static_cast<EVP_PKEY*>(key.NativeHandleForInternalUse());
  X509* cert = MakeRecipientCert(pkey, key.PublicKeySpkiDer());
  const unsigned flags = CMS_BINARY | CMS_PARTIAL | (streamed ? CMS_STREAM : 0);
  CMS_ContentInfo* cms = CMS_encrypt(nullptr, nullptr, EVP_aes_256_cbc(), flags);
  CMS_RecipientInfo* ri = CMS_add1_recipient_cert(cms, cert, CMS_USE_KEYID | CMS_KEY_PARAM);
  EVP_PKEY_CTX* pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
  EXPECT_EQ(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING), 1);
  EXPECT_EQ(EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()), 1);
  EXPECT_EQ(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()), 1);
  BIO* in = BIO_new_mem_buf(plaintext.data(), static_cast<int>(plaintext.size()));
  BIO* out = BIO_new(BIO_s_mem());
  if (streamed) {
    EXPECT_EQ(i2d_CMS_bio_stream(out, cms, in, static_cast<int>(flags)), 1);
  } else {
    EXPECT_EQ(CMS_final(cms, in, nullptr, flags), 1);
    EXPECT_EQ(i2d_CMS_bio(out, cms), 1);
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(out, &data);
  Bytes envelope(reinterpret_cast<uint8_t*>(data), reinterpret_cast<uint8_t*>(data) + len);
  BIO_free(in);
  BIO_free(out);
  CMS_ContentInfo_free(cms);
  X509_free(cert);
  return envelope;
}

TEST(CmsTest, RoundTripWithOpenSslEnvelope) {
  auto key = RsaPrivateKey::Generate2048();
  ASSERT_TRUE(key.ok());
  const Bytes plaintext = ToBytes("{\"data_key\":\"0123456789abcdef0123456789abcdef\"}");
  for (bool streamed : {false, true}) {
    SCOPED_TRACE(streamed ? "streamed BER" : "DER");
    const Bytes envelope = MakeEnvelope(*key, plaintext, streamed);
    ASSERT_FALSE(envelope.empty());
    if (streamed) {
      EXPECT_EQ(envelope[1], 0x80);  // indefinite length, as KMS sends
    }
    auto result = DecryptCmsEnvelopedData(envelope, *key);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(Reveal(*result), plaintext);

    // Flip every byte: an error, or (CBC has no integrity; see cms.h) a
    // different plaintext. Never the original, never a crash.
    for (size_t i = 0; i < envelope.size(); ++i) {
      Bytes bad = envelope;
      bad[i] ^= 0x5a;
      auto r = DecryptCmsEnvelopedData(bad, *key);
      if (r.ok()) {
        EXPECT_NE(Reveal(*r), plaintext) << "byte " << i;
      }
    }
    for (size_t len = 0; len < envelope.size(); ++len) {
      EXPECT_FALSE(DecryptCmsEnvelopedData(ByteSpan(envelope).first(len), *key).ok()) << len;
    }
  }
  // The right rid but another private key is impossible to build without
  // KMS; the wrong key is refused before any RSA operation.
  auto other = RsaPrivateKey::Generate2048();
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(DecryptCmsEnvelopedData(MakeEnvelope(*key, plaintext, false), *other).status().code(),
            StatusCode::kVerificationFailed);
}

}  // namespace
}  // namespace eml::crypto
