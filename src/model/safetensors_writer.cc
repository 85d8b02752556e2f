// Safetensors writer: a deterministic encoding that the reader accepts.
//
// Tensors are laid out in name order, contiguous from offset 0; the header
// JSON is compact with keys sorted (nlohmann::json objects are ordered maps)
// and padded with spaces so the data area starts 8-byte aligned.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "model/safetensors.h"

namespace eml::model {
namespace {

using nlohmann::json;

// Checks one tensor against the reader's rules; returns its byte size.
StatusOr<size_t> CheckTensor(const TensorToWrite& t) {
  if (t.name.empty() || t.name == "__metadata__") {
    return InvalidArgumentError("safetensors: invalid tensor name");
  }
  size_t count = 1;
  for (int64_t d : t.shape) {
    if (d < 0) return InvalidArgumentError("safetensors: negative shape entry");
    size_t ud = static_cast<size_t>(d);
    if (ud != 0 && count > std::numeric_limits<size_t>::max() / ud) {
      return InvalidArgumentError("safetensors: shape element count overflows");
    }
    count *= ud;
  }
  size_t elem_size = DTypeSize(t.dtype);
  if (count > std::numeric_limits<size_t>::max() / elem_size ||
      count * elem_size != t.data.size()) {
    return InvalidArgumentError("safetensors: data size does not match dtype and shape of " +
                                t.name);
  }
  return count * elem_size;
}

Status WriteAll(int fd, ByteSpan bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError(std::string("safetensors: write: ") + std::strerror(errno));
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
  return OkStatus();
}

StatusOr<Bytes> Serialize(std::span<const TensorToWrite> tensors,
                          const std::map<std::string, std::string>& metadata) {
  std::vector<const TensorToWrite*> sorted;
  for (const TensorToWrite& t : tensors) sorted.push_back(&t);
  std::sort(sorted.begin(), sorted.end(),
            [](const TensorToWrite* a, const TensorToWrite* b) { return a->name < b->name; });
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (size_t i = 0; i < sorted.size(); ++i) {
    const TensorToWrite& t = *sorted[i];
    if (i > 0 && sorted[i - 1]->name == t.name) {
      return AlreadyExistsError("safetensors: duplicate tensor name " + t.name);
    }
    ASSIGN_OR_RETURN(size_t size, CheckTensor(t));
    header[t.name] = {{"dtype", std::string(DTypeName(t.dtype))},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + size}}};
    offset += size;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  ByteWriter out;
  out.PutU64Le(text.size());
  out.PutBytes(AsBytes(text));
  for (const TensorToWrite* t : sorted) out.PutBytes(t->data);
  return out.Take();
}

}  // namespace

StatusOr<Bytes> SerializeSafetensors(std::span<const TensorToWrite> tensors,
                                     const std::map<std::string, std::string>& metadata) {
  try {
    return Serialize(tensors, metadata);
  } catch (const std::exception&) {  // e.g. a name that is not valid UTF-8
    return InvalidArgumentError("safetensors: header could not be encoded as JSON");
  }
}

Status WriteSafetensors(const std::string& path, std::span<const TensorToWrite> tensors,
                        const std::map<std::string, std::string>& metadata) {
  ASSIGN_OR_RETURN(Bytes bytes, SerializeSafetensors(tensors, metadata));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError(std::string("safetensors: open: ") + std::strerror(errno));
  Status written = WriteAll(fd, bytes);
  if (::close(fd) != 0 && written.ok()) {
    return IoError(std::string("safetensors: close: ") + std::strerror(errno));
  }
  return written;
}

}  // namespace eml::model
