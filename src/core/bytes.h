// Byte containers and a bounds-checked reader/writer for hostile input.
//
// ByteReader follows BoringSSL's CBS discipline: every read either succeeds
// and advances, or fails and leaves the cursor where it was. Parsers end by
// calling ExpectEmpty() so trailing bytes are an error, not silently ignored.
//
// Lifetime: a ByteReader borrows the span it was built from; the caller keeps
// the underlying bytes alive for as long as the reader (and any sub-readers or
// spans returned by it) are used. Thread-safety: not shared.
#ifndef EML_CORE_BYTES_H_
#define EML_CORE_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace eml {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

inline ByteSpan AsBytes(std::string_view s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline std::string_view AsStringView(ByteSpan b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}
inline Bytes ToBytes(std::string_view s) {
  ByteSpan b = AsBytes(s);
  return Bytes(b.begin(), b.end());
}
// Concatenates spans into a new buffer.
Bytes Concat(std::initializer_list<ByteSpan> parts);

class ByteReader {
 public:
  explicit ByteReader(ByteSpan data) : data_(data) {}

  size_t remaining() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  ByteSpan rest() const { return data_; }

  Status ReadU8(uint8_t* out);
  Status ReadU16Be(uint16_t* out);
  Status ReadU32Be(uint32_t* out);
  Status ReadU64Be(uint64_t* out);
  Status ReadU16Le(uint16_t* out);
  Status ReadU32Le(uint32_t* out);
  Status ReadU64Le(uint64_t* out);
  // Borrows `len` bytes; the span points into the reader's input.
  Status ReadSpan(size_t len, ByteSpan* out);
  Status ReadBytes(size_t len, Bytes* out);
  Status Skip(size_t len);
  // OK only if all input was consumed; `what` names the structure.
  Status ExpectEmpty(std::string_view what) const;

 private:
  Status Need(size_t len) const;
  ByteSpan data_;
};

class ByteWriter {
 public:
  ByteWriter() = default;

  void PutU8(uint8_t v) { out_.push_back(v); }
  void PutU16Be(uint16_t v);
  void PutU32Be(uint32_t v);
  void PutU64Be(uint64_t v);
  void PutU32Le(uint32_t v);
  void PutU64Le(uint64_t v);
  void PutBytes(ByteSpan b) { out_.insert(out_.end(), b.begin(), b.end()); }

  size_t size() const { return out_.size(); }
  const Bytes& bytes() const { return out_; }
  Bytes Take() { return std::move(out_); }

 private:
  Bytes out_;
};

}  // namespace eml

#endif  // EML_CORE_BYTES_H_
