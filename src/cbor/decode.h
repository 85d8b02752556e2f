// Strict CBOR decoder (RFC 8949) for hostile input.
//
// Accepts exactly the well-formed, valid subset described in docs/cbor.md:
// truncation, trailing bytes (Decode), reserved additional information
// 28..30, stray "break" bytes, two-byte simple values below 32, invalid UTF-8
// in text strings and duplicate map keys are all errors. Indefinite-length
// items are rejected unless `allow_indefinite` is set (AWS Nitro attestation
// documents use an indefinite-length map); indefinite strings are joined
// into one definite string. Lengths and counts are checked against the bytes
// that remain before anything is allocated, and nesting depth is checked
// before recursing, so a hostile length or a deeply nested input costs
// nothing but an error.
//
// With `require_deterministic`, the input must also be what encode.h would
// produce: shortest arguments and floats, definite lengths, map keys in
// bytewise order of their encodings.
//
// Every error is a Status whose message starts with "cbor:" and names the
// problem and the byte offset where it was found. Codes: OutOfRange for input
// that ends early (or a length larger than the rest of the input),
// LimitExceeded for the limits below, AlreadyExists for duplicate map keys,
// InvalidArgument for everything else.
//
// Thread-safety: pure functions.
#ifndef EML_CBOR_DECODE_H_
#define EML_CBOR_DECODE_H_

#include <cstddef>

#include "cbor/value.h"
#include "core/bytes.h"
#include "core/status.h"

namespace eml::cbor {

struct DecodeOptions {
  // Containers (arrays, maps, tags) nested inside each other, at most.
  size_t max_depth = 64;
  // Data items in total (each array element, map key and value, tag content
  // and string chunk counts as one), at most.
  size_t max_items = size_t{1} << 20;
  // Input size in bytes, at most.
  size_t max_size = size_t{64} << 20;
  bool allow_indefinite = false;
  bool require_deterministic = false;
};

// Decodes one data item that must span all of `input`.
StatusOr<Value> Decode(ByteSpan input, const DecodeOptions& options = {});

// Decodes the first data item of `input` and sets *consumed to its size;
// bytes after it are left for the caller.
StatusOr<Value> DecodeFirst(ByteSpan input, size_t* consumed,
                            const DecodeOptions& options = {});

}  // namespace eml::cbor

#endif  // EML_CBOR_DECODE_H_
