#include "core/encoding.h"

#include <array>

namespace eml {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int Base64Value(char c, Base64Alphabet alphabet) {
  const char* table = alphabet == Base64Alphabet::kUrl ? kUrl : kStd;
  for (int i = 0; i < 64; ++i) {
    if (table[i] == c) return i;
  }
  return -1;
}

}  // namespace

std::string HexEncode(ByteSpan data) {
  std::string out;
  out.reserve(data.size() * 2);
  for (uint8_t b : data) {
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0xf]);
  }
  return out;
}

StatusOr<Bytes> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return InvalidArgumentError("hex: odd length");
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return InvalidArgumentError("hex: invalid digit at offset " + std::to_string(2 * i));
    }
    out[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return out;
}

std::string Base64Encode(ByteSpan data, Base64Options options) {
  const char* table = options.alphabet == Base64Alphabet::kUrl ? kUrl : kStd;
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    for (int s = 18; s >= 0; s -= 6) out.push_back(table[(v >> s) & 63]);
  }
  size_t rest = data.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t{data[i]} << 16;
    if (rest == 2) v |= uint32_t{data[i + 1]} << 8;
    out.push_back(table[(v >> 18) & 63]);
    out.push_back(table[(v >> 12) & 63]);
    if (rest == 2) out.push_back(table[(v >> 6) & 63]);
    if (options.pad) out.append(rest == 1 ? "==" : "=");
  }
  return out;
}

StatusOr<Bytes> Base64Decode(std::string_view text, Base64Options options) {
  size_t pad = 0;
  if (options.pad) {
    if (text.size() % 4 != 0) return InvalidArgumentError("base64: length not a multiple of 4");
    while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  }
  std::string_view body = text.substr(0, text.size() - pad);
  if (body.size() % 4 == 1) return InvalidArgumentError("base64: truncated quantum");
  Bytes out;
  out.reserve(body.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    int v = Base64Value(body[i], options.alphabet);
    if (v < 0) return InvalidArgumentError("base64: invalid character at offset " + std::to_string(i));
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  if (acc != 0) return InvalidArgumentError("base64: non-zero padding bits");
  if (options.pad && (body.size() + pad) % 4 != 0) return InvalidArgumentError("base64: bad padding");
  return out;
}

}  // namespace eml
