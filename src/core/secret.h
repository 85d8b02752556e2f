// SecretBytes: key material and plaintext that must not outlive its use.
//
// The buffer is wiped (OPENSSL_cleanse-equivalent volatile writes) on
// destruction and on reassignment; equality is constant-time in the content.
// Getting the raw bytes out is deliberate and greppable: `RevealSecret()`.
// Copying is explicit (`Clone()`) so secrets are not duplicated by accident.
//
// Thread-safety: a value type; not shared.
#ifndef EML_CORE_SECRET_H_
#define EML_CORE_SECRET_H_

#include <cstddef>
#include <cstdint>

#include "core/bytes.h"

namespace eml {

// Overwrites `len` bytes at `p` in a way the compiler cannot elide.
void SecureWipe(void* p, size_t len);

// Constant-time in the length of the inputs when sizes are equal; returns
// false immediately (not secret) when sizes differ.
bool ConstantTimeEquals(ByteSpan a, ByteSpan b);

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size) : data_(size, 0) {}
  explicit SecretBytes(ByteSpan data) : data_(data.begin(), data.end()) {}
  ~SecretBytes() { Wipe(); }

  SecretBytes(SecretBytes&& other) noexcept : data_(std::move(other.data_)) { other.data_.clear(); }
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  SecretBytes Clone() const { return SecretBytes(ByteSpan(data_)); }

  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }

  // The only way out. Callers must not copy the result into unwiped memory.
  ByteSpan RevealSecret() const { return data_; }
  uint8_t* MutableData() { return data_.data(); }

  friend bool operator==(const SecretBytes& a, const SecretBytes& b) {
    return ConstantTimeEquals(a.data_, b.data_);
  }

 private:
  void Wipe();
  Bytes data_;
};

}  // namespace eml

#endif  // EML_CORE_SECRET_H_
