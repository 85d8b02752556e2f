// Deterministic CBOR encoder (RFC 8949 section 4.2.1, "Core Deterministic
// Encoding Requirements").
//
// Every encoding this module produces is deterministic: arguments use the
// shortest form, lengths are definite, floats use the shortest of
// half/single/double that keeps the value exactly (every NaN becomes
// 0xf97e00), and map entries are sorted by the bytewise lexicographic order
// of their encoded keys. A map with two keys that encode identically is an
// AlreadyExists error; a text string that is not valid UTF-8, or a simple
// value 24..31, is an InvalidArgument error.
//
// FIXME: NaN payloads are not preserved (all NaNs encode as 0xf97e00), and
// bignums (tags 2/3) that fit in 64 bits are not folded into plain integers;
// neither matters for our formats, which use neither.
//
// Docs: docs/cbor.md. Thread-safety: pure functions.
#ifndef EML_CBOR_ENCODE_H_
#define EML_CBOR_ENCODE_H_

#include "cbor/value.h"
#include "core/bytes.h"
#include "core/status.h"

namespace eml::cbor {

StatusOr<Bytes> Encode(const Value& value);

// Appends the encoding of `value` to `out`; on error `out` may hold a
// partial encoding and must be discarded.
Status EncodeTo(const Value& value, Bytes* out);

// The head of a data item: major type (0..7) and argument in shortest form.
void AppendHead(uint8_t major, uint64_t arg, Bytes* out);

// The preferred (shortest exact) encoding of a float, head included.
void AppendFloat(double v, Bytes* out);

}  // namespace eml::cbor

#endif  // EML_CBOR_ENCODE_H_
