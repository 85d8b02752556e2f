// Read-only memory mapping of a whole file, owned by a move-only RAII type.
//
// The file is opened O_RDONLY|O_CLOEXEC and mapped PROT_READ, MAP_PRIVATE;
// the descriptor is closed once the mapping exists, and the destructor
// munmaps. An empty file yields an empty, valid mapping (mmap of length zero
// is not attempted).
//
// Thread-safety: the bytes are immutable; concurrent readers are safe.
#ifndef EML_MODEL_MAPPED_FILE_H_
#define EML_MODEL_MAPPED_FILE_H_

#include <string>

#include "core/bytes.h"
#include "core/status.h"

namespace eml::model {

class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // Missing file: NotFound. Not a regular file or OS failure: Io.
  static StatusOr<MappedFile> Open(const std::string& path);

  ByteSpan bytes() const { return ByteSpan(data_, size_); }

 private:
  void Reset();

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;  // true when data_ came from mmap
};

}  // namespace eml::model

#endif  // EML_MODEL_MAPPED_FILE_H_
