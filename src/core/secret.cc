#include "core/secret.h"

namespace eml {

void SecureWipe(void* p, size_t len) {
  volatile uint8_t* v = static_cast<volatile uint8_t*>(p);
  for (size_t i = 0; i < len; ++i) v[i] = 0;
  // Prevent reordering of the wipe past later frees.
  __asm__ __volatile__("" : : "r"(p) : "memory");
}

bool ConstantTimeEquals(ByteSpan a, ByteSpan b) {
  if (a.size() != b.size()) return false;
  uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<uint8_t>(a[i] ^ b[i]);
  // Launder through volatile so the compiler cannot short-circuit the loop.
  volatile uint8_t result = diff;
  return result == 0;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    data_ = std::move(other.data_);
    other.data_.clear();
  }
  return *this;
}

void SecretBytes::Wipe() {
  if (!data_.empty()) SecureWipe(data_.data(), data_.size());
  data_.clear();
}

}  // namespace eml
