// Locked, non-dumpable plaintext buffers; see locked_buffer.h.
#include "model/locked_buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>


namespace eml::model {

LockedBuffer::~LockedBuffer() { Reset(); }

LockedBuffer::LockedBuffer(LockedBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_size_(std::exchange(other.mapped_size_, 0)),
      locked_(std::exchange(other.locked_, false)) {}

LockedBuffer& LockedBuffer::operator=(LockedBuffer&& other) noexcept {
  if (this != &other) {
    Reset();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_size_ = std::exchange(other.mapped_size_, 0);
    locked_ = std::exchange(other.locked_, false);
  }
  return *this;
}

void LockedBuffer::Reset() {
  if (data_ == nullptr) return;
  // explicit_bzero: memset speed (SecureWipe's byte loop costs ~30 ms per
  // 90 MB), and, like it, never removed as a dead store.
  ::explicit_bzero(data_, mapped_size_);
  if (locked_) ::munlock(data_, mapped_size_);
  ::munmap(data_, mapped_size_);
  data_ = nullptr;
  size_ = 0;
  mapped_size_ = 0;
  locked_ = false;
}

StatusOr<LockedBuffer> LockedBuffer::Allocate(size_t size) {
  LockedBuffer buffer;
  if (size == 0) return buffer;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  if (size > SIZE_MAX - page) return LimitExceededError("locked_buffer: size too large");
  const size_t mapped_size = (size + page - 1) / page * page;
  void* p = ::mmap(nullptr, mapped_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return LimitExceededError("locked_buffer: cannot map " + std::to_string(size) +
                              " bytes: " + std::strerror(errno));
  }
  buffer.data_ = static_cast<uint8_t*>(p);
  buffer.size_ = size;
  buffer.mapped_size_ = mapped_size;
  // All best effort, before any page is touched. Huge pages: a 90 MB model
  // then takes ~45 page faults instead of ~22,000 (measured: the faults
  // were most of the allocation's cost). MADV_DONTDUMP exists since Linux
  // 3.4; mlock is bounded by RLIMIT_MEMLOCK outside the enclave and, when
  // it succeeds, also faults every page in.
  ::madvise(p, mapped_size, MADV_HUGEPAGE);
  ::madvise(p, mapped_size, MADV_DONTDUMP);
  buffer.locked_ = ::mlock(p, mapped_size) == 0;
  return buffer;
}

}  // namespace eml::model
