#include "protocol/handshake.h"

#include <gtest/gtest.h>

#include "cbor/encode.h"
#include "cbor/value.h"
#include "crypto/x25519.h"

namespace eml::protocol {
namespace {

ServerEvidence Example() {
  ServerEvidence m;
  m.platform = kPlatformNitro;
  m.evidence = Bytes(100, 0xAB);
  m.model_id = "minilm";
  m.model_version = "1.0";
  m.model_hash = Bytes(32, 9);
  return m;
}

TEST(HandshakeTest, HelloRoundTripAndRejections) {
  const Bytes challenge(32, 0x5A);
  Bytes hello = EncodeClientHello(challenge);
  ASSERT_EQ(hello.size(), kClientHelloSize);
  StatusOr<Bytes> parsed = ParseClientHello(hello);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, challenge);

  Bytes bad_version = hello;
  bad_version[0] = 2;
  EXPECT_EQ(ParseClientHello(bad_version).status().code(), StatusCode::kUnsupported);
  Bytes bad_suite = hello;
  bad_suite[1] = 9;
  EXPECT_EQ(ParseClientHello(bad_suite).status().code(), StatusCode::kUnsupported);
  EXPECT_FALSE(ParseClientHello(ByteSpan(hello).first(33)).ok());
  hello.push_back(0);
  EXPECT_FALSE(ParseClientHello(hello).ok());
}

TEST(HandshakeTest, ServerEvidenceRoundTrip) {
  StatusOr<Bytes> encoded = EncodeServerEvidence(Example());
  ASSERT_TRUE(encoded.ok());
  StatusOr<ServerEvidence> parsed = ParseServerEvidence(*encoded);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->evidence, Example().evidence);
  EXPECT_EQ(parsed->model_id, "minilm");
  EXPECT_EQ(parsed->model_hash, Bytes(32, 9));
}

// Builds the message map by hand so one rule at a time can be broken.
Bytes EvidenceMap(cbor::MapEntries entries) { return *cbor::Encode(cbor::Value::FromMap(entries)); }

cbor::MapEntries GoodEntries() {
  using cbor::Value;
  cbor::MapEntries e;
  e.emplace_back(Value::Unsigned(1), Value::Text("nitro"));
  e.emplace_back(Value::Unsigned(2), Value::ByteString(Bytes(10, 1)));
  e.emplace_back(Value::Unsigned(3), Value::Text("m"));
  e.emplace_back(Value::Unsigned(4), Value::Text("1"));
  e.emplace_back(Value::Unsigned(5), Value::ByteString(Bytes(32, 2)));
  e.emplace_back(Value::Unsigned(6), Value::Text("sha256-manifest"));
  return e;
}

TEST(HandshakeTest, ServerEvidenceIsStrict) {
  using cbor::Value;
  ASSERT_TRUE(ParseServerEvidence(EvidenceMap(GoodEntries())).ok());

  cbor::MapEntries unknown_key = GoodEntries();
  unknown_key.emplace_back(Value::Unsigned(7), Value::Text("x"));
  EXPECT_FALSE(ParseServerEvidence(EvidenceMap(unknown_key)).ok());

  cbor::MapEntries missing = GoodEntries();
  missing.erase(missing.begin() + 1);
  EXPECT_FALSE(ParseServerEvidence(EvidenceMap(missing)).ok());

  cbor::MapEntries short_hash = GoodEntries();
  short_hash[4].second = Value::ByteString(Bytes(31, 2));
  EXPECT_FALSE(ParseServerEvidence(EvidenceMap(short_hash)).ok());

  cbor::MapEntries other_platform = GoodEntries();
  other_platform[0].second = Value::Text("sgx");
  EXPECT_FALSE(ParseServerEvidence(EvidenceMap(other_platform)).ok());
  for (const char* tee : {kPlatformTdx, kPlatformSnp}) {
    other_platform[0].second = Value::Text(tee);
    EXPECT_TRUE(ParseServerEvidence(EvidenceMap(other_platform)).ok()) << tee;
  }

  cbor::MapEntries other_scheme = GoodEntries();
  other_scheme[5].second = Value::Text("sha256-single");
  EXPECT_FALSE(ParseServerEvidence(EvidenceMap(other_scheme)).ok());

  cbor::MapEntries text_key = GoodEntries();
  text_key[0].first = Value::Text("platform");
  EXPECT_FALSE(ParseServerEvidence(EvidenceMap(text_key)).ok());

  // Not deterministically encoded: a one-byte unsigned written in two bytes.
  Bytes good = EvidenceMap(GoodEntries());
  const uint8_t prefix[3] = {good[0], 0x18, 0x01};
  Bytes non_canonical = Concat({ByteSpan(prefix), ByteSpan(good).subspan(2)});
  EXPECT_FALSE(ParseServerEvidence(non_canonical).ok());

  // A duplicate key: the map header says 7 entries and key 6 appears twice.
  Bytes duplicate = EvidenceMap(GoodEntries());
  duplicate[0] = 0xa7;
  const uint8_t again[] = {0x06, 0x61, 'x'};
  duplicate.insert(duplicate.end(), std::begin(again), std::end(again));
  EXPECT_FALSE(ParseServerEvidence(duplicate).ok());

  EXPECT_FALSE(ParseServerEvidence(Bytes{0xa0}).ok());
  EXPECT_FALSE(ParseServerEvidence(Bytes{}).ok());
}

TEST(HandshakeTest, BindingRoundTripAndRejections) {
  EvidenceBinding binding{Bytes(32, 1), Bytes(32, 2), Bytes(32, 3)};
  StatusOr<Bytes> encoded = EncodeBinding(binding);
  ASSERT_TRUE(encoded.ok());
  ASSERT_EQ(encoded->size(), kBindingSize);
  EXPECT_EQ(std::string(encoded->begin(), encoded->begin() + 4), "EMLB");
  StatusOr<EvidenceBinding> parsed = ParseBinding(*encoded);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->receipt_public_key, Bytes(32, 1));
  EXPECT_EQ(parsed->hello_hash, Bytes(32, 2));
  EXPECT_EQ(parsed->model_hash, Bytes(32, 3));

  Bytes bad_magic = *encoded;
  bad_magic[0] = 'X';
  EXPECT_FALSE(ParseBinding(bad_magic).ok());
  Bytes bad_version = *encoded;
  bad_version[4] = 2;
  EXPECT_FALSE(ParseBinding(bad_version).ok());
  EXPECT_FALSE(ParseBinding(ByteSpan(*encoded).first(100)).ok());
  EXPECT_FALSE(EncodeBinding({Bytes(31, 1), Bytes(32, 2), Bytes(32, 3)}).ok());
}

TEST(HandshakeTest, BothSidesDeriveTheSameKeysOnlyWithTheSameTranscript) {
  StatusOr<crypto::X25519PrivateKey> session = crypto::X25519PrivateKey::Generate();
  ASSERT_TRUE(session.ok());
  const Bytes transcript(32, 0x77);
  StatusOr<ClientKeyExchange> client = ClientDeriveKeys(session->PublicKey(), transcript);
  ASSERT_TRUE(client.ok());
  StatusOr<SessionKeys> enclave = EnclaveDeriveKeys(*session, client->enc, transcript);
  ASSERT_TRUE(enclave.ok());
  EXPECT_TRUE(enclave->c2s_key == client->keys.c2s_key);
  EXPECT_TRUE(enclave->c2s_iv == client->keys.c2s_iv);
  EXPECT_TRUE(enclave->s2c_key == client->keys.s2c_key);
  EXPECT_TRUE(enclave->s2c_iv == client->keys.s2c_iv);
  EXPECT_FALSE(client->keys.c2s_key == client->keys.s2c_key);

  StatusOr<SessionKeys> other = EnclaveDeriveKeys(*session, client->enc, Bytes(32, 0x78));
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->c2s_key == client->keys.c2s_key);
  EXPECT_FALSE(EnclaveDeriveKeys(*session, Bytes(31, 1), transcript).ok());
}

TEST(HandshakeTest, Alerts) {
  Bytes alert = EncodeAlert(AlertCode::kBusy);
  StatusOr<Alert> parsed = ParseAlert(alert);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->code, 5);
  EXPECT_EQ(parsed->text, "BUSY");
  Bytes control = alert;
  control.push_back('\n');
  EXPECT_FALSE(ParseAlert(control).ok());
  EXPECT_FALSE(ParseAlert(Bytes(1, 0)).ok());
  EXPECT_FALSE(ParseAlert(Bytes(200, 'a')).ok());
}

}  // namespace
}  // namespace eml::protocol
