#include "cbor/diagnostic.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/encoding.h"

namespace eml::cbor {

namespace {

// -1 - n as decimal text; n + 1 can be 2^64, so widen first.
std::string NegativeText(uint64_t n) {
  unsigned __int128 magnitude = static_cast<unsigned __int128>(n) + 1;
  std::string digits;
  while (magnitude > 0) {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  }
  return "-" + digits;
}

std::string FloatText(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v < 0 ? "-Infinity" : "Infinity";
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof(buf), v);
  std::string text(buf, result.ptr);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

std::string QuotedText(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof(esc), "\\u%04x", static_cast<unsigned>(c));
      out += esc;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string SimpleText(uint8_t v) {
  switch (v) {
    case kSimpleFalse:
      return "false";
    case kSimpleTrue:
      return "true";
    case kSimpleNull:
      return "null";
    case kSimpleUndefined:
      return "undefined";
    default:
      return "simple(" + std::to_string(v) + ")";
  }
}

}  // namespace

std::string Diagnostic(const Value& value) {
  std::string out;
  switch (value.kind()) {
    case Kind::kUnsigned:
      return std::to_string(value.unsigned_value());
    case Kind::kNegative:
      return NegativeText(value.negative_arg());
    case Kind::kBytes:
      return "h'" + HexEncode(value.bytes()) + "'";
    case Kind::kText:
      return QuotedText(value.text());
    case Kind::kArray:
      for (const Value& item : value.array()) {
        out += (out.empty() ? "" : ", ") + Diagnostic(item);
      }
      return "[" + out + "]";
    case Kind::kMap:
      for (const auto& [k, v] : value.map()) {
        out += (out.empty() ? "" : ", ") + Diagnostic(k) + ": " + Diagnostic(v);
      }
      return "{" + out + "}";
    case Kind::kTag:
      return std::to_string(value.tag()) + "(" + Diagnostic(value.tag_content()) + ")";
    case Kind::kSimple:
      return SimpleText(value.simple());
    case Kind::kFloat:
      return FloatText(value.float_value());
  }
  return "?";
}

}  // namespace eml::cbor
