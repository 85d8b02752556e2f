#include "host/log.h"

#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace eml::host {

void LogLine(const char* format, ...) {
  char line[1024];
  constexpr size_t kPrefix = sizeof("eml-host: ") - 1;
  std::memcpy(line, "eml-host: ", kPrefix);
  va_list args;
  va_start(args, format);
  const int n = std::vsnprintf(line + kPrefix, sizeof(line) - kPrefix - 1, format, args);
  va_end(args);
  if (n < 0) return;
  size_t len = kPrefix + static_cast<size_t>(n);
  if (len > sizeof(line) - 2) len = sizeof(line) - 2;
  line[len++] = '\n';
  size_t off = 0;
  while (off < len) {
    const ssize_t w = write(STDERR_FILENO, line + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // nowhere to report a broken stderr
    off += static_cast<size_t>(w);
  }
}

}  // namespace eml::host
