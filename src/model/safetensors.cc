// Safetensors reader: header parsing and validation. See docs/safetensors.md.
#include "model/safetensors.h"

#include <algorithm>
#include <exception>
#include <limits>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/json.h"

namespace eml::model {
namespace {

using nlohmann::json;

constexpr std::string_view kMetadataKey = "__metadata__";
constexpr size_t kMaxEchoedSize = 32;  // bytes of a file string put in a message

// A bounded, printable excerpt of a file-provided string for error messages.
std::string Echo(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, kMaxEchoedSize)) {
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  if (s.size() > kMaxEchoedSize) out += "...";
  return out;
}

// {"__metadata__": {..}, name: {"dtype", "shape": [..], "data_offsets": [..]}}
// is three levels deep; one more is allowed.
constexpr int kMaxHeaderJsonDepth = 4;

Status Invalid(std::string_view what) {
  return InvalidArgumentError("safetensors: " + std::string(what));
}

// The header JSON, strictly (core/json.h): the grammar is two levels deep.
StatusOr<json> ParseHeaderJson(std::string_view text) {
  StatusOr<json> header = ParseJsonStrict(text, kMaxHeaderJsonDepth, "safetensors: header");
  if (!header.ok()) return header.status();
  if (!header->is_object()) return Invalid("header is not a JSON object");
  return header;
}

StatusOr<DType> ParseDType(const json& value) {
  if (!value.is_string()) return Invalid("dtype is not a string");
  const std::string& name = value.get_ref<const std::string&>();
  if (name == "F32") return DType::kF32;
  if (name == "F16") return DType::kF16;
  if (name == "BF16") return DType::kBF16;
  return UnsupportedError("safetensors: unsupported dtype " + Echo(name));
}

// Fills shape and num_elements; the element count must not overflow size_t.
Status ParseShape(const json& value, const SafetensorsLimits& limits, TensorView* t) {
  if (!value.is_array()) return Invalid("shape is not an array");
  if (value.size() > static_cast<size_t>(std::max(limits.max_rank, 0))) {
    return LimitExceededError("safetensors: tensor rank exceeds max_rank");
  }
  size_t count = 1;
  for (const json& dim : value) {
    if (dim.is_number_integer() && !dim.is_number_unsigned()) {
      return Invalid("negative shape entry");
    }
    if (!dim.is_number_unsigned()) return Invalid("shape entry is not an integer");
    uint64_t d = dim.get<uint64_t>();
    if (d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Invalid("shape entry too large");
    }
    if (d != 0 && count > std::numeric_limits<size_t>::max() / d) {
      return Invalid("shape element count overflows");
    }
    count *= static_cast<size_t>(d);
    t->shape.push_back(static_cast<int64_t>(d));
  }
  t->num_elements = count;
  return OkStatus();
}

struct Offsets {
  uint64_t begin;
  uint64_t end;
};

StatusOr<Offsets> ParseOffsets(const json& value) {
  if (!value.is_array() || value.size() != 2) {
    return Invalid("data_offsets is not a [begin, end] pair");
  }
  if (!value[0].is_number_unsigned() || !value[1].is_number_unsigned()) {
    return Invalid("data_offsets entry is not a non-negative integer");
  }
  return Offsets{value[0].get<uint64_t>(), value[1].get<uint64_t>()};
}

// Validates one tensor entry and points its view into `data_area`.
StatusOr<TensorView> ParseTensor(const std::string& name, const json& entry,
                                 ByteSpan data_area, const SafetensorsLimits& limits) {
  if (!entry.is_object()) return Invalid("tensor entry is not an object");
  for (const auto& [key, unused] : entry.items()) {
    if (key != "dtype" && key != "shape" && key != "data_offsets") {
      return Invalid("unknown tensor field " + Echo(key));
    }
  }
  if (!entry.contains("dtype") || !entry.contains("shape") ||
      !entry.contains("data_offsets")) {
    return Invalid("tensor entry lacks dtype, shape or data_offsets");
  }
  TensorView t;
  t.name = name;
  ASSIGN_OR_RETURN(t.dtype, ParseDType(entry["dtype"]));
  RETURN_IF_ERROR(ParseShape(entry["shape"], limits, &t));
  ASSIGN_OR_RETURN(Offsets off, ParseOffsets(entry["data_offsets"]));
  if (off.begin > off.end) return Invalid("data_offsets begin > end");
  if (off.end > data_area.size()) {
    return OutOfRangeError("safetensors: data_offsets end beyond the data area");
  }
  size_t elem_size = DTypeSize(t.dtype);
  if (t.num_elements > std::numeric_limits<size_t>::max() / elem_size ||
      off.end - off.begin != t.num_elements * elem_size) {
    return Invalid("data_offsets length does not match dtype and shape");
  }
  t.data = data_area.subspan(off.begin, off.end - off.begin);
  return t;
}

Status ParseMetadata(const json& value, const SafetensorsLimits& limits,
                     std::map<std::string, std::string>* out) {
  if (!value.is_object()) return Invalid("__metadata__ is not an object");
  for (const auto& [key, v] : value.items()) {
    if (!v.is_string()) return Invalid("__metadata__ value is not a string");
    if (key.size() > limits.max_name_size) {
      return LimitExceededError("safetensors: metadata key exceeds max_name_size");
    }
    (*out)[key] = v.get<std::string>();
  }
  return OkStatus();
}

// Tensors must tile the data area exactly: no overlap, no hole, no tail.
Status CheckCoverage(const std::vector<TensorView>& tensors, ByteSpan data_area) {
  std::vector<std::pair<size_t, size_t>> ranges;  // [begin, end) in the data area
  ranges.reserve(tensors.size());
  for (const TensorView& t : tensors) {
    size_t begin = static_cast<size_t>(t.data.data() - data_area.data());
    ranges.emplace_back(begin, begin + t.data.size());
  }
  std::sort(ranges.begin(), ranges.end());
  size_t expected = 0;
  for (const auto& [begin, end] : ranges) {
    if (begin < expected) return Invalid("tensor data overlaps");
    if (begin > expected) return Invalid("hole in the data area");
    expected = end;
  }
  if (expected != data_area.size()) return Invalid("unused bytes at end of data area");
  return OkStatus();
}

}  // namespace

StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::FromBuffer(
    ByteSpan data, const SafetensorsLimits& limits) {
  // nlohmann throws on misuse and std::bad_alloc may escape; neither may
  // cross this boundary.
  try {
    return Parse(data, limits);
  } catch (const std::exception&) {
    return InternalError("safetensors: unexpected exception while parsing header");
  }
}

StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Parse(
    ByteSpan data, const SafetensorsLimits& limits) {
  ByteReader reader(data);
  uint64_t header_size = 0;
  if (!reader.ReadU64Le(&header_size).ok()) {
    return OutOfRangeError("safetensors: file shorter than the 8-byte header length");
  }
  if (header_size > limits.max_header_size) {
    return LimitExceededError("safetensors: header length exceeds max_header_size");
  }
  if (header_size > reader.remaining()) {
    return OutOfRangeError("safetensors: header length exceeds file size");
  }
  ByteSpan header_bytes;
  RETURN_IF_ERROR(reader.ReadSpan(static_cast<size_t>(header_size), &header_bytes));
  if (header_bytes.empty() || header_bytes[0] != '{') {
    return Invalid("header does not start with '{'");
  }
  ByteSpan data_area = reader.rest();
  ASSIGN_OR_RETURN(json header, ParseHeaderJson(AsStringView(header_bytes)));

  size_t num_tensors = header.size() - (header.contains(kMetadataKey) ? 1 : 0);
  if (num_tensors > limits.max_tensors) {
    return LimitExceededError("safetensors: tensor count exceeds max_tensors");
  }
  auto file = std::unique_ptr<SafetensorsFile>(new SafetensorsFile());
  file->file_bytes_ = data;
  file->tensors_.reserve(num_tensors);
  for (const auto& [name, entry] : header.items()) {
    if (name == kMetadataKey) {
      RETURN_IF_ERROR(ParseMetadata(entry, limits, &file->metadata_));
      continue;
    }
    if (name.empty()) return Invalid("empty tensor name");
    if (name.size() > limits.max_name_size) {
      return LimitExceededError("safetensors: tensor name exceeds max_name_size");
    }
    ASSIGN_OR_RETURN(TensorView t, ParseTensor(name, entry, data_area, limits));
    file->tensors_.push_back(std::move(t));
  }
  RETURN_IF_ERROR(CheckCoverage(file->tensors_, data_area));
  // nlohmann::json objects iterate in key order already; sort to be explicit.
  std::sort(file->tensors_.begin(), file->tensors_.end(),
            [](const TensorView& a, const TensorView& b) { return a.name < b.name; });
  return file;
}

StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Open(
    const std::string& path, const SafetensorsLimits& limits) {
  ASSIGN_OR_RETURN(MappedFile mapping, MappedFile::Open(path));
  ASSIGN_OR_RETURN(std::unique_ptr<SafetensorsFile> file,
                   FromBuffer(mapping.bytes(), limits));
  file->mapping_ = std::move(mapping);  // the views keep pointing at the same pages
  return file;
}

const TensorView* SafetensorsFile::Find(std::string_view name) const {
  auto it = std::lower_bound(
      tensors_.begin(), tensors_.end(), name,
      [](const TensorView& t, std::string_view n) { return t.name < n; });
  if (it == tensors_.end() || it->name != name) return nullptr;
  return &*it;
}

}  // namespace eml::model
