// Hex and base64 (RFC 4648, standard and URL-safe alphabets).
//
// Decoders are strict: wrong length, characters outside the alphabet, or
// (for base64) non-canonical padding bits are errors. Thread-safety: pure
// functions.
#ifndef EML_CORE_ENCODING_H_
#define EML_CORE_ENCODING_H_

#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"

namespace eml {

std::string HexEncode(ByteSpan data);  // lower-case
// Accepts upper- and lower-case digits; the length must be even.
StatusOr<Bytes> HexDecode(std::string_view hex);

enum class Base64Alphabet { kStandard, kUrl };
struct Base64Options {
  Base64Alphabet alphabet = Base64Alphabet::kStandard;
  bool pad = true;  // encoder: emit '='; decoder: require '=' (else forbid it)
};

std::string Base64Encode(ByteSpan data, Base64Options options = {});
StatusOr<Bytes> Base64Decode(std::string_view text, Base64Options options = {});

}  // namespace eml

#endif  // EML_CORE_ENCODING_H_
