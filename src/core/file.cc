#include "core/file.h"

#include <filesystem>
#include <fstream>
#include <iterator>

namespace eml {

StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_size) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return NotFoundError("cannot open " + path);
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return IoError("cannot stat " + path);
  if (size > max_size) {
    return LimitExceededError(path + " exceeds " + std::to_string(max_size) + " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open " + path);
  std::string text(static_cast<size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (static_cast<size_t>(in.gcount()) != text.size() || in.peek() != std::char_traits<char>::eof()) {
    return IoError("file changed while reading: " + path);
  }
  return text;
}

}  // namespace eml
