// Element types of safetensors tensors and conversion to f32.
//
// F16 follows IEEE 754 binary16 (1 sign, 5 exponent, 10 mantissa bits, bias
// 15); BF16 is the upper half of an IEEE binary32. Both convert to f32
// exactly, so no rounding happens here.
#include <bit>
#include <cmath>
#include <cstring>

#include "model/safetensors.h"

namespace eml::model {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; big-endian hosts need byte swaps");

size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return 4;
    case DType::kF16:
    case DType::kBF16:
      return 2;
  }
  return 0;
}

std::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return "F32";
    case DType::kF16:
      return "F16";
    case DType::kBF16:
      return "BF16";
  }
  return "?";
}

float F16ToF32(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in f32.
    float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 0x1f) {
    // Inf (mantissa 0) or NaN; the payload is kept in the high bits.
    return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  }
  return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

float BF16ToF32(uint16_t bits) {
  return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

Status ConvertToF32(const TensorView& t, std::span<float> out) {
  if (out.size() != t.num_elements) {
    return InvalidArgumentError("safetensors: output size does not match tensor");
  }
  size_t elem_size = DTypeSize(t.dtype);
  if (t.data.size() / elem_size != t.num_elements || t.data.size() % elem_size != 0) {
    return InvalidArgumentError("safetensors: tensor data size does not match shape");
  }
  const uint8_t* p = t.data.data();
  for (size_t i = 0; i < t.num_elements; ++i, p += elem_size) {
    if (t.dtype == DType::kF32) {
      std::memcpy(&out[i], p, 4);  // data may be unaligned
      continue;
    }
    uint16_t half;
    std::memcpy(&half, p, 2);
    out[i] = t.dtype == DType::kF16 ? F16ToF32(half) : BF16ToF32(half);
  }
  return OkStatus();
}

StatusOr<std::span<const float>> AsF32Span(const TensorView& t) {
  if (t.dtype != DType::kF32) {
    return InvalidArgumentError("safetensors: tensor " + t.name + " is not F32");
  }
  if (t.data.size() % sizeof(float) != 0 ||
      t.data.size() / sizeof(float) != t.num_elements) {
    return InvalidArgumentError("safetensors: tensor data size does not match shape");
  }
  if (reinterpret_cast<uintptr_t>(t.data.data()) % alignof(float) != 0) {
    return FailedPreconditionError("safetensors: tensor " + t.name +
                                   " is not 4-byte aligned");
  }
  return std::span<const float>(reinterpret_cast<const float*>(t.data.data()),
                                t.num_elements);
}

}  // namespace eml::model
