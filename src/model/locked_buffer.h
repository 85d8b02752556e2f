// LockedBuffer: a fixed-size, page-aligned buffer for plaintext that must
// never reach disk (decrypted model weights inside the enclave).
//
// The memory is an anonymous private mapping, marked MADV_DONTDUMP (kept out
// of core dumps) and mlock'd (kept out of swap) where RLIMIT_MEMLOCK allows;
// whether the lock took is reported by locked(), never an error, because an
// enclave without swap does not need it and a developer machine may not
// grant it. The destructor wipes every byte before unlocking and unmapping.
//
// Thread-safety: a value type (move-only). Distinct byte ranges of one
// buffer may be written by different threads at once; the owner
// synchronises before readers look.
#ifndef EML_MODEL_LOCKED_BUFFER_H_
#define EML_MODEL_LOCKED_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/bytes.h"
#include "core/status.h"

namespace eml::model {

class LockedBuffer {
 public:
  LockedBuffer() = default;
  ~LockedBuffer();
  LockedBuffer(LockedBuffer&& other) noexcept;
  LockedBuffer& operator=(LockedBuffer&& other) noexcept;
  LockedBuffer(const LockedBuffer&) = delete;
  LockedBuffer& operator=(const LockedBuffer&) = delete;

  // A zero-filled buffer of `size` bytes (size 0 gives an empty buffer and
  // maps nothing). LimitExceeded if the mapping cannot be made.
  static StatusOr<LockedBuffer> Allocate(size_t size);

  size_t size() const { return size_; }
  bool locked() const { return locked_; }
  ByteSpan bytes() const { return ByteSpan(data_, size_); }
  std::span<uint8_t> mutable_bytes() { return std::span<uint8_t>(data_, size_); }

 private:
  void Reset();

  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t mapped_size_ = 0;  // size_ rounded up to whole pages
  bool locked_ = false;
};

}  // namespace eml::model

#endif  // EML_MODEL_LOCKED_BUFFER_H_
