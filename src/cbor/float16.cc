#include "cbor/float16.h"

#include <bit>
#include <cmath>

namespace eml::cbor {

double HalfToDouble(uint16_t half) {
  int exp = (half >> 10) & 0x1f;
  int mant = half & 0x3ff;
  double v;
  if (exp == 0) {
    v = std::ldexp(mant, -24);
  } else if (exp != 31) {
    v = std::ldexp(mant + 1024, exp - 25);
  } else {
    v = mant == 0 ? INFINITY : NAN;
  }
  return (half & 0x8000) ? -v : v;
}

bool DoubleToSingleExact(double v, uint32_t* out) {
  if (std::isnan(v)) return false;
  float f = static_cast<float>(v);  // finite doubles beyond range become inf
  if (static_cast<double>(f) != v) return false;
  *out = std::bit_cast<uint32_t>(f);
  return true;
}

bool DoubleToHalfExact(double v, uint16_t* out) {
  uint32_t bits;
  if (!DoubleToSingleExact(v, &bits)) return false;
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  int exp8 = static_cast<int>((bits >> 23) & 0xff);
  uint32_t mant = bits & 0x7fffff;
  uint16_t half;
  if (exp8 == 0xff) {
    half = sign | 0x7c00;  // infinity (NaN excluded above)
  } else if (exp8 == 0) {
    if (mant != 0) return false;  // single subnormals are far below half range
    half = sign;
  } else {
    int e = exp8 - 127;
    if (e > 15) return false;
    if (e >= -14) {
      if ((mant & 0x1fff) != 0) return false;
      half = static_cast<uint16_t>(sign | ((e + 15) << 10) | (mant >> 13));
    } else {
      // Half subnormal: value = m * 2^-24 with m = 1.mant * 2^(e + 24).
      uint32_t full = mant | 0x800000;
      int shift = -(e + 1);  // >= 14
      if (shift >= 24) return false;
      if ((full & ((1u << shift) - 1)) != 0) return false;
      half = static_cast<uint16_t>(sign | (full >> shift));
    }
  }
  if (HalfToDouble(half) != v) return false;  // belt and braces
  *out = half;
  return true;
}

}  // namespace eml::cbor
