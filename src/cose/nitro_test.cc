// A real AWS Nitro attestation document (../shared/vectors/nitro, see its
// SOURCES.md and index.json) verified as COSE_Sign1 ES384 with the leaf
// certificate's key (crypto::ParseCertificate, cross-checked by a small DER
// walk). Only the signature is checked here; the certificate chain and PCR
// policy belong to the attestation verifier.
#include <string>

#include <gtest/gtest.h>

#include "cbor/decode.h"
#include "core/encoding.h"
#include "cose/sign1.h"
#include "crypto/x509.h"
#include "tests/testing.h"

namespace eml::cose {
namespace {

constexpr char kDoc[] = "vectors/nitro/blocky-nitrite_nitro_attestation_2024-09-07.cbor";

// Reads one DER TLV; `whole` spans tag, length and value.
Status ReadTlv(ByteReader* r, uint8_t want_tag, ByteSpan* value, ByteSpan* whole) {
  ByteSpan start = r->rest();
  uint8_t tag, len_byte;
  RETURN_IF_ERROR(r->ReadU8(&tag));
  if (tag != want_tag) return InvalidArgumentError("der: unexpected tag");
  RETURN_IF_ERROR(r->ReadU8(&len_byte));
  size_t len = len_byte;
  if (len_byte & 0x80) {
    size_t n = len_byte & 0x7f;
    if (n == 0 || n > 3) return InvalidArgumentError("der: bad length");
    len = 0;
    for (size_t i = 0; i < n; ++i) {
      uint8_t b;
      RETURN_IF_ERROR(r->ReadU8(&b));
      len = (len << 8) | b;
    }
  }
  RETURN_IF_ERROR(r->ReadSpan(len, value));
  *whole = start.first(start.size() - r->remaining());
  return OkStatus();
}

// Certificate -> tbsCertificate -> [version], serial, sigAlg, issuer,
// validity, subject, subjectPublicKeyInfo (RFC 5280 section 4.1).
StatusOr<Bytes> LeafSpki(ByteSpan cert_der) {
  ByteReader outer(cert_der);
  ByteSpan cert, tbs, value, whole;
  RETURN_IF_ERROR(ReadTlv(&outer, 0x30, &cert, &whole));
  ByteReader in_cert(cert);
  RETURN_IF_ERROR(ReadTlv(&in_cert, 0x30, &tbs, &whole));
  ByteReader r(tbs);
  if (!r.empty() && r.rest()[0] == 0xa0) RETURN_IF_ERROR(ReadTlv(&r, 0xa0, &value, &whole));
  RETURN_IF_ERROR(ReadTlv(&r, 0x02, &value, &whole));
  for (int i = 0; i < 4; ++i) RETURN_IF_ERROR(ReadTlv(&r, 0x30, &value, &whole));
  RETURN_IF_ERROR(ReadTlv(&r, 0x30, &value, &whole));
  return Bytes(whole.begin(), whole.end());
}

struct NitroFixture {
  Sign1Message msg;
  cbor::Value payload;
  crypto::EcdsaPublicKey key;
};

StatusOr<NitroFixture> Load(const Bytes& doc) {
  ASSIGN_OR_RETURN(Sign1Message msg, ParseSign1(doc, {.allow_indefinite = true}));
  if (!msg.payload.has_value()) return InvalidArgumentError("detached");
  ASSIGN_OR_RETURN(cbor::Value payload,
                   cbor::Decode(*msg.payload, {.allow_indefinite = true}));
  const cbor::Value* cert = payload.FindText("certificate");
  if (cert == nullptr || !cert->is_bytes()) return InvalidArgumentError("no certificate");
  // The key comes from crypto/x509.h; a minimal DER walk over the same
  // certificate must find the same SubjectPublicKeyInfo.
  ASSIGN_OR_RETURN(crypto::CertificateInfo info, crypto::ParseCertificate(cert->bytes()));
  ASSIGN_OR_RETURN(Bytes walked_spki, LeafSpki(cert->bytes()));
  if (walked_spki != info.spki_der) return InternalError("SPKI mismatch between parsers");
  ASSIGN_OR_RETURN(crypto::EcdsaPublicKey key, crypto::EcdsaPublicKey::FromSpkiDer(info.spki_der));
  return NitroFixture{std::move(msg), std::move(payload), std::move(key)};
}

TEST(NitroDocument, VerifiesAsEs384Sign1) {
  Bytes doc = testing::ReadFileOrFail(testing::SharedPath(kDoc));
  nlohmann::json index = testing::ReadJsonOrFail(testing::SharedPath("vectors/nitro/index.json"));
  ASSERT_EQ(doc.size(), index[0].at("bytes").get<size_t>());
  StatusOr<NitroFixture> f = Load(doc);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_FALSE(f->msg.tagged);
  EXPECT_EQ(f->msg.algorithm, Algorithm::kES384);
  EXPECT_TRUE(f->msg.unprotected_headers.map().empty());
  EXPECT_EQ(f->key.curve(), crypto::EcCurve::kP384);
  const cbor::Value* module_id = f->payload.FindText("module_id");
  ASSERT_NE(module_id, nullptr);
  EXPECT_EQ(module_id->text(), index[0].at("module_id").get<std::string>());
  const cbor::Value* timestamp = f->payload.FindText("timestamp");
  ASSERT_NE(timestamp, nullptr);
  EXPECT_EQ(*timestamp->AsInt64(), index[0].at("timestamp_ms").get<int64_t>());
  Status s = VerifySign1(f->msg, f->key);
  EXPECT_TRUE(s.ok()) << s.ToString();
  // A P-256 key can never verify an ES384 document.
  StatusOr<crypto::EcdsaPrivateKey> p256 = crypto::EcdsaPrivateKey::Generate(crypto::EcCurve::kP256);
  ASSERT_TRUE(p256.ok());
  EXPECT_EQ(VerifySign1(f->msg, p256->PublicKey()).code(), StatusCode::kVerificationFailed);
}

TEST(NitroDocument, TamperingFails) {
  Bytes doc = testing::ReadFileOrFail(testing::SharedPath(kDoc));
  StatusOr<NitroFixture> f = Load(doc);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  // Flip one byte of the payload's module_id text, of the signature, and
  // supply external AAD the signer did not use.
  Sign1Message msg = f->msg;
  (*msg.payload)[20] ^= 0x01;
  EXPECT_EQ(VerifySign1(msg, f->key).code(), StatusCode::kVerificationFailed);
  msg = f->msg;
  msg.signature[10] ^= 0x80;
  EXPECT_EQ(VerifySign1(msg, f->key).code(), StatusCode::kVerificationFailed);
  EXPECT_FALSE(VerifySign1(f->msg, f->key, {.external_aad = ToBytes("x")}).ok());
  // The same through the wire bytes: a payload byte in the document itself.
  Bytes bad = doc;
  bad[40] ^= 0x01;  // inside module_id, well within the payload bstr
  StatusOr<Sign1Message> parsed = ParseSign1(bad, {.allow_indefinite = true});
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_FALSE(VerifySign1(*parsed, f->key).ok());
}

}  // namespace
}  // namespace eml::cose
