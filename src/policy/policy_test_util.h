// Fixtures shared by the policy tests: keys, certificates, a valid policy,
// and a way to sign arbitrary payload bytes so that a test can feed the
// decoder a mutated payload behind a VALID signature (only the rule under
// test fails).
#ifndef EML_POLICY_POLICY_TEST_UTIL_H_
#define EML_POLICY_POLICY_TEST_UTIL_H_

#include <cstdint>
#include <string>

#include "cbor/value.h"
#include "core/bytes.h"
#include "crypto/ed25519.h"
#include "policy/policy.h"

namespace eml::policy::testing {

// Times used throughout: the sample policy is valid over [kCreated, kExpires);
// kNow lies inside, and is 41 s after the real Nitro document's timestamp.
inline constexpr int64_t kCreated = 1700000000;   // 2023-11-14
inline constexpr int64_t kExpires = 1900000000;   // 2030-03-17
inline constexpr int64_t kNitroDocMs = 1725719859545;  // index.json timestamp_ms
inline constexpr int64_t kNow = 1725719900;

std::string TestDataPath(const std::string& name);  // src/policy/testdata/<name>
Bytes AwsNitroRootDer();  // ../shared/vectors/nitro/aws_nitro_root_ca.der
Bytes DevRootDer();       // testdata/dev_root_ca.der (openssl-generated CA)
Bytes NotACaDer();        // testdata/not_a_ca.der (CA:FALSE)

// PCR0..2 of the real Nitro document (../shared/vectors/nitro/index.json).
Bytes RealPcr(uint32_t index);
Bytes Filled(size_t size, uint8_t byte);

// Seed 0x2a * 32 (the golden vector's key) and an unrelated seed 0x07 * 32.
crypto::Ed25519PrivateKey OwnerKey();
crypto::Ed25519PrivateKey OtherKey();

// A valid policy: AWS root + dev root (evaluation), two tuples ("real" =
// the real document's PCR0..2, "other" = 0x11/0x22/0x33 fills), models
// "minilm" (hash Filled(32, 0xaa)) and "any-hash" (no hash).
Policy SamplePolicy();

// COSE_Sign1 exactly as SignPolicy builds it, around arbitrary payload bytes.
Bytes SignPayloadBytes(ByteSpan payload, const crypto::Ed25519PrivateKey& key);
// Deterministically encodes `payload` and signs it with OwnerKey().
Bytes SignPayloadValue(const cbor::Value& payload);

// Mutable access to a text-keyed map entry of a payload value (asserts).
cbor::Value& MapEntry(cbor::Value& map, std::string_view key);

}  // namespace eml::policy::testing

#endif  // EML_POLICY_POLICY_TEST_UTIL_H_
