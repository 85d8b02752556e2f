// CBOR diagnostic notation (RFC 8949 section 8) for tests, logs and docs.
//
// Prints a Value the way the RFC's Appendix A writes it: 1, -1, 1.5, NaN,
// Infinity, h'0102', "text", [1, 2], {1: 2}, 0("..."), simple(16), undefined.
// Floats print in the shortest decimal form that reads back to the same
// double, with ".0" added to integral values (1.0, -0.0). Indefinite-length
// encodings are not visible in a Value, so "(_ ...)" forms are never printed.
// Never use it on values that hold secrets. Thread-safety: pure function.
#ifndef EML_CBOR_DIAGNOSTIC_H_
#define EML_CBOR_DIAGNOSTIC_H_

#include <string>

#include "cbor/value.h"

namespace eml::cbor {

std::string Diagnostic(const Value& value);

}  // namespace eml::cbor

#endif  // EML_CBOR_DIAGNOSTIC_H_
