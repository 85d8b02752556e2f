// DecryptPackage: the enclave's side (docs/model-package.md "Checks").
//
// Work is split into (file, chunk) items taken by options.num_threads
// workers (the caller's thread is one of them): each fetches its chunk's
// ciphertext and opens it straight into its place in the file's
// LockedBuffer. The first error stops every worker and wins. Each file's
// SHA-256 is computed in chunk order while the workers decrypt: after a
// chunk, a worker hashes the file's next finished chunks unless another
// worker is already doing so, so the long hash of the weights runs on one
// core while the other decrypts. Whatever is left is hashed after the last
// chunk, and every file's hash is then compared with the manifest. With
// verify_in_background the workers only decrypt, and one background thread
// hashes and compares while the caller builds the engine.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <memory>
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
  // Keeps its own copy of the manifest: a background verification may
  // outlive the caller's.
  Job(PackageSource& source, const PackageManifest& m, const crypto::Aead& aead,
      std::vector<DecryptedPackage::File>& files)
      : source_(source), m_(m), aead_(aead), files_(files) {
    for (const PackageFileEntry& f : m.files) hashes_.push_back(std::make_unique<FileHash>(f.chunks));
  }

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

  // false: the workers only decrypt, and the hashes are computed afterwards
  // (in the background, overlapping the caller's engine load).
  void set_hash_while_decrypting(bool on) { hash_while_decrypting_ = on; }

  // `scratch` holds the chunk's ciphertext (reused by one worker).
  Status OpenChunk(const ChunkItem& item, Bytes& scratch);
  Status VerifyFile(size_t index);

  double fetch_ms() const { return fetch_us_.load() / 1000.0; }
  double decrypt_ms() const { return decrypt_us_.load() / 1000.0; }
  double hash_ms() const { return hash_us_.load() / 1000.0; }

 private:
  void Fail(Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    if (first_error_.ok()) first_error_ = std::move(status);
    failed_.store(true);
  }

  // A file's running SHA-256 over its chunks 0..next-1.
  struct FileHash {
    explicit FileHash(uint64_t chunks) : done(new std::atomic<bool>[chunks]) {
      for (uint64_t c = 0; c < chunks; ++c) done[c].store(false);
    }
    std::unique_ptr<std::atomic<bool>[]> done;  // chunk c decrypted (release/acquire)
    std::mutex mu;
    crypto::Sha256Hasher hasher;  // guarded by mu
    uint64_t next = 0;            // guarded by mu
  };
  // Hashes the file's finished chunks in order. `wait`: take the lock even
  // if another worker holds it (after the parallel phase).
  void HashFinished(uint32_t file, bool wait);

  PackageSource& source_;   // OpenChunk only (the decrypt phase)
  const PackageManifest m_;
  const crypto::Aead& aead_;  // OpenChunk only
  std::vector<DecryptedPackage::File>& files_;  // each worker writes its own chunk's bytes
  std::vector<std::unique_ptr<FileHash>> hashes_;
  bool hash_while_decrypting_ = true;
  std::atomic<size_t> next_{0};
  std::atomic<bool> failed_{false};
  std::atomic<int64_t> fetch_us_{0};
  std::atomic<int64_t> decrypt_us_{0};
  std::atomic<int64_t> hash_us_{0};
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
  // Straight into the locked buffer (an empty chunk: an empty span); a
  // chunk that fails is wiped there by OpenInto.
  std::span<uint8_t> out;
  if (plain_size > 0) {
    out = files_[item.file].contents.mutable_bytes().subspan(static_cast<size_t>(plain_offset),
                                                             plain_size);
  }
  Status opened = aead_.OpenInto(ChunkNonce(item.file, item.chunk), sealed,
                                 ChunkAad(m_.model_id, m_.model_version, entry.name, item.chunk,
                                          last),
                                 out);
  if (!opened.ok()) {
    if (opened.code() == StatusCode::kVerificationFailed) {
      return VerificationFailedError("package: " + where +
                                     " does not authenticate (tampered, reordered, from another "
                                     "file or package, or a wrong data key)");
    }
    return opened;
  }
  decrypt_us_.fetch_add(static_cast<int64_t>(MillisSince(start) * 1000));
  hashes_[item.file]->done[item.chunk].store(true, std::memory_order_release);
  if (hash_while_decrypting_) HashFinished(item.file, /*wait=*/false);
  return OkStatus();
}

void Job::HashFinished(uint32_t file, bool wait) {
  FileHash& h = *hashes_[file];
  std::unique_lock<std::mutex> lock(h.mu, std::defer_lock);
  if (wait) {
    lock.lock();
  } else if (!lock.try_lock()) {
    return;  // another worker is hashing this file; it or the final pass takes our chunk
  }
  const PackageFileEntry& entry = m_.files[file];
  const ByteSpan contents = files_[file].contents.bytes();
  const Clock::time_point start = Clock::now();
  while (h.next < entry.chunks && h.done[h.next].load(std::memory_order_acquire)) {
    const uint64_t begin = h.next * m_.chunk_size;
    const uint64_t end = std::min<uint64_t>(begin + m_.chunk_size, entry.size);
    if (end > begin) {
      h.hasher.Update(contents.subspan(static_cast<size_t>(begin), static_cast<size_t>(end - begin)));
    }
    ++h.next;
  }
  hash_us_.fetch_add(static_cast<int64_t>(MillisSince(start) * 1000));
}

Status Job::VerifyFile(size_t index) {
  const PackageFileEntry& entry = m_.files[index];
  const ByteSpan contents = files_[index].contents.bytes();
  if (contents.size() != entry.size) {
    return InternalError("package: file '" + entry.name + "' has the wrong size");
  }
  HashFinished(static_cast<uint32_t>(index), /*wait=*/true);
  FileHash& h = *hashes_[index];
  std::lock_guard<std::mutex> lock(h.mu);
  if (h.next != entry.chunks) {
    return InternalError("package: file '" + entry.name + "' was not decrypted completely");
  }
  if (h.hasher.Finish() != entry.sha256) {
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

Status DecryptedPackage::WaitVerified() {
  if (!verified_.valid()) return OkStatus();
  const Clock::time_point start = Clock::now();
  Status status = verified_.get();
  timings_.verify_ms += MillisSince(start);
  return status;
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

  auto job = std::make_shared<Job>(source, m, aead, package->files_);
  job->set_hash_while_decrypting(!options.verify_in_background);
  std::vector<Bytes> scratch(static_cast<size_t>(options.num_threads));
  start = Clock::now();
  RETURN_IF_ERROR(job->RunParallel(items.size(), options.num_threads, [&](size_t i, size_t worker) {
    return job->OpenChunk(items[i], scratch[worker]);
  }));
  const double phase_ms = MillisSince(start);
  // The phase's wall time split in proportion to the workers' time in each
  // activity; the hashing done inside it counts as verification.
  const double busy = job->fetch_ms() + job->decrypt_ms() + job->hash_ms();
  double hash_share = 0;
  if (busy > 0) {
    timings.fetch_ms = phase_ms * job->fetch_ms() / busy;
    timings.decrypt_ms = phase_ms * job->decrypt_ms() / busy;
    hash_share = phase_ms * job->hash_ms() / busy;
  }
  timings.fetch_decrypt_ms = timings.fetch_ms + timings.decrypt_ms;

  // The rest of each hash (largest file first), then the comparisons.
  std::vector<size_t> order(m.files.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return m.files[a].size > m.files[b].size; });
  timings.verify_ms = hash_share;
  if (options.verify_in_background) {
    // One thread: the caller's thread has its own work meanwhile.
    package->verified_ = std::async(std::launch::async, [job, order] {
      return job->RunParallel(order.size(), 1, [&](size_t i, size_t) {
        return job->VerifyFile(order[i]);
      });
    }).share();
    return package;
  }
  start = Clock::now();
  RETURN_IF_ERROR(job->RunParallel(order.size(), options.num_threads,
                                   [&](size_t i, size_t) { return job->VerifyFile(order[i]); }));
  timings.verify_ms += MillisSince(start);
  return package;
}

}  // namespace eml::model
