// Strict UTF-8 validation (RFC 3629) for CBOR text strings.
//
// Rejects overlong forms, surrogates (U+D800..U+DFFF), code points above
// U+10FFFF and truncated sequences. Thread-safety: pure function.
#ifndef EML_CBOR_UTF8_H_
#define EML_CBOR_UTF8_H_

#include "core/bytes.h"

namespace eml::cbor {

bool IsValidUtf8(ByteSpan s);

}  // namespace eml::cbor

#endif  // EML_CBOR_UTF8_H_
