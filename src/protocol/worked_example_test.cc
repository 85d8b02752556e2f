// Reproduces docs/protocol.md §8. The expected values were computed by
// tools/reference/protocol_example.py (RFC 9180 in Python with hashlib/hmac
// and `cryptography`, no shared code) and are pinned here.
#include <gtest/gtest.h>

#include "core/encoding.h"
#include "crypto/x25519.h"
#include "protocol/frame.h"
#include "protocol/handshake.h"
#include "protocol/messages.h"
#include "protocol/record.h"

namespace eml::protocol {
namespace {

constexpr char kHelloFrame[] =
    "454d0101000000220101000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr char kServerFrame[] =
    "454d01020000005ca601656e6974726f02506578616d706c652065766964656e636503696d696e696c6d2d6c3604"
    "61310558204242424242424242424242424242424242424242424242424242424242424242066f7368613235362d"
    "6d616e6966657374";
constexpr char kTranscriptHash[] =
    "4cda58826638277062be32d1f5daf54084ec4018804f909e30eea5346999e616";
constexpr char kEnclavePublicKey[] =
    "7b4e909bbe7ffe44c465a220037d608ee35897d31ef972f07f74892cb0f73f13";
constexpr char kEnc[] = "0faa684ed28867b97f4a6a2dee5df8ce974e76b7018e3f22a1c4cf2678570f20";
constexpr char kC2sKey[] = "36da55b4b9deae573818dc5048839aebf459c83055ff81605ea608a2548b294c";
constexpr char kC2sIv[] = "e57b9bcbeff6ab182b46b261";
constexpr char kS2cKey[] = "40e45ec7af35a189295802ea554bac282bd2decdf242686ed812064600e53547";
constexpr char kS2cIv[] = "663b6b29e973e887a8709cf1";
constexpr char kRequestPlaintext[] =
    "a30165656d62656402503333333333333333333333333333333303816b68656c6c6f20776f726c64";
constexpr char kFirstRecord[] =
    "454d011000000038c1c516606e12fd3e4ab4689d14b9f5dfe7a8b2fe8136d8433f9e3ddf2945c6369021e86357b8"
    "e74e7917a13899246a974130e460eb36ab07";

constexpr char kSecondRecord[] =
    "454d0110000000380efa13b7490f5750414fa609a9e1e970de6ae2bf70afda0b4a889a44b5ffbe44bfae8a2a8380"
    "76919833b06eb1d987a5e2049235aa8fc8c0";

std::string Hex(ByteSpan b) { return HexEncode(b); }
std::string Hex(const SecretBytes& b) { return HexEncode(b.RevealSecret()); }

TEST(WorkedExampleTest, ReproducesEveryValue) {
  Bytes challenge(32);
  for (size_t i = 0; i < 32; ++i) challenge[i] = static_cast<uint8_t>(i);
  StatusOr<Bytes> hello = EncodeFrame(FrameType::kClientHello, EncodeClientHello(challenge));
  ASSERT_TRUE(hello.ok());
  EXPECT_EQ(Hex(*hello), kHelloFrame);

  ServerEvidence evidence;
  evidence.platform = kPlatformNitro;
  evidence.evidence = ToBytes("example evidence");
  evidence.model_id = "minilm-l6";
  evidence.model_version = "1";
  evidence.model_hash = Bytes(32, 0x42);
  StatusOr<Bytes> payload = EncodeServerEvidence(evidence);
  ASSERT_TRUE(payload.ok());
  StatusOr<Bytes> server = EncodeFrame(FrameType::kServerEvidence, *payload);
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(Hex(*server), kServerFrame);

  const Bytes transcript = TranscriptHash(*hello, *server);
  EXPECT_EQ(Hex(transcript), kTranscriptHash);

  StatusOr<crypto::X25519PrivateKey> enclave_key =
      crypto::X25519PrivateKey::FromBytes(Bytes(32, 0x11));
  StatusOr<crypto::X25519PrivateKey> ephemeral =
      crypto::X25519PrivateKey::FromBytes(Bytes(32, 0x22));
  ASSERT_TRUE(enclave_key.ok() && ephemeral.ok());
  EXPECT_EQ(Hex(enclave_key->PublicKey()), kEnclavePublicKey);

  StatusOr<ClientKeyExchange> client =
      ClientDeriveKeys(enclave_key->PublicKey(), transcript, &*ephemeral);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  EXPECT_EQ(Hex(client->enc), kEnc);
  EXPECT_EQ(Hex(client->keys.c2s_key), kC2sKey);
  EXPECT_EQ(Hex(client->keys.c2s_iv), kC2sIv);
  EXPECT_EQ(Hex(client->keys.s2c_key), kS2cKey);
  EXPECT_EQ(Hex(client->keys.s2c_iv), kS2cIv);

  StatusOr<SessionKeys> enclave = EnclaveDeriveKeys(*enclave_key, client->enc, transcript);
  ASSERT_TRUE(enclave.ok());
  EXPECT_TRUE(enclave->c2s_key == client->keys.c2s_key);
  EXPECT_TRUE(enclave->s2c_iv == client->keys.s2c_iv);

  StatusOr<Bytes> request = EncodeEmbedRequest({Bytes(16, 0x33), {"hello world"}});
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(Hex(*request), kRequestPlaintext);

  StatusOr<RecordChannel> c2s = RecordChannel::Create(client->keys.c2s_key, client->keys.c2s_iv, 10);
  ASSERT_TRUE(c2s.ok());
  StatusOr<Bytes> record = c2s->Seal(FrameType::kRequest, *request);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(Hex(*record), kFirstRecord);
  // Record 1 pins where and in which byte order the sequence number enters
  // the nonce.
  StatusOr<Bytes> second = c2s->Seal(FrameType::kRequest, *request);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(Hex(*second), kSecondRecord);

  StatusOr<RecordChannel> opener = RecordChannel::Create(enclave->c2s_key, enclave->c2s_iv, 10);
  StatusOr<Frame> frame = ParseFrame(*record);
  ASSERT_TRUE(opener.ok() && frame.ok());
  StatusOr<Bytes> opened = opener->Open(*frame);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, *request);
}

}  // namespace
}  // namespace eml::protocol
