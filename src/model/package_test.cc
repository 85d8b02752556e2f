// Encrypted model packages: round trips, and every attack of
// docs/model-package.md "Checks" refused with a clear Status that carries no
// plaintext or key bytes.
#include "model/package.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include "cbor/encode.h"
#include "core/encoding.h"
#include "cose/sign1.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "engine/bert.h"
#include "engine/synth.h"
#include "model/mapped_file.h"
#include "tests/testing.h"

namespace eml::model {
namespace {

constexpr size_t kChunk = kMinChunkSize;  // small chunks: several per file
constexpr char kSecretMarker[] = "TOP-SECRET-WEIGHTS";

crypto::Ed25519PrivateKey KeyFromSeed(uint8_t fill) {
  Bytes seed(32, fill);
  StatusOr<crypto::Ed25519PrivateKey> key = crypto::Ed25519PrivateKey::FromSeed(seed);
  EXPECT_TRUE(key.ok());
  return std::move(key).value();
}

const crypto::Ed25519PrivateKey& OwnerKey() {
  static const crypto::Ed25519PrivateKey* key = new crypto::Ed25519PrivateKey(KeyFromSeed(0x2a));
  return *key;
}

DataKey FreshDataKey() {
  StatusOr<SecretBytes> secret = crypto::RandomSecret(kDataKeySize);
  EXPECT_TRUE(secret.ok());
  return DataKey{std::move(secret).value(), ToBytes("wrapped-by-test-kms"),
                 "arn:aws:kms:eu-west-1:111122223333:key/test"};
}

// Plaintext that repeats a marker, so a leak into a message is visible.
Bytes SecretContents(size_t size, uint8_t salt) {
  Bytes out(size);
  const std::string_view marker = kSecretMarker;
  for (size_t i = 0; i < size; ++i) {
    out[i] = static_cast<uint8_t>(marker[i % marker.size()] ^ (i / marker.size() % 2 ? salt : 0));
  }
  return out;
}

// Five files: several chunks with a short last one, exactly two full
// chunks, one chunk, an empty file, and a file as large as vocab.txt.
struct Model {
  std::vector<std::pair<std::string, Bytes>> files;
  std::vector<PackageInput> Inputs() const {
    std::vector<PackageInput> inputs;
    for (const auto& [name, bytes] : files) inputs.push_back({name, bytes});
    return inputs;
  }
};

Model SampleModel(uint8_t salt = 0) {
  Model m;
  m.files.emplace_back("model.safetensors", SecretContents(2 * kChunk + 1808, salt));
  m.files.emplace_back("vocab.txt", SecretContents(2 * kChunk, salt));
  m.files.emplace_back("config.json", SecretContents(120, salt));
  m.files.emplace_back("empty.txt", Bytes{});
  m.files.emplace_back("1_Pooling/config.json", SecretContents(2 * kChunk, salt ^ 0x55));
  return m;
}

PackageParams Params(std::string id = "minilm", std::string version = "1") {
  PackageParams params;
  params.model_id = std::move(id);
  params.model_version = std::move(version);
  params.chunk_size = kChunk;
  params.created = 1767225600;
  return params;
}

struct Built {
  MemoryPackage package;
  DataKey key;
  PackageResult result;
};

std::unique_ptr<Built> Build(const Model& model, const PackageParams& params, DataKey key) {
  auto built = std::make_unique<Built>();
  built->key = std::move(key);
  StatusOr<PackageResult> result =
      WritePackage(model.Inputs(), params, built->key, OwnerKey(), built->package);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  if (result.ok()) built->result = std::move(result).value();
  return built;
}

std::unique_ptr<Built> Build(const Model& model) { return Build(model, Params(), FreshDataKey()); }

StatusOr<VerifiedManifest> Verify(PackageSource& source) {
  ASSIGN_OR_RETURN(Bytes cose, source.ReadManifest(kMaxManifestSize));
  return VerifyManifest(cose, OwnerKey().PublicKey());
}

StatusOr<std::shared_ptr<DecryptedPackage>> Decrypt(Built& built, DecryptOptions options = {}) {
  ASSIGN_OR_RETURN(VerifiedManifest manifest, Verify(built.package));
  return DecryptPackage(built.package, manifest, built.key.plaintext, options);
}

// The status is an error with `code`, and its message holds neither the
// plaintext marker nor the data key (hex or raw).
void ExpectRefused(const Status& status, StatusCode code, const DataKey* key = nullptr) {
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), code) << status.ToString();
  EXPECT_EQ(status.message().find(kSecretMarker), std::string::npos) << status.message();
  if (key != nullptr) {
    const ByteSpan k = key->plaintext.RevealSecret();
    EXPECT_EQ(status.message().find(HexEncode(k)), std::string::npos);
    EXPECT_EQ(status.message().find(AsStringView(k)), std::string::npos);
  }
}

Bytes& Object(Built& built, size_t file_index) {
  return built.package.objects()[FileObjectName(file_index)];
}

constexpr size_t kSealedChunk = kChunk + kChunkTagSize;

// ---- Round trips -----------------------------------------------------------

TEST(PackageTest, RoundTripInMemory) {
  const Model model = SampleModel();
  auto built = Build(model);
  StatusOr<VerifiedManifest> manifest = Verify(built->package);
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  EXPECT_EQ(manifest->model_hash, crypto::Sha256(manifest->payload));
  EXPECT_EQ(manifest->model_hash, built->result.model_hash);
  EXPECT_EQ(manifest->manifest.model_id, "minilm");
  EXPECT_EQ(manifest->manifest.kms_key_id, built->key.key_id);
  EXPECT_EQ(manifest->manifest.wrapped_data_key, built->key.ciphertext_blob);
  EXPECT_EQ(manifest->manifest.encryption_context,
            (std::map<std::string, std::string>{{"model_id", "minilm"}, {"version", "1"}}));
  ASSERT_EQ(manifest->manifest.files.size(), model.files.size());
  for (size_t i = 0; i < model.files.size(); ++i) {
    const PackageFileEntry& entry = manifest->manifest.files[i];
    EXPECT_EQ(entry.name, model.files[i].first);
    EXPECT_EQ(entry.size, model.files[i].second.size());
    EXPECT_EQ(entry.sha256, crypto::Sha256(model.files[i].second));
    EXPECT_EQ(Object(*built, i).size(), entry.size + entry.chunks * kChunkTagSize);
  }
  EXPECT_EQ(manifest->manifest.files[0].chunks, 3u);
  EXPECT_EQ(manifest->manifest.files[1].chunks, 2u);
  EXPECT_EQ(manifest->manifest.files[3].chunks, 1u);  // an empty file is one empty chunk

  for (int threads : {1, 2, 4}) {
    StatusOr<std::shared_ptr<DecryptedPackage>> plain =
        DecryptPackage(built->package, *manifest, built->key.plaintext, {.num_threads = threads});
    ASSERT_TRUE(plain.ok()) << plain.status().ToString();
    ASSERT_EQ((*plain)->files().size(), model.files.size());
    for (size_t i = 0; i < model.files.size(); ++i) {
      const DecryptedPackage::File* f = (*plain)->Find(model.files[i].first);
      ASSERT_NE(f, nullptr);
      EXPECT_EQ(Bytes(f->contents.bytes().begin(), f->contents.bytes().end()), model.files[i].second);
    }
    EXPECT_EQ((*plain)->FileMap().size(), model.files.size());
    EXPECT_EQ((*plain)->timings().plaintext_bytes, 6 * kChunk + 1808 + 120);
  }
}

TEST(PackageTest, RoundTripThroughDirectoryLayout) {
  const std::string dir = ::testing::TempDir() + "/pkg-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  const Model model = SampleModel();
  DataKey key = FreshDataKey();
  {
    StatusOr<std::unique_ptr<DirectoryPackageSink>> sink = DirectoryPackageSink::Create(dir);
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    ASSERT_TRUE(WritePackage(model.Inputs(), Params(), key, OwnerKey(), **sink).ok());
  }
  // The documented layout, and nothing else.
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    names.push_back(std::filesystem::relative(e.path(), dir).string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"files", "files/0.enc", "files/1.enc", "files/2.enc",
                                             "files/3.enc", "files/4.enc", "manifest.cose"}));
  // A second package into the same directory is refused.
  EXPECT_EQ(DirectoryPackageSink::Create(dir).status().code(), StatusCode::kAlreadyExists);

  DirectoryPackageSource source(dir);
  StatusOr<VerifiedManifest> manifest = Verify(source);
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  StatusOr<std::shared_ptr<DecryptedPackage>> plain =
      DecryptPackage(source, *manifest, key.plaintext);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  const ByteSpan weights = (*plain)->Find("model.safetensors")->contents.bytes();
  EXPECT_EQ(Bytes(weights.begin(), weights.end()), model.files[0].second);

  // Truncation and extension on disk (DirectoryPackageSource reads in place).
  const std::string weights_path = dir + "/" + FileObjectName(0);
  const Bytes original = testing::ReadFileOrFail(weights_path);
  auto write_object = [&](ByteSpan bytes) {
    std::ofstream out(weights_path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  };
  write_object(ByteSpan(original).first(original.size() - 1));
  EXPECT_EQ(DecryptPackage(source, *manifest, key.plaintext).status().code(),
            StatusCode::kOutOfRange);
  Bytes longer = original;
  longer.push_back(0);
  write_object(longer);
  EXPECT_EQ(DecryptPackage(source, *manifest, key.plaintext).status().code(),
            StatusCode::kInvalidArgument);
  write_object(original);
  EXPECT_TRUE(DecryptPackage(source, *manifest, key.plaintext).ok());

  // Object names outside the format are refused before any path is built.
  for (const char* bad : {"../manifest.cose", "files/../manifest.cose", "files/01.enc",
                          "files/64.enc", "files/x.enc", "/etc/passwd", "files/0.enc/"}) {
    EXPECT_EQ(source.ReadRange(bad, 0, 1).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  // An oversize manifest file is refused by the source before it is read.
  std::filesystem::resize_file(dir + "/manifest.cose", kMaxManifestSize + 1);
  EXPECT_EQ(source.ReadManifest(kMaxManifestSize).status().code(), StatusCode::kLimitExceeded);
  std::filesystem::remove_all(dir);
}

// The engine built from decrypted files in memory computes exactly what the
// engine built from the model directory computes.
TEST(PackageTest, EngineLoadsFromDecryptedFiles) {
  const std::string dir = ::testing::TempDir() + "/synth-" + std::to_string(::getpid());
  ASSERT_TRUE(engine::WriteSyntheticBert({.preset = "tiny",
                                          .tokenizer_dir = testing::SharedPath("models/all-MiniLM-L6-v2"),
                                          .out_dir = dir})
                  .ok());
  std::vector<MappedFile> maps;
  std::vector<PackageInput> inputs;
  for (const char* name : {"config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json",
                           "modules.json", "1_Pooling/config.json", "sentence_bert_config.json"}) {
    if (!std::filesystem::exists(dir + "/" + name)) continue;
    StatusOr<MappedFile> map = MappedFile::Open(dir + "/" + name);
    ASSERT_TRUE(map.ok());
    maps.push_back(std::move(map).value());
    inputs.push_back({name, maps.back().bytes()});
  }
  ASSERT_GE(inputs.size(), 6u);
  MemoryPackage package;
  DataKey key = FreshDataKey();
  PackageParams params;
  params.model_id = "tiny";
  params.model_version = "1";
  ASSERT_TRUE(WritePackage(inputs, params, key, OwnerKey(), package).ok());
  StatusOr<VerifiedManifest> manifest = Verify(package);
  ASSERT_TRUE(manifest.ok());
  StatusOr<std::shared_ptr<DecryptedPackage>> plain =
      DecryptPackage(package, *manifest, key.plaintext);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();

  StatusOr<std::unique_ptr<engine::SentenceEmbedder>> from_memory =
      engine::SentenceEmbedder::LoadFromMemory({(*plain)->FileMap(), *plain}, {.num_threads = 1});
  ASSERT_TRUE(from_memory.ok()) << from_memory.status().ToString();
  plain->reset();  // the embedder keeps the decrypted files alive
  StatusOr<std::unique_ptr<engine::SentenceEmbedder>> from_dir =
      engine::SentenceEmbedder::Load(dir, {.num_threads = 1});
  ASSERT_TRUE(from_dir.ok());
  const std::vector<std::string> texts = {"hello world", "an encrypted model package"};
  StatusOr<std::vector<engine::Embedding>> a = (*from_memory)->Embed(texts);
  StatusOr<std::vector<engine::Embedding>> b = (*from_dir)->Embed(texts);
  ASSERT_TRUE(a.ok() && b.ok());
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ((*a)[i].values, (*b)[i].values);
    EXPECT_EQ((*a)[i].num_tokens, (*b)[i].num_tokens);
  }
  // Missing weights are a NotFound, not a crash.
  std::map<std::string, ByteSpan> no_weights;
  for (const PackageInput& in : inputs) {
    if (in.name != "model.safetensors") no_weights[in.name] = in.contents;
  }
  EXPECT_EQ(engine::SentenceEmbedder::LoadFromMemory({no_weights, nullptr}).status().code(),
            StatusCode::kNotFound);
  std::filesystem::remove_all(dir);
}

// ---- Chunk attacks -----------------------------------------------------------

TEST(PackageTest, EveryBitFlipInAnObjectIsRefused) {
  auto built = Build(SampleModel());
  const Bytes original = Object(*built, 2);  // config.json: one chunk of 120 bytes + tag
  for (size_t bit = 0; bit < original.size() * 8; ++bit) {
    Object(*built, 2) = original;
    Object(*built, 2)[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    StatusOr<std::shared_ptr<DecryptedPackage>> plain = Decrypt(*built);
    ExpectRefused(plain.status(), StatusCode::kVerificationFailed, &built->key);
    if (plain.ok()) break;
  }
}

TEST(PackageTest, ChunkBitFlipNamesFileAndChunk) {
  auto built = Build(SampleModel());
  Object(*built, 0)[kSealedChunk + 7] ^= 0x01;  // chunk 1 of model.safetensors
  Status status = Decrypt(*built).status();
  ExpectRefused(status, StatusCode::kVerificationFailed, &built->key);
  EXPECT_NE(status.message().find("'model.safetensors') chunk 1"), std::string::npos)
      << status.message();
}

TEST(PackageTest, ReorderedChunksAreRefused) {
  auto built = Build(SampleModel());
  Bytes& object = Object(*built, 1);  // vocab.txt: two full chunks
  std::swap_ranges(object.begin(), object.begin() + kSealedChunk, object.begin() + kSealedChunk);
  ExpectRefused(Decrypt(*built).status(), StatusCode::kVerificationFailed, &built->key);
}

TEST(PackageTest, ChunkFromAnotherFileOfThePackageIsRefused) {
  auto built = Build(SampleModel());
  // Same offset and size, other file: the nonce and AAD differ.
  std::copy_n(Object(*built, 4).begin(), kSealedChunk, Object(*built, 1).begin());
  ExpectRefused(Decrypt(*built).status(), StatusCode::kVerificationFailed, &built->key);
  // Whole objects swapped (equal sizes).
  auto swapped = Build(SampleModel());
  std::swap(Object(*swapped, 1), Object(*swapped, 4));
  ExpectRefused(Decrypt(*swapped).status(), StatusCode::kVerificationFailed, &swapped->key);
}

TEST(PackageTest, TruncationIsRefused) {
  auto built = Build(SampleModel());
  const Bytes original = Object(*built, 0);
  // Drop the last chunk; cut into the last chunk; cut into a middle chunk;
  // drop everything.
  for (size_t keep : {2 * kSealedChunk, original.size() - 1, kSealedChunk + 100, size_t{0}}) {
    Object(*built, 0) = Bytes(original.begin(), original.begin() + static_cast<ptrdiff_t>(keep));
    ExpectRefused(Decrypt(*built).status(), StatusCode::kOutOfRange, &built->key);
  }
  // Dropping a middle chunk (the object is then one chunk short and shifted).
  Bytes shifted(original.begin(), original.begin() + kSealedChunk);
  shifted.insert(shifted.end(), original.begin() + 2 * kSealedChunk, original.end());
  Object(*built, 0) = shifted;
  EXPECT_FALSE(Decrypt(*built).ok());
}

TEST(PackageTest, ExtensionIsRefused) {
  auto built = Build(SampleModel());
  const Bytes original = Object(*built, 1);  // vocab.txt: two full chunks
  // One extra byte; a copy of a chunk appended; a zero chunk appended.
  Bytes one = original;
  one.push_back(0);
  Bytes chunk = original;
  chunk.insert(chunk.end(), original.begin(), original.begin() + kSealedChunk);
  Bytes zeros = original;
  zeros.resize(original.size() + kSealedChunk, 0);
  for (const Bytes& extended : {one, chunk, zeros}) {
    Object(*built, 1) = extended;
    Status status = Decrypt(*built).status();
    ExpectRefused(status, StatusCode::kInvalidArgument, &built->key);
    EXPECT_NE(status.message().find("extended"), std::string::npos) << status.message();
  }
  // The empty file's object too.
  Object(*built, 1) = original;
  Object(*built, 3).push_back(1);
  ExpectRefused(Decrypt(*built).status(), StatusCode::kInvalidArgument, &built->key);
}

// A shorter file's manifest (signed by the owner, hashes matching) cannot
// reuse the first chunks of the longer file: they were sealed as not last.
TEST(PackageTest, ChunksOfALongerFileCannotEndAShorterOne) {
  const Model model = SampleModel();
  auto built = Build(model);
  StatusOr<VerifiedManifest> manifest = Verify(built->package);
  ASSERT_TRUE(manifest.ok());
  PackageManifest shorter = manifest->manifest;
  const Bytes& weights = model.files[0].second;
  shorter.files[0].size = 2 * kChunk;
  shorter.files[0].chunks = 2;
  shorter.files[0].sha256 = crypto::Sha256(ByteSpan(weights).first(2 * kChunk));
  StatusOr<Bytes> payload = EncodeManifestPayload(shorter);
  ASSERT_TRUE(payload.ok());
  StatusOr<Bytes> cose = SignManifestPayload(*payload, OwnerKey());
  ASSERT_TRUE(cose.ok());
  built->package.objects()[std::string(kManifestObject)] = *cose;
  Object(*built, 0).resize(2 * kSealedChunk);
  Status status = Decrypt(*built).status();
  ExpectRefused(status, StatusCode::kVerificationFailed, &built->key);
  EXPECT_NE(status.message().find("chunk 1"), std::string::npos) << status.message();
}

// Every (file, chunk) has its own nonce: equal plaintexts at the same chunk
// index of two files encrypt differently (a repeated GCM nonce would give
// equal ciphertexts here and leak the XOR of plaintexts in general).
TEST(PackageTest, NoncesDifferAcrossFilesAndChunks) {
  Model model;
  const Bytes same(2 * kChunk, 0x41);
  model.files.emplace_back("a", same);
  model.files.emplace_back("b", same);
  auto built = Build(model);
  const Bytes& a = Object(*built, 0);
  const Bytes& b = Object(*built, 1);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_NE(Bytes(a.begin(), a.begin() + 64), Bytes(b.begin(), b.begin() + 64));
  EXPECT_NE(Bytes(a.begin(), a.begin() + 64),
            Bytes(a.begin() + kSealedChunk, a.begin() + kSealedChunk + 64));
  EXPECT_TRUE(Decrypt(*built).ok());
}

// The host serves the same-named file of another package of the same shape.
TEST(PackageTest, FileFromAnotherPackageIsRefused) {
  auto ours = Build(SampleModel());
  const Bytes ours_object = Object(*ours, 0);
  // Another model, its own data key.
  auto other = Build(SampleModel(1), Params("other-model"), FreshDataKey());
  Object(*ours, 0) = Object(*other, 0);
  ExpectRefused(Decrypt(*ours).status(), StatusCode::kVerificationFailed, &ours->key);

  // Even if a data key were reused (never by the packager) and the contents
  // were the same, the AAD's model id, version and file name keep each
  // package's chunks in their place: the chunk itself is refused, before
  // any hash is compared.
  auto expect_chunk_refused = [&](Built& same_key) {
    Object(*ours, 0) = same_key.package.objects().at(FileObjectName(0));
    Status status = Decrypt(*ours).status();
    ExpectRefused(status, StatusCode::kVerificationFailed, &ours->key);
    EXPECT_NE(status.message().find("does not authenticate"), std::string::npos)
        << status.message();
  };
  auto reused_key = [&] {
    return DataKey{ours->key.plaintext.Clone(), ours->key.ciphertext_blob, ours->key.key_id};
  };
  for (const PackageParams& params : {Params("other-model", "1"), Params("minilm", "2")}) {
    expect_chunk_refused(*Build(SampleModel(), params, reused_key()));
  }
  // Same key, same model, same contents, another file name at the same index.
  Model renamed = SampleModel();
  renamed.files[0].first = "weights.safetensors";
  expect_chunk_refused(*Build(renamed, Params(), reused_key()));
  Object(*ours, 0) = ours_object;
  EXPECT_TRUE(Decrypt(*ours).ok());
}

TEST(PackageTest, WrongDataKeyIsRefused) {
  auto built = Build(SampleModel());
  StatusOr<VerifiedManifest> manifest = Verify(built->package);
  ASSERT_TRUE(manifest.ok());
  DataKey wrong = FreshDataKey();
  ExpectRefused(DecryptPackage(built->package, *manifest, wrong.plaintext).status(),
                StatusCode::kVerificationFailed, &wrong);
  SecretBytes short_key(ByteSpan(built->key.plaintext.RevealSecret()).first(16));
  ExpectRefused(DecryptPackage(built->package, *manifest, short_key).status(),
                StatusCode::kInvalidArgument, &built->key);
}

TEST(PackageTest, PlaintextThatDoesNotMatchTheManifestHashIsRefused) {
  // A package whose chunks authenticate but whose manifest names another
  // SHA-256: only the owner could make one; the hash check still refuses it.
  const Model model = SampleModel();
  auto built = Build(model);
  StatusOr<VerifiedManifest> manifest = Verify(built->package);
  ASSERT_TRUE(manifest.ok());
  PackageManifest edited = manifest->manifest;
  edited.files[2].sha256[0] ^= 1;
  StatusOr<Bytes> payload = EncodeManifestPayload(edited);
  ASSERT_TRUE(payload.ok());
  StatusOr<Bytes> cose = SignManifestPayload(*payload, OwnerKey());
  ASSERT_TRUE(cose.ok());
  built->package.objects()[std::string(kManifestObject)] = *cose;
  Status status = Decrypt(*built).status();
  ExpectRefused(status, StatusCode::kVerificationFailed, &built->key);
  EXPECT_NE(status.message().find("'config.json' does not match its SHA-256"), std::string::npos)
      << status.message();
  // With the hash check in the background, decryption returns the package
  // and WaitVerified reports the same refusal.
  StatusOr<std::shared_ptr<DecryptedPackage>> early =
      Decrypt(*built, {.verify_in_background = true});
  ASSERT_TRUE(early.ok()) << early.status().ToString();
  Status later = (*early)->WaitVerified();
  ExpectRefused(later, StatusCode::kVerificationFailed, &built->key);
  EXPECT_NE(later.message().find("'config.json' does not match its SHA-256"), std::string::npos)
      << later.message();
}

TEST(PackageTest, BackgroundVerificationOfAGoodPackage) {
  auto built = Build(SampleModel());
  StatusOr<std::shared_ptr<DecryptedPackage>> plain =
      Decrypt(*built, {.num_threads = 2, .verify_in_background = true});
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_TRUE((*plain)->WaitVerified().ok());
  EXPECT_TRUE((*plain)->WaitVerified().ok());  // idempotent
  // Dropping a package whose check is still running waits for it.
  StatusOr<std::shared_ptr<DecryptedPackage>> dropped =
      Decrypt(*built, {.verify_in_background = true});
  ASSERT_TRUE(dropped.ok());
  dropped = Status(StatusCode::kInternal, "dropped");
}

TEST(PackageTest, HostileSourceAndCallerErrors) {
  auto built = Build(SampleModel());
  StatusOr<VerifiedManifest> manifest = Verify(built->package);
  ASSERT_TRUE(manifest.ok());
  // A source that returns more than it was asked for.
  class Greedy final : public PackageSource {
   public:
    explicit Greedy(MemoryPackage* inner) : inner_(inner) {}
    StatusOr<Bytes> ReadManifest(size_t max) override { return inner_->ReadManifest(max); }
    StatusOr<Bytes> ReadRange(std::string_view object, uint64_t offset, size_t length) override {
      ASSIGN_OR_RETURN(Bytes b, inner_->ReadRange(object, offset, length));
      b.resize(length + 1);
      return b;
    }

   private:
    MemoryPackage* inner_;
  } greedy(&built->package);
  Status greedy_status = DecryptPackage(greedy, *manifest, built->key.plaintext).status();
  ExpectRefused(greedy_status, StatusCode::kInvalidArgument, &built->key);
  EXPECT_NE(greedy_status.message().find("more bytes than asked"), std::string::npos)
      << greedy_status.message();
  // A missing object.
  built->package.objects().erase(FileObjectName(3));
  ExpectRefused(DecryptPackage(built->package, *manifest, built->key.plaintext).status(),
                StatusCode::kNotFound, &built->key);
  // Larger than the caller allows: refused before allocating.
  ExpectRefused(DecryptPackage(built->package, *manifest, built->key.plaintext,
                               {.max_total_size = 1000})
                    .status(),
                StatusCode::kLimitExceeded);
  ExpectRefused(DecryptPackage(built->package, *manifest, built->key.plaintext,
                               {.num_threads = 0})
                    .status(),
                StatusCode::kInvalidArgument);
  // A VerifiedManifest edited after verification.
  VerifiedManifest edited = *manifest;
  edited.manifest.files[0].size -= 1;
  edited.manifest.files[0].chunks = ChunkCount(edited.manifest.files[0].size, kChunk);
  ExpectRefused(DecryptPackage(built->package, edited, built->key.plaintext).status(),
                StatusCode::kFailedPrecondition);
}

// ---- Manifest attacks --------------------------------------------------------

TEST(PackageTest, WrongOwnerSignatureIsRefused) {
  auto built = Build(SampleModel());
  StatusOr<Bytes> cose = built->package.ReadManifest(kMaxManifestSize);
  ASSERT_TRUE(cose.ok());
  const crypto::Ed25519PrivateKey other = KeyFromSeed(0x07);
  ExpectRefused(VerifyManifest(*cose, other.PublicKey()).status(), StatusCode::kVerificationFailed);
  // The same manifest signed by another key, checked with the owner's.
  StatusOr<VerifiedManifest> good = Verify(built->package);
  ASSERT_TRUE(good.ok());
  StatusOr<Bytes> resigned = SignManifestPayload(good->payload, other);
  ASSERT_TRUE(resigned.ok());
  ExpectRefused(VerifyManifest(*resigned, OwnerKey().PublicKey()).status(),
                StatusCode::kVerificationFailed);
  EXPECT_EQ(VerifyManifest(*cose, Bytes(31, 1)).status().code(), StatusCode::kInvalidArgument);
}

TEST(PackageTest, EveryManifestBitFlipIsRefused) {
  auto built = Build(SampleModel());
  StatusOr<Bytes> cose = built->package.ReadManifest(kMaxManifestSize);
  ASSERT_TRUE(cose.ok());
  ASSERT_TRUE(VerifyManifest(*cose, OwnerKey().PublicKey()).ok());
  size_t signature_failures = 0;
  for (size_t bit = 0; bit < cose->size() * 8; ++bit) {
    Bytes flipped = *cose;
    flipped[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    Status status = VerifyManifest(flipped, OwnerKey().PublicKey()).status();
    ASSERT_FALSE(status.ok()) << "bit " << bit;
    if (status.code() == StatusCode::kVerificationFailed) ++signature_failures;
  }
  // Most flips land in the payload or the signature.
  EXPECT_GT(signature_failures, cose->size() * 8 / 2);
  // And every truncation.
  for (size_t len = 0; len < cose->size(); ++len) {
    EXPECT_FALSE(VerifyManifest(ByteSpan(*cose).first(len), OwnerKey().PublicKey()).ok()) << len;
  }
}

TEST(PackageTest, OversizeManifestIsRefused) {
  Bytes big(kMaxManifestSize + 1, 0);
  Status status = VerifyManifest(big, OwnerKey().PublicKey()).status();
  ExpectRefused(status, StatusCode::kLimitExceeded);
  EXPECT_NE(status.message().find("manifest.cose exceeds"), std::string::npos) << status.message();
  MemoryPackage package;
  package.objects()[std::string(kManifestObject)] = big;
  ExpectRefused(package.ReadManifest(kMaxManifestSize).status(), StatusCode::kLimitExceeded);
  ExpectRefused(ParseManifestPayload(big).status(), StatusCode::kLimitExceeded);
  // The limits keep a valid manifest far below 1 MiB; a field over its
  // limit is refused by the writer before anything is written.
  Model model = SampleModel();
  MemoryPackage sink;
  DataKey key = FreshDataKey();
  key.ciphertext_blob.assign(kMaxWrappedKeySize + 1, 1);
  ExpectRefused(WritePackage(model.Inputs(), Params(), key, OwnerKey(), sink).status(),
                StatusCode::kInvalidArgument);
  EXPECT_TRUE(sink.objects().empty());
}

TEST(PackageTest, TraversalAndBadFileNamesAreRefused) {
  for (const char* ok : {"config.json", "1_Pooling/config.json", "a/b/c-d_e.F9"}) {
    EXPECT_TRUE(CheckPackageFileName(ok).ok()) << ok;
  }
  const std::string too_long(kMaxFileNameSize + 1, 'a');
  for (const std::string& bad : std::vector<std::string>{"", "..", "../vocab.txt", "a/../../b", "/etc/passwd", "a//b",
                                "a/./b", "a/", "./a", "a\\b", "a b", "con\xc3\xa9", "a\nb",
                                std::string("a\0b", 3), too_long}) {
    EXPECT_EQ(CheckPackageFileName(bad).code(), StatusCode::kInvalidArgument) << bad;
    Model model;
    model.files.emplace_back(bad, Bytes(10, 1));
    MemoryPackage sink;
    DataKey key = FreshDataKey();
    ExpectRefused(WritePackage(model.Inputs(), Params(), key, OwnerKey(), sink).status(),
                  StatusCode::kInvalidArgument);
    EXPECT_TRUE(sink.objects().empty());
  }
  // Duplicate names.
  Model dup;
  dup.files.emplace_back("a", Bytes(1));
  dup.files.emplace_back("a", Bytes(2));
  MemoryPackage sink;
  EXPECT_EQ(WritePackage(dup.Inputs(), Params(), FreshDataKey(), OwnerKey(), sink).status().code(),
            StatusCode::kAlreadyExists);
}

// A manifest payload built field by field, with no validation, so hostile
// manifests can be signed with the owner's key.
struct RawManifest {
  PackageManifest m;
  cbor::MapEntries extra;
  std::vector<std::string> drop;
  cbor::Value files_override;
};

Bytes EncodeRaw(const RawManifest& raw) {
  const PackageManifest& m = raw.m;
  cbor::Array files;
  for (const PackageFileEntry& f : m.files) {
    files.push_back(cbor::Value::FromMap({{cbor::Value::Text("name"), cbor::Value::Text(f.name)},
                                          {cbor::Value::Text("size"), cbor::Value::Unsigned(f.size)},
                                          {cbor::Value::Text("sha256"), cbor::Value::ByteString(ByteSpan(f.sha256))},
                                          {cbor::Value::Text("chunks"), cbor::Value::Unsigned(f.chunks)}}));
  }
  cbor::MapEntries context;
  for (const auto& [k, v] : m.encryption_context) context.emplace_back(cbor::Value::Text(k), cbor::Value::Text(v));
  cbor::MapEntries entries = {
      {cbor::Value::Text("format"), cbor::Value::Unsigned(m.format)},
      {cbor::Value::Text("model_id"), cbor::Value::Text(m.model_id)},
      {cbor::Value::Text("model_version"), cbor::Value::Text(m.model_version)},
      {cbor::Value::Text("model_format"), cbor::Value::Text(m.model_format)},
      {cbor::Value::Text("chunk_size"), cbor::Value::Unsigned(m.chunk_size)},
      {cbor::Value::Text("files"), raw.files_override.is_null() ? cbor::Value::FromArray(files) : raw.files_override},
      {cbor::Value::Text("kms_key_id"), cbor::Value::Text(m.kms_key_id)},
      {cbor::Value::Text("wrapped_data_key"), cbor::Value::ByteString(ByteSpan(m.wrapped_data_key))},
      {cbor::Value::Text("encryption_context"), cbor::Value::FromMap(context)},
      {cbor::Value::Text("created"), cbor::Value::Unsigned(m.created)}};
  cbor::MapEntries kept;
  for (auto& e : entries) {
    if (std::find(raw.drop.begin(), raw.drop.end(), e.first.text()) == raw.drop.end()) kept.push_back(e);
  }
  for (const auto& e : raw.extra) kept.push_back(e);
  StatusOr<Bytes> out = cbor::Encode(cbor::Value::FromMap(kept));
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : Bytes{};
}

PackageManifest ValidManifest() {
  PackageManifest m;
  m.model_id = "minilm";
  m.model_version = "1";
  m.chunk_size = kChunk;
  m.files = {{"model.safetensors", 2 * kChunk + 1, Bytes(32, 7), 3}, {"vocab.txt", 0, Bytes(32, 8), 1}};
  m.kms_key_id = "key";
  m.wrapped_data_key = Bytes(8, 9);
  m.encryption_context = PackageEncryptionContext("minilm", "1");
  m.created = 1;
  return m;
}

StatusCode SignedRawCode(const RawManifest& raw) {
  StatusOr<Bytes> cose = SignManifestPayload(EncodeRaw(raw), OwnerKey());
  EXPECT_TRUE(cose.ok());
  Status status = VerifyManifest(*cose, OwnerKey().PublicKey()).status();
  EXPECT_EQ(status.message().find("TOP-SECRET"), std::string::npos);
  return status.code();
}

TEST(PackageTest, EveryManifestRuleIsEnforcedAfterTheSignature) {
  RawManifest raw{ValidManifest(), {}, {}, cbor::Value()};
  ASSERT_EQ(SignedRawCode(raw), StatusCode::kOk);
  // The encoder and the raw builder agree byte for byte.
  StatusOr<Bytes> encoded = EncodeManifestPayload(raw.m);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(HexEncode(*encoded), HexEncode(EncodeRaw(raw)));

  const std::vector<std::pair<std::string, std::function<void(RawManifest&)>>> cases = {
      {"traversal name", [](RawManifest& r) { r.m.files[1].name = "../../etc/passwd"; }},
      {"absolute name", [](RawManifest& r) { r.m.files[1].name = "/vocab.txt"; }},
      {"duplicate name", [](RawManifest& r) { r.m.files[1].name = "model.safetensors"; }},
      {"chunk count low", [](RawManifest& r) { r.m.files[0].chunks = 2; }},
      {"chunk count high", [](RawManifest& r) { r.m.files[0].chunks = 4; }},
      {"empty file with no chunk", [](RawManifest& r) { r.m.files[1].chunks = 0; }},
      {"short sha256", [](RawManifest& r) { r.m.files[0].sha256.resize(31); }},
      {"huge file", [](RawManifest& r) { r.m.files[0].size = kMaxPackageFileSize + 1;
                                         r.m.files[0].chunks = ChunkCount(r.m.files[0].size, kChunk); }},
      {"chunk size small", [](RawManifest& r) { r.m.chunk_size = kMinChunkSize - 1; }},
      {"chunk size large", [](RawManifest& r) { r.m.chunk_size = kMaxChunkSize + 1; }},
      {"context mismatch", [](RawManifest& r) { r.m.encryption_context["version"] = "2"; }},
      {"context extra", [](RawManifest& r) { r.m.encryption_context["x"] = "y"; }},
      {"bad model id", [](RawManifest& r) { r.m.model_id = "a/b"; r.m.encryption_context = PackageEncryptionContext("a/b", "1"); }},
      {"bad version", [](RawManifest& r) { r.m.model_version = "1\""; r.m.encryption_context = PackageEncryptionContext("minilm", "1\""); }},
      {"empty key id", [](RawManifest& r) { r.m.kms_key_id = ""; }},
      {"empty wrapped key", [](RawManifest& r) { r.m.wrapped_data_key.clear(); }},
      {"no files", [](RawManifest& r) { r.m.files.clear(); }},
      {"unknown field", [](RawManifest& r) { r.extra.emplace_back(cbor::Value::Text("zzz"), cbor::Value::Unsigned(1)); }},
      {"missing field", [](RawManifest& r) { r.drop.push_back("created"); }},
      {"files not an array", [](RawManifest& r) { r.files_override = cbor::Value::Unsigned(1); }},
      {"file not a map", [](RawManifest& r) { r.files_override = cbor::Value::FromArray({cbor::Value::Unsigned(1)}); }},
  };
  for (const auto& [name, edit] : cases) {
    RawManifest bad{ValidManifest(), {}, {}, cbor::Value()};
    edit(bad);
    const StatusCode code = SignedRawCode(bad);
    EXPECT_NE(code, StatusCode::kOk) << name;
    EXPECT_NE(code, StatusCode::kVerificationFailed) << name;  // the signature was good
  }
  RawManifest v2{ValidManifest(), {}, {}, cbor::Value()};
  v2.m.format = 2;
  EXPECT_EQ(SignedRawCode(v2), StatusCode::kUnsupported);

  // Non-deterministic CBOR (a longer-than-needed integer) is refused even
  // when signed.
  Bytes payload = EncodeRaw(raw);
  const Bytes created = {0x67, 'c', 'r', 'e', 'a', 't', 'e', 'd', 0x01};
  auto at = std::search(payload.begin(), payload.end(), created.begin(), created.end());
  ASSERT_NE(at, payload.end());
  Bytes loose(payload.begin(), at + 8);
  loose.push_back(0x18);  // uint8 follows: 1 in two bytes
  loose.push_back(0x01);
  loose.insert(loose.end(), at + 9, payload.end());
  StatusOr<Bytes> cose = SignManifestPayload(loose, OwnerKey());
  ASSERT_TRUE(cose.ok());
  EXPECT_EQ(VerifyManifest(*cose, OwnerKey().PublicKey()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(PackageTest, EnvelopeIsFixed) {
  StatusOr<Bytes> payload = EncodeManifestPayload(ValidManifest());
  ASSERT_TRUE(payload.ok());
  // A signed policy-style envelope (other content type) and an untagged one.
  StatusOr<Bytes> other_type = cose::BuildSign1(
      OwnerKey(), {.protected_headers = {{cbor::Value::Int(3),
                                          cbor::Value::Text("application/vnd.eml.policy.v1+cbor")}},
                   .payload = *payload});
  ASSERT_TRUE(other_type.ok());
  EXPECT_EQ(VerifyManifest(*other_type, OwnerKey().PublicKey()).status().code(),
            StatusCode::kInvalidArgument);
  StatusOr<Bytes> untagged = cose::BuildSign1(
      OwnerKey(), {.protected_headers = {{cbor::Value::Int(3), cbor::Value::Text(kManifestContentType)}},
                   .payload = *payload,
                   .tagged = false});
  ASSERT_TRUE(untagged.ok());
  EXPECT_EQ(VerifyManifest(*untagged, OwnerKey().PublicKey()).status().code(),
            StatusCode::kInvalidArgument);
  StatusOr<Bytes> unprotected = cose::BuildSign1(
      OwnerKey(), {.protected_headers = {{cbor::Value::Int(3), cbor::Value::Text(kManifestContentType)}},
                   .unprotected_headers = {{cbor::Value::Int(4), cbor::Value::ByteString(Bytes{1})}},
                   .payload = *payload});
  ASSERT_TRUE(unprotected.ok());
  EXPECT_EQ(VerifyManifest(*unprotected, OwnerKey().PublicKey()).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace eml::model
