// EncodeClaimsDirect against the reference encoder: for every claim variant
// it must give exactly the bytes of cbor::Encode(ClaimsToValue(claims)), and
// fail where that fails. Variants cover optional claims present and absent,
// every measurement type and PCR combination, integer head boundaries, long
// and non-ASCII texts, and invalid UTF-8.
//
// DecodeClaims (one-pass reader, tree decode as fallback) against
// DecodeClaimsWithTree: the same finding, claims and profile for each of
// those payloads and for every one-byte change, insertion, deletion and
// truncation of a valid one.
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cbor/encode.h"
#include "receipt/air.h"
#include "receipt/air_claims.h"

namespace eml::receipt {
namespace {

AirClaims BaseClaims() {
  AirClaims c;
  c.iss = "eml-enclave";
  c.iat = 1'800'000'000;
  c.cti = Bytes(16, 1);
  c.model_id = "minilm";
  c.model_version = "1";
  c.model_hash = Bytes(32, 2);
  c.request_hash = Bytes(32, 3);
  c.response_hash = Bytes(32, 4);
  c.attestation_doc_hash = Bytes(32, 5);
  c.measurements = {std::string(kMeasurementNitro), Bytes(48, 6), Bytes(48, 7), Bytes(48, 8),
                    {}, {}, {}};
  c.policy_version = "eml-enclave/1";
  c.sequence_number = 1;
  c.execution_time_ms = 12;
  c.memory_peak_mb = 300;
  c.security_mode = std::string(kSecurityModeEvaluation);
  return c;
}

void ExpectSameDecode(ByteSpan payload, const std::string& what) {
  AirClaims fast, tree;
  std::string fast_profile = "unset", tree_profile = "unset";
  internal::Finding a = internal::DecodeClaims(payload, &fast, &fast_profile);
  internal::Finding b = internal::DecodeClaimsWithTree(payload, &tree, &tree_profile);
  ASSERT_EQ(a.code, b.code) << what;
  EXPECT_EQ(a.detail, b.detail) << what;
  EXPECT_EQ(fast_profile, tree_profile) << what;
  EXPECT_TRUE(fast == tree) << what;
}

void ExpectSameBytes(const AirClaims& claims, const std::string& what) {
  StatusOr<Bytes> reference = cbor::Encode(internal::ClaimsToValue(claims));
  StatusOr<Bytes> direct = internal::EncodeClaimsDirect(claims);
  ASSERT_EQ(reference.ok(), direct.ok()) << what;
  if (!reference.ok()) {
    EXPECT_EQ(reference.status().code(), direct.status().code()) << what;
    return;
  }
  EXPECT_EQ(*reference, *direct) << what;
  ExpectSameDecode(*direct, what);
}

// Every combination of the optional claims and PCRs, for each type.
TEST(AirEncodeDirect, OptionalClaimsAndMeasurementTypes) {
  for (std::string_view type : {kMeasurementNitro, kMeasurementTdx, kMeasurementSnp}) {
    for (int mask = 0; mask < 32; ++mask) {
      AirClaims c = BaseClaims();
      c.measurements.type = std::string(type);
      if (mask & 1) c.eat_nonce = Bytes(32, 9);
      if (mask & 2) c.model_hash_scheme = "sha256-manifest";
      if (mask & 4) c.measurements.pcr3 = Bytes(48, 10);
      if (mask & 8) c.measurements.pcr4 = Bytes(48, 11);
      if (mask & 16) c.measurements.pcr8 = Bytes(48, 12);
      ExpectSameBytes(c, std::string(type) + " mask " + std::to_string(mask));
    }
  }
}

TEST(AirEncodeDirect, IntegerHeadBoundaries) {
  const std::vector<uint64_t> values = {0,          1,          23,         24,
                                        255,        256,        65535,      65536,
                                        0xffffffff, 0x100000000, std::numeric_limits<uint64_t>::max()};
  for (uint64_t v : values) {
    AirClaims c = BaseClaims();
    c.iat = v;
    c.sequence_number = v;
    c.execution_time_ms = v;
    c.memory_peak_mb = v;
    ExpectSameBytes(c, "integer " + std::to_string(v));
  }
}

TEST(AirEncodeDirect, TextAndByteLengths) {
  for (size_t n : {0, 1, 23, 24, 255, 256, 300, 65535, 65536, 70000}) {
    AirClaims c = BaseClaims();
    c.iss = std::string(n, 'i');
    c.model_id = std::string(n, 'm');
    c.model_version = std::string(n, 'v');
    c.policy_version = std::string(n, 'p');
    c.security_mode = std::string(n, 's');
    c.measurements.type = std::string(n, 't');
    c.model_hash_scheme = std::string(n, 'h');
    c.eat_nonce = Bytes(n, 0xee);
    c.cti = Bytes(n, 0xcc);
    c.model_hash = Bytes(n, 0xaa);
    c.measurements.pcr0 = Bytes(n, 0x00);
    c.measurements.pcr8 = Bytes(n, 0x88);
    ExpectSameBytes(c, "length " + std::to_string(n));
  }
}

TEST(AirEncodeDirect, NonAsciiAndInvalidUtf8) {
  // "modèle-日本語-😀": two-, three- and four-byte sequences.
  const std::string utf8 = "mod\xc3\xa8le-\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e-\xf0\x9f\x98\x80";
  const std::vector<std::string> invalid = {"\xff", "\xc3", "\xed\xa0\x80", "\xc0\xaf",
                                            "ok\xf4\x90\x80\x80"};
  using Field = std::function<void(AirClaims&, const std::string&)>;
  const std::vector<Field> fields = {
      [](AirClaims& c, const std::string& t) { c.iss = t; },
      [](AirClaims& c, const std::string& t) { c.model_id = t; },
      [](AirClaims& c, const std::string& t) { c.model_version = t; },
      [](AirClaims& c, const std::string& t) { c.policy_version = t; },
      [](AirClaims& c, const std::string& t) { c.security_mode = t; },
      [](AirClaims& c, const std::string& t) { c.measurements.type = t; },
      [](AirClaims& c, const std::string& t) { c.model_hash_scheme = t; },
  };
  for (size_t f = 0; f < fields.size(); ++f) {
    AirClaims c = BaseClaims();
    fields[f](c, utf8);
    ExpectSameBytes(c, "utf8 field " + std::to_string(f));
    for (const std::string& bad : invalid) {
      AirClaims b = BaseClaims();
      fields[f](b, bad);
      StatusOr<Bytes> direct = internal::EncodeClaimsDirect(b);
      ASSERT_FALSE(direct.ok()) << "field " << f;
      EXPECT_EQ(direct.status().code(), StatusCode::kInvalidArgument);
      ExpectSameBytes(b, "invalid utf8 field " + std::to_string(f));
    }
  }
}

TEST(AirDecodeDirect, ValidPayloadsDecodeWithoutTheTree) {
  AirClaims c = BaseClaims();
  c.eat_nonce = Bytes(32, 9);
  c.model_hash_scheme = "sha256-manifest";
  Bytes payload = internal::EncodeClaimsDirect(c).value();
  AirClaims got;
  std::string profile;
  ASSERT_TRUE(internal::DecodeClaims(payload, &got, &profile).ok());
  EXPECT_TRUE(got == c);
  EXPECT_EQ(profile, kAirProfile);
}

// Every one-byte change, insertion, deletion and truncation of valid
// payloads (with and without the optional claims and PCRs) must get the
// tree decode's verdict, whichever path gives it.
TEST(AirDecodeDirect, MutatedPayloadsAgreeWithTheTreeDecode) {
  AirClaims full = BaseClaims();
  full.eat_nonce = Bytes(8, 9);
  full.model_hash_scheme = "sha256-single";
  full.measurements.pcr3 = Bytes(48, 10);
  full.measurements.pcr4 = Bytes(48, 11);
  full.measurements.pcr8 = Bytes(48, 12);
  // Heads of each major type, shortest-form edges, indefinite, 0xff.
  const uint8_t kValues[] = {0x00, 0x01, 0x18, 0x1b, 0x1f, 0x3a, 0x40, 0x5f, 0x64, 0xa1, 0xc0, 0xff};
  for (const AirClaims& claims : {BaseClaims(), full}) {
    const Bytes payload = internal::EncodeClaimsDirect(claims).value();
    for (size_t i = 0; i < payload.size(); ++i) {
      const std::string at = " at " + std::to_string(i);
      for (uint8_t v : kValues) {
        Bytes changed = payload;
        changed[i] = v;
        ExpectSameDecode(changed, "set " + std::to_string(v) + at);
        changed[i] = payload[i] ^ v;
        ExpectSameDecode(changed, "xor " + std::to_string(v) + at);
        Bytes inserted = payload;
        inserted.insert(inserted.begin() + static_cast<std::ptrdiff_t>(i), v);
        ExpectSameDecode(inserted, "insert " + std::to_string(v) + at);
      }
      Bytes erased = payload;
      erased.erase(erased.begin() + static_cast<std::ptrdiff_t>(i));
      ExpectSameDecode(erased, "erase" + at);
      ExpectSameDecode(ByteSpan(payload.data(), i), "truncate" + at);
    }
    Bytes trailing = payload;
    trailing.push_back(0x00);
    ExpectSameDecode(trailing, "trailing byte");
  }
}

}  // namespace
}  // namespace eml::receipt
