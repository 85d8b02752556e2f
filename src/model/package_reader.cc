// DecryptPackage: the enclave's side (docs/model-package.md "Checks").
//
// Work is split into (file, chunk) items taken by options.num_threads
// workers (the caller's thread is one of them): each fetches its chunk's
// ciphertext, opens it and copies the plaintext to its place in the file's
// LockedBuffer. The first error stops every worker and wins. Then the
// workers hash whole files (largest first) against the manifest.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "model/package.h"

namespace eml::model {
namespace {

using Clock = std::chrono::steady_clock;

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct ChunkItem {
  uint32_t file;
  uint64_t chunk;
};

// State shared by the workers of one DecryptPackage call.
class Job {
 public:
  Job(PackageSource& source, const PackageManifest& m, const crypto::Aead& aead,
      std::vector<DecryptedPackage::File>& files)
      : source_(source), m_(m), aead_(aead), files_(files) {}

  // Runs `work(i, worker)` for items 0..count-1 on `num_threads` threads;
  // worker is 0..num_threads-1 (0 is the calling thread).
  template <typename Work>
  Status RunParallel(size_t count, int num_threads, const Work& work) {
    if (count == 0) return OkStatus();
    next_.store(0);
    auto loop = [&](size_t worker) {
      for (size_t i = next_.fetch_add(1); i < count && !failed_.load(); i = next_.fetch_add(1)) {
        Status status = work(i, worker);
        if (!status.ok()) Fail(std::move(status));
      }
    };
    std::vector<std::thread> threads;
    const size_t workers = std::min<size_t>(count, static_cast<size_t>(num_threads));
    for (size_t t = 1; t < workers; ++t) threads.emplace_back(loop, t);
    loop(0);
    for (std::thread& t : threads) t.join();
    std::lock_guard<std::mutex> lock(mu_);
    return first_error_;
  }

  // `scratch` holds the chunk's ciphertext (reused by one worker).
  Status OpenChunk(const ChunkItem& item, Bytes& scratch);
  Status VerifyFile(size_t index) const;

  double fetch_ms() const { return fetch_us_.load() / 1000.0; }
  double decrypt_ms() const { return decrypt_us_.load() / 1000.0; }

 private:
  void Fail(Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    if (first_error_.ok()) first_error_ = std::move(status);
    failed_.store(true);
  }

  PackageSource& source_;
  const PackageManifest& m_;
  const crypto::Aead& aead_;
  std::vector<DecryptedPackage::File>& files_;  // each worker writes its own chunk's bytes
  std::atomic<size_t> next_{0};
  std::atomic<bool> failed_{false};
  std::atomic<int64_t> fetch_us_{0};
  std::atomic<int64_t> decrypt_us_{0};
  std::mutex mu_;
  Status first_error_;  // guarded by mu_
};

Status Job::OpenChunk(const ChunkItem& item, Bytes& scratch) {
  const PackageFileEntry& entry = m_.files[item.file];
  const std::string object = FileObjectName(item.file);
  const std::string where = object + " ('" + entry.name + "') chunk " + std::to_string(item.chunk);
  const bool last = item.chunk + 1 == entry.chunks;
  const uint64_t plain_offset = item.chunk * m_.chunk_size;
  const size_t plain_size =
      static_cast<size_t>(std::min<uint64_t>(m_.chunk_size, entry.size - plain_offset));
  const uint64_t sealed_offset = item.chunk * (m_.chunk_size + kChunkTagSize);
  const size_t sealed_size = plain_size + kChunkTagSize;
  // One byte more for the last chunk: an object that goes on past its last
  // chunk (extension) is caught without another request.
  const size_t want = sealed_size + (last ? 1 : 0);

  Clock::time_point start = Clock::now();
  if (scratch.size() < want) scratch.resize(want);  // sized by the verified manifest
  ASSIGN_OR_RETURN(const size_t got,
                   source_.ReadRangeInto(object, sealed_offset, std::span(scratch).first(want)));
  fetch_us_.fetch_add(static_cast<int64_t>(MillisSince(start) * 1000));
  if (got > want) {
    return InvalidArgumentError("package: " + where + ": the source returned more bytes than asked");
  }
  if (got < sealed_size) {
    return OutOfRangeError("package: " + where + ": the object ends early (truncated; " +
                           std::to_string(got) + " of " + std::to_string(sealed_size) + " bytes)");
  }
  const ByteSpan sealed = ByteSpan(scratch).first(sealed_size);
  if (got > sealed_size) {
    return InvalidArgumentError("package: " + object + " ('" + entry.name +
                                "') goes on past its last chunk (extended)");
  }

  start = Clock::now();
  StatusOr<Bytes> plain = aead_.Open(ChunkNonce(item.file, item.chunk), sealed,
                                     ChunkAad(m_.model_id, m_.model_version, entry.name,
                                              item.chunk, last));
  if (!plain.ok()) {
    if (plain.status().code() == StatusCode::kVerificationFailed) {
      return VerificationFailedError("package: " + where +
                                     " does not authenticate (tampered, reordered, from another "
                                     "file or package, or a wrong data key)");
    }
    return plain.status();
  }
  if (plain->size() != plain_size) return InternalError("package: " + where + ": size mismatch");
  if (plain_size > 0) {  // an empty chunk has no buffer (null data) on either side
    std::memcpy(files_[item.file].contents.mutable_bytes().data() + plain_offset, plain->data(),
                plain_size);
    ::explicit_bzero(plain->data(), plain->size());  // at memset speed (see locked_buffer.cc)
  }
  decrypt_us_.fetch_add(static_cast<int64_t>(MillisSince(start) * 1000));
  return OkStatus();
}

Status Job::VerifyFile(size_t index) const {
  const PackageFileEntry& entry = m_.files[index];
  const ByteSpan contents = files_[index].contents.bytes();
  if (contents.size() != entry.size) {
    return InternalError("package: file '" + entry.name + "' has the wrong size");
  }
  if (crypto::Sha256(contents) != entry.sha256) {
    return VerificationFailedError("package: file '" + entry.name +
                                   "' does not match its SHA-256 in the manifest");
  }
  return OkStatus();
}

// The manifest must be exactly what its payload says: a hand-made or edited
// VerifiedManifest is refused.
Status CheckVerified(const VerifiedManifest& verified) {
  StatusOr<Bytes> encoded = EncodeManifestPayload(verified.manifest);
  if (!encoded.ok() || *encoded != verified.payload ||
      PackageModelHash(verified.payload) != verified.model_hash) {
    return FailedPreconditionError("package: the manifest does not match its signed payload");
  }
  return OkStatus();
}

}  // namespace

const DecryptedPackage::File* DecryptedPackage::Find(std::string_view name) const {
  for (const File& f : files_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::map<std::string, ByteSpan> DecryptedPackage::FileMap() const {
  std::map<std::string, ByteSpan> out;
  for (const File& f : files_) out.emplace(f.name, f.contents.bytes());
  return out;
}

StatusOr<std::shared_ptr<DecryptedPackage>> DecryptPackage(PackageSource& source,
                                                           const VerifiedManifest& verified,
                                                           const SecretBytes& data_key,
                                                           const DecryptOptions& options) {
  RETURN_IF_ERROR(CheckVerified(verified));
  const PackageManifest& m = verified.manifest;
  if (options.num_threads < 1 || options.num_threads > 64) {
    return InvalidArgumentError("package: num_threads must be in [1, 64]");
  }
  uint64_t total = 0;
  for (const PackageFileEntry& f : m.files) {
    if (f.size > options.max_total_size - total) {
      return LimitExceededError("package: plaintext exceeds max_total_size (" +
                                std::to_string(options.max_total_size) + " bytes)");
    }
    total += f.size;
  }
  ASSIGN_OR_RETURN(SecretBytes chunk_key, DeriveChunkKey(data_key));
  ASSIGN_OR_RETURN(crypto::Aead aead, crypto::Aead::Create(crypto::AeadAlg::kAes256Gcm, chunk_key));

  auto package = std::shared_ptr<DecryptedPackage>(new DecryptedPackage());
  PackageTimings& timings = package->timings_;
  timings.plaintext_bytes = total;
  std::vector<ChunkItem> items;
  Clock::time_point start = Clock::now();
  for (size_t i = 0; i < m.files.size(); ++i) {
    ASSIGN_OR_RETURN(LockedBuffer buffer, LockedBuffer::Allocate(static_cast<size_t>(m.files[i].size)));
    if (!buffer.locked() && buffer.size() > 0) timings.memory_locked = false;
    package->files_.push_back({m.files[i].name, std::move(buffer)});
    for (uint64_t c = 0; c < m.files[i].chunks; ++c) items.push_back({static_cast<uint32_t>(i), c});
  }

  timings.allocate_ms = MillisSince(start);

  Job job(source, m, aead, package->files_);
  std::vector<Bytes> scratch(static_cast<size_t>(options.num_threads));
  start = Clock::now();
  RETURN_IF_ERROR(job.RunParallel(items.size(), options.num_threads, [&](size_t i, size_t worker) {
    return job.OpenChunk(items[i], scratch[worker]);
  }));
  timings.fetch_decrypt_ms = MillisSince(start);
  const double busy = job.fetch_ms() + job.decrypt_ms();
  if (busy > 0) {
    timings.fetch_ms = timings.fetch_decrypt_ms * job.fetch_ms() / busy;
    timings.decrypt_ms = timings.fetch_decrypt_ms * job.decrypt_ms() / busy;
  }

  // Largest file first, so the one long hash starts at once.
  std::vector<size_t> order(m.files.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return m.files[a].size > m.files[b].size; });
  start = Clock::now();
  RETURN_IF_ERROR(job.RunParallel(order.size(), options.num_threads,
                                  [&](size_t i, size_t) { return job.VerifyFile(order[i]); }));
  timings.verify_ms = MillisSince(start);
  return package;
}

}  // namespace eml::model
