#include "cbor/utf8.h"

#include <cstdint>

namespace eml::cbor {

namespace {
bool IsContinuation(uint8_t b) { return (b & 0xc0) == 0x80; }
}  // namespace

bool IsValidUtf8(ByteSpan s) {
  size_t i = 0;
  while (i < s.size()) {
    uint8_t b0 = s[i];
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    uint32_t min;
    if ((b0 & 0xe0) == 0xc0) {
      len = 2, cp = b0 & 0x1f, min = 0x80;
    } else if ((b0 & 0xf0) == 0xe0) {
      len = 3, cp = b0 & 0x0f, min = 0x800;
    } else if ((b0 & 0xf8) == 0xf0) {
      len = 4, cp = b0 & 0x07, min = 0x10000;
    } else {
      return false;  // continuation byte or 0xf8..0xff as a lead byte
    }
    if (s.size() - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      if (!IsContinuation(s[i + k])) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

}  // namespace eml::cbor
