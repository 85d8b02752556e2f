// Encrypted model packages: a model owner packages and encrypts a model once
// (`eml model package`); the enclave verifies the owner's signature,
// decrypts the files in memory and builds the engine from them, so the host
// that stores and serves the package never sees weights or keys.
//
// Format, limits, every check and a worked example: docs/model-package.md.
// In short:
//   PKG/manifest.cose   COSE_Sign1 (EdDSA, owner key) over the manifest: a
//                       deterministic CBOR map naming the model and every
//                       file {name, size, SHA-256, chunk count}, the chunk
//                       size, the KMS key id, the wrapped data key and the
//                       encryption context.
//   PKG/files/<i>.enc   file i of the manifest, in chunks of chunk_size
//                       plaintext bytes; each chunk is AES-256-GCM
//                       ciphertext || 16-byte tag under a key derived from
//                       the data key with HKDF, a nonce derived from
//                       (i, chunk index) and an AAD binding the model id,
//                       version, file name, chunk index and last-chunk flag.
//   model_hash          SHA-256 of the manifest payload (the CBOR bytes the
//                       owner signed), scheme "sha256-manifest".
//
// Order of the enclave's checks: the manifest's size, its envelope and the
// owner's signature come first (VerifyManifest); only then is the payload
// parsed, and only a verified manifest is accepted by DecryptPackage, which
// bounds every size before allocating, authenticates every chunk and
// compares every file's size and SHA-256 with the manifest. Plaintext lives
// only in LockedBuffers (mlock'd where allowed, MADV_DONTDUMP, wiped on
// free); nothing is written to disk. Error messages name the file (by its
// manifest name), chunk and check, never key or plaintext bytes.
//
// Thread-safety: free functions are pure apart from the source / sink they
// are given. DecryptPackage calls PackageSource::ReadRangeInto (by default
// ReadRange) from up to options.num_threads threads at once. A DecryptedPackage is immutable.
#ifndef EML_MODEL_PACKAGE_H_
#define EML_MODEL_PACKAGE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/secret.h"
#include "core/status.h"
#include "crypto/ed25519.h"
#include "model/locked_buffer.h"

namespace eml::model {

// ---- Format constants (docs/model-package.md) -----------------------------

inline constexpr uint64_t kPackageFormatVersion = 1;
// Protected COSE content type (label 3): a manifest cannot be mistaken for a
// policy or receipt signed with the same owner key.
inline constexpr std::string_view kManifestContentType =
    "application/vnd.eml.model-manifest.v1+cbor";
inline constexpr std::string_view kManifestObject = "manifest.cose";
inline constexpr std::string_view kDefaultModelFormat = "bert-safetensors";

inline constexpr size_t kDataKeySize = 32;  // AES-256 key material from GenerateDataKey
inline constexpr size_t kChunkTagSize = 16;
inline constexpr size_t kDefaultChunkSize = size_t{4} << 20;
inline constexpr size_t kMinChunkSize = 4096;
inline constexpr size_t kMaxChunkSize = size_t{64} << 20;

// Limits on the manifest (every one checked by ParseManifestPayload).
inline constexpr size_t kMaxManifestSize = size_t{1} << 20;  // manifest.cose, bytes
inline constexpr size_t kMaxPackageFiles = 64;
inline constexpr size_t kMaxFileNameSize = 128;
inline constexpr size_t kMaxModelIdSize = 128;
inline constexpr size_t kMaxModelVersionSize = 128;
inline constexpr size_t kMaxModelFormatSize = 64;
inline constexpr size_t kMaxKmsKeyIdSize = 2048;
inline constexpr size_t kMaxWrappedKeySize = 4096;
inline constexpr uint64_t kMaxPackageFileSize = uint64_t{1} << 40;  // 1 TiB per file

// Domain strings (ASCII, no terminator), one per use of the data key.
inline constexpr std::string_view kChunkKeyInfo = "EML model package v1: chunk key";
inline constexpr std::string_view kChunkAadDomain = "EML model package v1: chunk";

// ---- The manifest ----------------------------------------------------------

struct PackageFileEntry {
  std::string name;      // logical path in the model directory, e.g. "1_Pooling/config.json"
  uint64_t size = 0;     // plaintext bytes
  Bytes sha256;          // SHA-256 of the plaintext, 32 bytes
  uint64_t chunks = 0;   // max(1, ceil(size / chunk_size))
};

struct PackageManifest {
  uint64_t format = kPackageFormatVersion;
  std::string model_id;
  std::string model_version;
  std::string model_format = std::string(kDefaultModelFormat);
  uint64_t chunk_size = kDefaultChunkSize;
  std::vector<PackageFileEntry> files;  // file i is stored as FileObjectName(i)
  std::string kms_key_id;
  Bytes wrapped_data_key;  // the KMS CiphertextBlob of the data key
  // Always exactly {"model_id": model_id, "version": model_version}: what the
  // enclave passes to KMS Decrypt, so the wrapped key opens only for this model.
  std::map<std::string, std::string> encryption_context;
  uint64_t created = 0;  // Unix seconds
};

// The encryption context of a model: {"model_id": id, "version": version}.
std::map<std::string, std::string> PackageEncryptionContext(std::string_view model_id,
                                                            std::string_view model_version);

// Name rules, exposed for the CLI and tests (InvalidArgument naming the rule).
// File names: 1..kMaxFileNameSize bytes, '/'-separated components of
// [A-Za-z0-9._-], none empty, "." or ".."; no leading or trailing '/'.
Status CheckPackageFileName(std::string_view name);
// Model id: 1..kMaxModelIdSize of [A-Za-z0-9._-]. Version: 1..128 printable
// ASCII without '"' or '\'.
Status CheckModelId(std::string_view id);
Status CheckModelVersion(std::string_view version);

// Validates every field and limit (including each file's chunk count and
// the encryption context), then encodes deterministic CBOR.
StatusOr<Bytes> EncodeManifestPayload(const PackageManifest& manifest);
// Strict inverse: deterministic CBOR, no unknown, missing or duplicate
// fields, every limit. Used on a payload whose signature already verified
// (and by the fuzzer); it trusts nothing in it.
StatusOr<PackageManifest> ParseManifestPayload(ByteSpan payload);

// "files/<i>.enc" (decimal i, no leading zeros).
std::string FileObjectName(size_t index);

// COSE_Sign1 over `payload` with the fixed envelope VerifyManifest expects.
// Signs whatever it is given (tests use it for hostile manifests); use
// EncodeManifestPayload to make a valid payload.
StatusOr<Bytes> SignManifestPayload(ByteSpan payload, const crypto::Ed25519PrivateKey& owner_key);

// SHA-256(payload): the receipt's model_hash for a packaged model.
Bytes PackageModelHash(ByteSpan payload);

struct VerifiedManifest {
  PackageManifest manifest;
  Bytes payload;     // the signed CBOR bytes
  Bytes model_hash;  // PackageModelHash(payload)
};

// `manifest_cose` is manifest.cose; `owner_public_key` the raw 32-byte
// Ed25519 key. Checks, in order: size (LimitExceeded), deterministic CBOR
// and the fixed envelope (tag 18, protected header exactly {alg: EdDSA,
// content type: kManifestContentType}, empty unprotected header, attached
// payload) (InvalidArgument), the signature (VerificationFailed), then
// ParseManifestPayload.
StatusOr<VerifiedManifest> VerifyManifest(ByteSpan manifest_cose, ByteSpan owner_public_key);

// ---- Storage ---------------------------------------------------------------

// Where the enclave reads a package from: a local directory, or the host's
// storage proxy. Everything it returns is hostile; DecryptPackage checks
// every length.
class PackageSource {
 public:
  virtual ~PackageSource() = default;
  // The manifest.cose object. Must refuse (LimitExceeded) one larger than
  // `max_size` without reading it whole.
  virtual StatusOr<Bytes> ReadManifest(size_t max_size) = 0;
  // Up to `length` bytes of `object` from `offset`, like pread: fewer only
  // when the object ends first (an offset at or past the end gives none).
  // May be called from several threads at once.
  virtual StatusOr<Bytes> ReadRange(std::string_view object, uint64_t offset,
                                    size_t length) = 0;
  // The same into `out` (length = out.size()); returns the bytes read. The
  // default calls ReadRange and copies; a source that can read in place
  // (DirectoryPackageSource) overrides it, which saves DecryptPackage an
  // allocation, its page faults and a copy per chunk.
  virtual StatusOr<size_t> ReadRangeInto(std::string_view object, uint64_t offset,
                                         std::span<uint8_t> out);
};

// Reads the package in directory `dir` (objects as files under it). Object
// names are the fixed ones above (checked), so nothing outside `dir` is
// opened; files must be regular files.
class DirectoryPackageSource final : public PackageSource {
 public:
  explicit DirectoryPackageSource(std::string dir) : dir_(std::move(dir)) {}
  StatusOr<Bytes> ReadManifest(size_t max_size) override;
  StatusOr<Bytes> ReadRange(std::string_view object, uint64_t offset, size_t length) override;
  StatusOr<size_t> ReadRangeInto(std::string_view object, uint64_t offset,
                                 std::span<uint8_t> out) override;

 private:
  std::string dir_;
};

// Where `WritePackage` writes objects: each is written once, in order,
// Begin(object), Append()..., Finish(); manifest.cose last.
class PackageSink {
 public:
  virtual ~PackageSink() = default;
  virtual Status Begin(std::string_view object) = 0;
  virtual Status Append(ByteSpan bytes) = 0;
  virtual Status Finish() = 0;
};

// Writes into `dir`, which must not exist yet (AlreadyExists) and whose
// parent must (NotFound); creates dir and dir/files. Files are created
// exclusively and fsync'd on Finish.
class DirectoryPackageSink final : public PackageSink {
 public:
  static StatusOr<std::unique_ptr<DirectoryPackageSink>> Create(const std::string& dir);
  ~DirectoryPackageSink() override;
  Status Begin(std::string_view object) override;
  Status Append(ByteSpan bytes) override;
  Status Finish() override;

 private:
  explicit DirectoryPackageSink(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
  int fd_ = -1;
};

// A package held in memory: a sink and a source (tests, benchmarks, and a
// transport that fetched whole objects). Objects may be edited through
// objects() to simulate a hostile host.
class MemoryPackage final : public PackageSink, public PackageSource {
 public:
  Status Begin(std::string_view object) override;
  Status Append(ByteSpan bytes) override;
  Status Finish() override;
  StatusOr<Bytes> ReadManifest(size_t max_size) override;
  StatusOr<Bytes> ReadRange(std::string_view object, uint64_t offset, size_t length) override;

  std::map<std::string, Bytes, std::less<>>& objects() { return objects_; }

 private:
  std::map<std::string, Bytes, std::less<>> objects_;  // not written while read
  std::string open_;  // the object between Begin and Finish
};

// ---- Packaging (model owner side) -----------------------------------------

// The data key as GenerateDataKey returned it.
struct DataKey {
  SecretBytes plaintext;  // kDataKeySize bytes; never stored
  Bytes ciphertext_blob;  // wrapped by KMS; stored in the manifest
  std::string key_id;     // the KMS key that wrapped it
};

struct PackageInput {
  std::string name;   // manifest name (CheckPackageFileName)
  ByteSpan contents;  // borrowed for the call
};

struct PackageParams {
  std::string model_id;
  std::string model_version;
  std::string model_format = std::string(kDefaultModelFormat);
  uint64_t chunk_size = kDefaultChunkSize;
  uint64_t created = 0;  // Unix seconds
  // Called after each chunk with (plaintext bytes done, total).
  std::function<void(uint64_t, uint64_t)> progress;
};

struct PackageResult {
  Bytes manifest_cose;
  Bytes model_hash;  // PackageModelHash of the signed payload
};

// Encrypts `files` (in that order; names unique) under `key` and signs the
// manifest with `owner_key`. The data key must be fresh for this package:
// nonces are derived from (file index, chunk index) only
// (docs/model-package.md "Nonces").
StatusOr<PackageResult> WritePackage(std::span<const PackageInput> files,
                                     const PackageParams& params, const DataKey& key,
                                     const crypto::Ed25519PrivateKey& owner_key,
                                     PackageSink& sink);

// ---- Decryption (enclave side) --------------------------------------------

struct DecryptOptions {
  int num_threads = 2;  // workers fetching and opening chunks; 1..64
  // Sum of the plaintext sizes, checked before anything is allocated.
  uint64_t max_total_size = uint64_t{16} << 30;
  // Return as soon as every chunk is decrypted and authenticated, and finish
  // the files' SHA-256 checks on a background thread; the caller must then
  // call DecryptedPackage::WaitVerified() and use nothing before it is OK
  // (it may parse the files meanwhile, e.g. build the engine, which is what
  // this is for: the long hash of the weights overlaps the engine load).
  bool verify_in_background = false;
};

// Wall-clock milliseconds of each stage. Fetching, decrypting and most of
// the hashing run together on the workers; that phase's wall time is split
// in proportion to the time the workers spent in each (fetch_decrypt_ms =
// fetch_ms + decrypt_ms; the hashing share goes to verify_ms). load_ms is
// the caller's (building the engine from the files).
struct PackageTimings {
  double allocate_ms = 0;  // the locked plaintext buffers (page faults, mlock)
  double fetch_ms = 0;
  double decrypt_ms = 0;
  double fetch_decrypt_ms = 0;
  // SHA-256 of every file (its share of the decrypt phase plus what was
  // left after the last chunk) and the comparison with the manifest.
  double verify_ms = 0;
  double load_ms = 0;
  uint64_t plaintext_bytes = 0;
  bool memory_locked = true;  // every buffer was mlock'd
};

class DecryptedPackage {
 public:
  struct File {
    std::string name;
    LockedBuffer contents;
  };

  const std::vector<File>& files() const { return files_; }
  // nullptr if the package has no file of that name.
  const File* Find(std::string_view name) const;
  // name -> bytes; the views live as long as this object.
  std::map<std::string, ByteSpan> FileMap() const;
  const PackageTimings& timings() const { return timings_; }
  // OK once every file's SHA-256 matched the manifest; VerificationFailed
  // naming the file otherwise (then drop the package: its buffers are wiped
  // when freed). Returns at once unless DecryptOptions::verify_in_background.
  // Adds the time waited to timings().verify_ms. Not thread-safe.
  Status WaitVerified();

 private:
  friend StatusOr<std::shared_ptr<DecryptedPackage>> DecryptPackage(
      PackageSource&, const VerifiedManifest&, const SecretBytes&, const DecryptOptions&);
  std::vector<File> files_;
  PackageTimings timings_;
  // Declared after files_: destroyed first, so a running background check
  // finishes before the buffers it reads are freed.
  std::shared_future<Status> verified_;
};

// Fetches, authenticates and decrypts every file of `manifest` from `source`
// with `data_key` (from KMS Decrypt of manifest.wrapped_data_key, with
// manifest.encryption_context). VerificationFailed names the file and chunk
// for a chunk whose tag does not verify (tampered, reordered, moved from
// another file or package, or a wrong data key) and for a file whose SHA-256
// differs; OutOfRange for an object shorter than the manifest says;
// InvalidArgument for one longer; LimitExceeded for a package larger than
// options.max_total_size. On error nothing of the plaintext is returned
// (the buffers are wiped).
StatusOr<std::shared_ptr<DecryptedPackage>> DecryptPackage(
    PackageSource& source, const VerifiedManifest& manifest, const SecretBytes& data_key,
    const DecryptOptions& options = {});

// ---- Chunk cryptography, exposed for the worked example and tests ---------

// HKDF-SHA256(salt = "", ikm = data key, info = kChunkKeyInfo, L = 32).
StatusOr<SecretBytes> DeriveChunkKey(const SecretBytes& data_key);
// u32be(file index) || u64be(chunk index).
Bytes ChunkNonce(uint32_t file_index, uint64_t chunk_index);
// lp(kChunkAadDomain) || lp(model_id) || lp(version) || lp(file name) ||
// u64be(chunk index) || u8(last ? 1 : 0), where lp(x) = u32be(len x) || x.
Bytes ChunkAad(std::string_view model_id, std::string_view model_version,
               std::string_view file_name, uint64_t chunk_index, bool last);
// Chunks a file of `size` bytes takes: max(1, ceil(size / chunk_size)).
uint64_t ChunkCount(uint64_t size, uint64_t chunk_size);

}  // namespace eml::model

#endif  // EML_MODEL_PACKAGE_H_
