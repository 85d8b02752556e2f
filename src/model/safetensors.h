// Reader and writer for the safetensors model-file format.
//
// Format, limits and every rejection reason are specified in
// docs/safetensors.md. A file is validated completely in Open/FromBuffer
// before any object is returned: header length, JSON grammar (duplicate keys
// rejected), dtypes, shapes (overflow-checked), data offsets (in range,
// matching the shape, non-overlapping, covering the data area with no holes)
// and metadata. Nothing is allocated from a file-provided size until that
// size has been checked against the file and the limits.
//
// Lifetime: TensorView::data borrows from the file mapping (Open) or from the
// caller's buffer (FromBuffer); views live as long as the SafetensorsFile and,
// for FromBuffer, as long as the caller's buffer.
// Thread-safety: a SafetensorsFile is immutable after construction and safe
// for concurrent readers.
#ifndef EML_MODEL_SAFETENSORS_H_
#define EML_MODEL_SAFETENSORS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "model/mapped_file.h"

namespace eml::model {

enum class DType { kF32, kF16, kBF16 };

// Bytes per element.
size_t DTypeSize(DType dtype);
// "F32", "F16", "BF16" (the spelling used in the header JSON).
std::string_view DTypeName(DType dtype);

struct SafetensorsLimits {
  uint64_t max_header_size = 100 << 20;  // bytes of header JSON
  uint64_t max_tensors = 1 << 16;
  int max_rank = 8;
  size_t max_name_size = 1024;           // bytes per tensor name / metadata key
};

struct TensorView {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  size_t num_elements;
  ByteSpan data;  // borrowed from the mapping; lives as long as the SafetensorsFile
};

class SafetensorsFile {
 public:
  // mmap(PROT_READ, MAP_PRIVATE)s the file and validates everything before
  // returning. Missing file: NotFound; other OS errors: Io.
  static StatusOr<std::unique_ptr<SafetensorsFile>> Open(
      const std::string& path, const SafetensorsLimits& limits = {});
  // Same validation over caller-owned bytes (tests, fuzzing); the buffer must
  // outlive the returned object.
  static StatusOr<std::unique_ptr<SafetensorsFile>> FromBuffer(
      ByteSpan data, const SafetensorsLimits& limits = {});

  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const TensorView* Find(std::string_view name) const;  // nullptr if absent
  const std::vector<TensorView>& tensors() const { return tensors_; }  // by name
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  ByteSpan file_bytes() const { return file_bytes_; }  // whole file, for hashing

 private:
  SafetensorsFile() = default;
  static StatusOr<std::unique_ptr<SafetensorsFile>> Parse(
      ByteSpan data, const SafetensorsLimits& limits);

  MappedFile mapping_;  // empty for FromBuffer
  ByteSpan file_bytes_;
  std::vector<TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

// Converts any dtype to f32 (F16 incl. subnormals/inf/nan, BF16).
// out.size() must equal t.num_elements.
Status ConvertToF32(const TensorView& t, std::span<float> out);

// f32 view of an F32 tensor without copying, if 4-byte aligned; else error.
StatusOr<std::span<const float>> AsF32Span(const TensorView& t);

// Scalar conversions, exposed for tests and kernels.
float F16ToF32(uint16_t bits);
float BF16ToF32(uint16_t bits);

struct TensorToWrite {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  ByteSpan data;
};

// Writes a valid safetensors file: header padded with spaces to 8-byte
// alignment, tensors in name order and contiguous. Deterministic output for
// the same input. The input is validated with the reader's rules.
Status WriteSafetensors(const std::string& path,
                        std::span<const TensorToWrite> tensors,
                        const std::map<std::string, std::string>& metadata = {});

// Same as WriteSafetensors, into memory.
StatusOr<Bytes> SerializeSafetensors(
    std::span<const TensorToWrite> tensors,
    const std::map<std::string, std::string>& metadata = {});

}  // namespace eml::model

#endif  // EML_MODEL_SAFETENSORS_H_
