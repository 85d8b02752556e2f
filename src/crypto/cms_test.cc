#include "crypto/cms.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/ec.h>
#include <openssl/pem.h>

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

// --- EncryptCmsEnvelopedData ---

// The BER skeleton of an envelope: every element as "tag:length" (or
// "tag:inf"), primitive INTEGER/OID/NULL with their contents, in order, and
// end-of-contents octets as "eoc". Lengths of definite elements are kept so
// the comparison pins the exact layout.
void Skeleton(ByteReader* r, int depth, std::vector<std::string>* out) {
  ASSERT_LT(depth, 16);
  while (!r->empty()) {
    uint8_t tag = 0, len0 = 0;
    ASSERT_TRUE(r->ReadU8(&tag).ok());
    ASSERT_TRUE(r->ReadU8(&len0).ok());
    if (tag == 0 && len0 == 0) {
      out->push_back("eoc");
      return;
    }
    char head[16];
    if (len0 == 0x80) {
      std::snprintf(head, sizeof(head), "%02x:inf", tag);
      out->push_back(head);
      Skeleton(r, depth + 1, out);
      continue;
    }
    size_t len = len0;
    if (len0 > 0x80) {
      len = 0;
      for (int i = 0; i < (len0 & 0x7f); ++i) {
        uint8_t b = 0;
        ASSERT_TRUE(r->ReadU8(&b).ok());
        len = (len << 8) | b;
      }
    }
    ByteSpan contents;
    ASSERT_TRUE(r->ReadSpan(len, &contents).ok());
    std::snprintf(head, sizeof(head), "%02x:%zu", tag, len);
    std::string item = head;
    if (tag == 0x02 || tag == 0x05 || tag == 0x06) item += "=" + HexEncode(contents);
    out->push_back(item);
    if ((tag & 0x20) != 0) {
      ByteReader inner(contents);
      Skeleton(&inner, depth + 1, out);
    }
  }
}

std::vector<std::string> SkeletonOf(const Bytes& ber) {
  std::vector<std::string> out;
  ByteReader r(ber);
  Skeleton(&r, 0, &out);
  return out;
}

StatusOr<RsaPrivateKey> FixtureKey() {
  return RsaPrivateKey::FromPem(eml::testing::ReadTextOrFail(
      SharedPath("vectors/kms/nitrocontrol-e2e/recipient_rsa2048_private_key.pem")));
}

TEST(CmsEncryptTest, OurDecryptorRoundTrips) {
  auto key = RsaPrivateKey::Generate2048();
  ASSERT_TRUE(key.ok());
  for (size_t size : {1u, 15u, 16u, 32u, 33u, 1000u, 4096u}) {
    SCOPED_TRACE(size);
    Bytes plaintext(size);
    for (size_t i = 0; i < size; ++i) plaintext[i] = static_cast<uint8_t>(i * 7 + 1);
    auto envelope = EncryptCmsEnvelopedData(plaintext, key->PublicKeySpkiDer());
    ASSERT_TRUE(envelope.ok()) << envelope.status().ToString();
    auto parts = ParseCmsEnvelopedData(*envelope);
    ASSERT_TRUE(parts.ok()) << parts.status().ToString();
    EXPECT_EQ(parts->recipient_key_id, Sha256(key->PublicKeySpkiDer()));
    EXPECT_EQ(parts->ciphertext.size(), (size / 16 + 1) * 16);  // PKCS#7 always pads
    auto decrypted = DecryptCmsEnvelopedData(*envelope, *key);
    ASSERT_TRUE(decrypted.ok()) << decrypted.status().ToString();
    EXPECT_EQ(Reveal(*decrypted), plaintext);
  }
  // Fresh content key and IV each time.
  const Bytes p = ToBytes("same plaintext");
  auto a = EncryptCmsEnvelopedData(p, key->PublicKeySpkiDer());
  auto b = EncryptCmsEnvelopedData(p, key->PublicKeySpkiDer());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(ParseCmsEnvelopedData(*a)->iv, ParseCmsEnvelopedData(*b)->iv);
  EXPECT_NE(ParseCmsEnvelopedData(*a)->encrypted_key, ParseCmsEnvelopedData(*b)->encrypted_key);
}

// Independent implementation: the openssl command line decrypts what we made.
TEST(CmsEncryptTest, OpenSslCliDecrypts) {
  const std::string pem_path =
      SharedPath("vectors/kms/nitrocontrol-e2e/recipient_rsa2048_private_key.pem");
  auto key = FixtureKey();
  ASSERT_TRUE(key.ok());
  ASSERT_EQ(std::system("openssl version > /dev/null 2>&1"), 0) << "openssl CLI is required";
  const Bytes plaintext = ToBytes("data key for the enclave: 0123456789abcdef0123456789abcdef");
  auto envelope = EncryptCmsEnvelopedData(plaintext, key->PublicKeySpkiDer());
  ASSERT_TRUE(envelope.ok());
  char dir_template[] = "/tmp/eml-cms-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  std::ofstream(dir + "/env.ber", std::ios::binary)
      .write(reinterpret_cast<const char*>(envelope->data()),
             static_cast<std::streamsize>(envelope->size()));
  const std::string cmd = "openssl cms -decrypt -inform DER -binary -in " + dir + "/env.ber -inkey " +
                          pem_path + " -out " + dir + "/out.bin 2> " + dir + "/err.txt";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << eml::testing::ReadTextOrFail(dir + "/err.txt");
  EXPECT_EQ(ReadFileOrFail(dir + "/out.bin"), plaintext);
  // A tampered encryptedKey never yields the plaintext in openssl either
  // (it fails, or decrypts with a random key as its MMA countermeasure).
  // openssl without -recip ignores the rid, so only the key bytes matter.
  Bytes bad = *envelope;
  bad[200] ^= 1;  // inside the 256-byte encryptedKey (offset 131..386, as in the real blob)
  std::ofstream(dir + "/bad.ber", std::ios::binary)
      .write(reinterpret_cast<const char*>(bad.data()), static_cast<std::streamsize>(bad.size()));
  const std::string bad_cmd = "openssl cms -decrypt -inform DER -binary -in " + dir +
                              "/bad.ber -inkey " + pem_path + " -out " + dir +
                              "/bad.bin > /dev/null 2>&1";
  const int bad_rc = std::system(bad_cmd.c_str());
  if (bad_rc == 0) {
    EXPECT_NE(ReadFileOrFail(dir + "/bad.bin"), plaintext);
  }
  std::filesystem::remove_all(dir);
}

// Same framing as a real KMS CiphertextForRecipient: 32-byte plaintext gives
// the 48-byte content of cms_kms_envelope_1.ber, so every tag, length and
// indefinite form must match.
TEST(CmsEncryptTest, SkeletonMatchesRealKmsBlob) {
  const Bytes real = ReadFileOrFail(SharedPath("vectors/kms/cms_kms_envelope_1.ber"));
  auto key = RsaPrivateKey::Generate2048();
  ASSERT_TRUE(key.ok());
  auto ours = EncryptCmsEnvelopedData(Bytes(32, 0xab), key->PublicKeySpkiDer());
  ASSERT_TRUE(ours.ok());
  const std::vector<std::string> want = SkeletonOf(real);
  ASSERT_GT(want.size(), 20u);
  EXPECT_EQ(SkeletonOf(*ours), want);
  EXPECT_EQ(ours->size(), real.size());
}

TEST(CmsEncryptTest, RecipientKeyChecks) {
  auto key = RsaPrivateKey::Generate2048();
  ASSERT_TRUE(key.ok());
  const Bytes spki = key->PublicKeySpkiDer();
  EXPECT_TRUE(CheckRsa2048SpkiDer(spki).ok());
  Bytes trailing = spki;
  trailing.push_back(0);
  EXPECT_EQ(CheckRsa2048SpkiDer(trailing).code(), StatusCode::kInvalidArgument);
  for (size_t len = 0; len < spki.size(); ++len) {
    EXPECT_FALSE(CheckRsa2048SpkiDer(ByteSpan(spki).first(len)).ok()) << len;
  }
  // RSA-1024 and EC keys are well-formed but not what KMS accepts.
  for (EVP_PKEY* other : {EVP_RSA_gen(1024), EVP_EC_gen("P-256")}) {
    ASSERT_NE(other, nullptr);
    unsigned char* der = nullptr;
    const int len = i2d_PUBKEY(other, &der);
    ASSERT_GT(len, 0);
    const Bytes other_spki(der, der + len);
    OPENSSL_free(der);
    EVP_PKEY_free(other);
    EXPECT_EQ(CheckRsa2048SpkiDer(other_spki).code(), StatusCode::kUnsupported);
    EXPECT_EQ(EncryptCmsEnvelopedData(ToBytes("x"), other_spki).status().code(),
              StatusCode::kUnsupported);
  }
  EXPECT_EQ(EncryptCmsEnvelopedData({}, spki).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(EncryptCmsEnvelopedData(Bytes(kMaxCmsPlaintextSize + 1), spki).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace eml::crypto
