// libFuzzer target for the CMS EnvelopedData parser (src/crypto/cms.h), which
// reads AWS KMS CiphertextForRecipient blobs relayed by the untrusted host.
//
// Parses arbitrary bytes; for every accepted envelope checks that the parts
// it returns lie inside the input sizes the profile allows, and aborts
// otherwise. Decryption is not fuzzed (it needs the RSA key; its inputs are
// exactly these parts).
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "crypto/cms.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const eml::ByteSpan input(data, size);
  eml::StatusOr<eml::crypto::CmsEnvelopeParts> parts = eml::crypto::ParseCmsEnvelopedData(input);
  if (!parts.ok()) return 0;
  if (parts->encrypted_key.size() > size || parts->ciphertext.size() > size ||
      parts->iv.size() != 16) {
    std::fprintf(stderr, "cms: accepted parts inconsistent with the input\n");
    std::abort();
  }
  return 0;
}
