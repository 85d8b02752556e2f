// IEEE 754 half-precision conversions for CBOR floats (RFC 8949 section 3.3
// and Appendix D) and the preferred-serialization width choice of section
// 4.2.2: a float is encoded in the shortest of half/single/double that
// represents it exactly; every NaN is encoded as the half 0x7e00.
//
// Thread-safety: pure functions.
#ifndef EML_CBOR_FLOAT16_H_
#define EML_CBOR_FLOAT16_H_

#include <cstdint>

namespace eml::cbor {

double HalfToDouble(uint16_t half);

// True and sets *out if `v` is exactly representable as a half (NaN: no).
bool DoubleToHalfExact(double v, uint16_t* out);

// True and sets *out if `v` is exactly representable as a single (NaN: no).
bool DoubleToSingleExact(double v, uint32_t* out);

}  // namespace eml::cbor

#endif  // EML_CBOR_FLOAT16_H_
