// libFuzzer target for the CBOR decoder (src/cbor/decode.h).
//
// Decodes with the default options, with allow_indefinite and with
// require_deterministic. For every value that decodes, checks the encoder's
// properties and aborts on a violation:
//   * Encode(v) succeeds (a decoded value is always encodable),
//   * Decode(Encode(v)) == v, also in require_deterministic mode,
//   * Encode(Decode(Encode(v))) == Encode(v) (idempotent),
//   * a deterministic decode means Encode(v) reproduces the input exactly.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "cbor/decode.h"
#include "cbor/encode.h"

namespace {

using eml::ByteSpan;
using eml::Bytes;
using eml::StatusOr;
using eml::cbor::DecodeOptions;
using eml::cbor::Value;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "cbor property violated: %s\n", what);
  std::abort();
}

void CheckRoundTrip(const Value& v, ByteSpan input, bool input_was_deterministic) {
  StatusOr<Bytes> enc = eml::cbor::Encode(v);
  if (!enc.ok()) Fail("decoded value does not encode");
  StatusOr<Value> again = eml::cbor::Decode(*enc, DecodeOptions{.require_deterministic = true});
  if (!again.ok()) Fail("encoding does not decode in deterministic mode");
  if (!(*again == v)) Fail("decode(encode(v)) != v");
  StatusOr<Bytes> enc2 = eml::cbor::Encode(*again);
  if (!enc2.ok() || *enc2 != *enc) Fail("encoding is not idempotent");
  if (input_was_deterministic &&
      (enc->size() != input.size() || !std::equal(enc->begin(), enc->end(), input.begin()))) {
    Fail("deterministic input does not re-encode to itself");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan input(data, size);
  StatusOr<Value> strict = eml::cbor::Decode(input);
  StatusOr<Value> lenient = eml::cbor::Decode(input, DecodeOptions{.allow_indefinite = true});
  StatusOr<Value> det = eml::cbor::Decode(input, DecodeOptions{.require_deterministic = true});
  // Each mode accepts a subset of the next: deterministic <= strict <= lenient.
  if (det.ok() && !strict.ok()) Fail("deterministic accepted what strict rejected");
  if (strict.ok() && !lenient.ok()) Fail("strict accepted what lenient rejected");
  if (strict.ok() && lenient.ok() && !(*strict == *lenient)) Fail("modes disagree on value");
  if (lenient.ok()) CheckRoundTrip(*lenient, input, det.ok());
  size_t consumed = 0;
  StatusOr<Value> first = eml::cbor::DecodeFirst(input, &consumed);
  if (first.ok() && consumed > size) Fail("DecodeFirst consumed more than the input");
  if (strict.ok() && (!first.ok() || consumed != size)) Fail("DecodeFirst disagrees with Decode");
  return 0;
}
