#include "core/bytes.h"

#include <string>

namespace eml {

Bytes Concat(std::initializer_list<ByteSpan> parts) {
  size_t total = 0;
  for (ByteSpan p : parts) total += p.size();
  Bytes out;
  out.reserve(total);
  for (ByteSpan p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Status ByteReader::Need(size_t len) const {
  if (len > data_.size()) {
    return OutOfRangeError("reader: need " + std::to_string(len) + " bytes, have " +
                           std::to_string(data_.size()));
  }
  return OkStatus();
}

namespace {
template <typename T>
T LoadBe(ByteSpan b) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>((v << 8) | b[i]);
  return v;
}
template <typename T>
T LoadLe(ByteSpan b) {
  T v = 0;
  for (size_t i = sizeof(T); i > 0; --i) v = static_cast<T>((v << 8) | b[i - 1]);
  return v;
}

template <typename T, T (*Load)(ByteSpan)>
Status ReadInt(ByteSpan* data, T* out) {
  if (data->size() < sizeof(T)) {
    return OutOfRangeError("reader: need " + std::to_string(sizeof(T)) + " bytes, have " +
                           std::to_string(data->size()));
  }
  *out = Load(data->first(sizeof(T)));
  *data = data->subspan(sizeof(T));
  return OkStatus();
}
}  // namespace

Status ByteReader::ReadU16Be(uint16_t* out) { return ReadInt<uint16_t, LoadBe<uint16_t>>(&data_, out); }
Status ByteReader::ReadU32Be(uint32_t* out) { return ReadInt<uint32_t, LoadBe<uint32_t>>(&data_, out); }
Status ByteReader::ReadU64Be(uint64_t* out) { return ReadInt<uint64_t, LoadBe<uint64_t>>(&data_, out); }
Status ByteReader::ReadU16Le(uint16_t* out) { return ReadInt<uint16_t, LoadLe<uint16_t>>(&data_, out); }
Status ByteReader::ReadU32Le(uint32_t* out) { return ReadInt<uint32_t, LoadLe<uint32_t>>(&data_, out); }
Status ByteReader::ReadU64Le(uint64_t* out) { return ReadInt<uint64_t, LoadLe<uint64_t>>(&data_, out); }

Status ByteReader::ReadU8(uint8_t* out) {
  RETURN_IF_ERROR(Need(1));
  *out = data_[0];
  data_ = data_.subspan(1);
  return OkStatus();
}

Status ByteReader::ReadSpan(size_t len, ByteSpan* out) {
  RETURN_IF_ERROR(Need(len));
  *out = data_.first(len);
  data_ = data_.subspan(len);
  return OkStatus();
}

Status ByteReader::ReadBytes(size_t len, Bytes* out) {
  ByteSpan s;
  RETURN_IF_ERROR(ReadSpan(len, &s));
  out->assign(s.begin(), s.end());
  return OkStatus();
}

Status ByteReader::Skip(size_t len) {
  RETURN_IF_ERROR(Need(len));
  data_ = data_.subspan(len);
  return OkStatus();
}

Status ByteReader::ExpectEmpty(std::string_view what) const {
  if (!data_.empty()) {
    return InvalidArgumentError(std::string(what) + ": " + std::to_string(data_.size()) +
                                " trailing bytes");
  }
  return OkStatus();
}

void ByteWriter::PutU16Be(uint16_t v) {
  for (int s = 8; s >= 0; s -= 8) out_.push_back(static_cast<uint8_t>(v >> s));
}
void ByteWriter::PutU32Be(uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out_.push_back(static_cast<uint8_t>(v >> s));
}
void ByteWriter::PutU64Be(uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out_.push_back(static_cast<uint8_t>(v >> s));
}
void ByteWriter::PutU32Le(uint32_t v) {
  for (int s = 0; s < 32; s += 8) out_.push_back(static_cast<uint8_t>(v >> s));
}
void ByteWriter::PutU64Le(uint64_t v) {
  for (int s = 0; s < 64; s += 8) out_.push_back(static_cast<uint8_t>(v >> s));
}

}  // namespace eml
