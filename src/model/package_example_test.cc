// Reproduces the worked example of docs/model-package.md byte for byte. The
// expected values were printed by tools/reference/package_example.py (HKDF,
// AES-GCM, Ed25519, CBOR and COSE written in Python from the spec with
// hashlib/hmac and `cryptography`; no shared code) and are pinned here.
#include <gtest/gtest.h>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "model/package.h"

namespace eml::model {
namespace {

constexpr char kChunkKey[] = "3f6e59899e2c9f290860c88701e6389f1d1b676b3daa527ebe5813910d1a033e";
constexpr char kNonce11[] = "000000010000000000000001";
constexpr char kAad11[] =
    "0000001b454d4c206d6f64656c207061636b6167652076313a206368756e6b0000000d6578616d706c652d6d6f64"
    "656c00000001310000000b776569676874732e62696e000000000000000101";
constexpr char kFiles0Enc[] = "c0892c23f2d1ec09e7339810d64ae65d50c8dbaa4bbf66826e8256c5aa5acb2784a6ee";
constexpr size_t kFiles1EncSize = 5032;
constexpr char kFiles1EncSha256[] = "f0579a31ce202562297aa83b5765dcf5aaf3362de114c0484f73a670bd842976";
constexpr char kOwnerPublicKey[] = "197f6b23e16c8532c6abc838facd5ea789be0c76b2920334039bfa8b3d368d61";
constexpr char kManifestPayload[] =
    "aa6566696c657382a4646e616d656b636f6e6669672e6a736f6e6473697a6513666368756e6b7301667368613235"
    "3658203977333fdd0bf0593fb4be7709079ecb9240716730e96478f9f585516f41ff54a4646e616d656b77656967"
    "6874732e62696e6473697a65191388666368756e6b730266736861323536582069dbee893909fa17d1be397e0c07"
    "691336fe42049c29d403467d3d4a1fc3b5a166666f726d61740167637265617465641a6955b900686d6f64656c5f"
    "69646d6578616d706c652d6d6f64656c6a6368756e6b5f73697a651910006a6b6d735f6b65795f6964782e61726e"
    "3a6177733a6b6d733a65752d776573742d313a3131313132323232333333333a6b65792f6578616d706c656c6d6f"
    "64656c5f666f726d617470626572742d7361666574656e736f72736d6d6f64656c5f76657273696f6e6131707772"
    "61707065645f646174615f6b657958186578616d706c652d777261707065642d646174612d6b657972656e637279"
    "7074696f6e5f636f6e74657874a26776657273696f6e6131686d6f64656c5f69646d6578616d706c652d6d6f6465"
    "6c";
constexpr char kManifestCose[] =
    "d2845830a2012703782a6170706c69636174696f6e2f766e642e656d6c2e6d6f64656c2d6d616e69666573742e76"
    "312b63626f72a059019faa6566696c657382a4646e616d656b636f6e6669672e6a736f6e6473697a651366636875"
    "6e6b73016673686132353658203977333fdd0bf0593fb4be7709079ecb9240716730e96478f9f585516f41ff54a4"
    "646e616d656b776569676874732e62696e6473697a65191388666368756e6b730266736861323536582069dbee89"
    "3909fa17d1be397e0c07691336fe42049c29d403467d3d4a1fc3b5a166666f726d61740167637265617465641a69"
    "55b900686d6f64656c5f69646d6578616d706c652d6d6f64656c6a6368756e6b5f73697a651910006a6b6d735f6b"
    "65795f6964782e61726e3a6177733a6b6d733a65752d776573742d313a3131313132323232333333333a6b65792f"
    "6578616d706c656c6d6f64656c5f666f726d617470626572742d7361666574656e736f72736d6d6f64656c5f7665"
    "7273696f6e613170777261707065645f646174615f6b657958186578616d706c652d777261707065642d64617461"
    "2d6b657972656e6372797074696f6e5f636f6e74657874a26776657273696f6e6131686d6f64656c5f69646d6578"
    "616d706c652d6d6f64656c5840f188f8cc57941a410b7361e6627eae0f9598eb0a34623c747fa706bd9df05de06d"
    "e35c8921d69606a403ab7b395085432be985902d8d487c0efcfe83ca3d6d0b";
constexpr char kModelHash[] = "f25f221edb7e1cbdb2644af47d8d35bc77debff78cf993b0445542b351377394";

std::string Hex(ByteSpan b) { return HexEncode(b); }

Bytes Weights() {
  Bytes out(5000);
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(i % 251);
  return out;
}

TEST(PackageExampleTest, ReproducesEveryValue) {
  Bytes data_key_bytes(32);
  for (size_t i = 0; i < 32; ++i) data_key_bytes[i] = static_cast<uint8_t>(i);
  const DataKey key{SecretBytes(data_key_bytes), ToBytes("example-wrapped-data-key"),
                    "arn:aws:kms:eu-west-1:111122223333:key/example"};
  StatusOr<crypto::Ed25519PrivateKey> owner = crypto::Ed25519PrivateKey::FromSeed(Bytes(32, 0x2a));
  ASSERT_TRUE(owner.ok());
  EXPECT_EQ(Hex(owner->PublicKey()), kOwnerPublicKey);

  StatusOr<SecretBytes> chunk_key = DeriveChunkKey(key.plaintext);
  ASSERT_TRUE(chunk_key.ok());
  EXPECT_EQ(Hex(chunk_key->RevealSecret()), kChunkKey);
  EXPECT_EQ(Hex(ChunkNonce(1, 1)), kNonce11);
  EXPECT_EQ(Hex(ChunkAad("example-model", "1", "weights.bin", 1, true)), kAad11);

  const std::string config = "{\"hidden_size\": 4}\n";
  const Bytes weights = Weights();
  const std::vector<PackageInput> inputs = {{"config.json", AsBytes(config)},
                                            {"weights.bin", weights}};
  PackageParams params;
  params.model_id = "example-model";
  params.model_version = "1";
  params.chunk_size = 4096;
  params.created = 1767225600;
  MemoryPackage package;
  StatusOr<PackageResult> result = WritePackage(inputs, params, key, *owner, package);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(Hex(package.objects()["files/0.enc"]), kFiles0Enc);
  EXPECT_EQ(package.objects()["files/1.enc"].size(), kFiles1EncSize);
  EXPECT_EQ(Hex(crypto::Sha256(package.objects()["files/1.enc"])), kFiles1EncSha256);
  EXPECT_EQ(Hex(package.objects()["manifest.cose"]), kManifestCose);
  EXPECT_EQ(Hex(result->manifest_cose), kManifestCose);
  EXPECT_EQ(Hex(result->model_hash), kModelHash);

  StatusOr<VerifiedManifest> verified = VerifyManifest(result->manifest_cose, owner->PublicKey());
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(Hex(verified->payload), kManifestPayload);
  EXPECT_EQ(Hex(verified->model_hash), kModelHash);
  StatusOr<std::shared_ptr<DecryptedPackage>> plain =
      DecryptPackage(package, *verified, key.plaintext);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(AsStringView((*plain)->Find("config.json")->contents.bytes()), config);
  const ByteSpan w = (*plain)->Find("weights.bin")->contents.bytes();
  EXPECT_EQ(Bytes(w.begin(), w.end()), weights);
}

}  // namespace
}  // namespace eml::model
