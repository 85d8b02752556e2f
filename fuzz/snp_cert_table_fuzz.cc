// libFuzzer target for the SEV-SNP configfs-tsm auxblob certificate table
// (src/attest/snp.h, ParseSnpCertTable / EncodeSnpCertTable). The input is
// the auxblob. Aborts when an accepted table breaks a documented limit, when
// an entry's kind disagrees with its GUID, or when encoding what was parsed
// does not give back the same entries in at most as many bytes.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "attest/snp.h"

namespace {

void Die(const char* why) {
  std::fprintf(stderr, "snp cert table: %s\n", why);
  std::abort();
}

void CheckEntry(const eml::attest::SnpCertTableEntry& e) {
  if (e.der.empty()) Die("accepted an empty certificate");
  eml::StatusOr<std::array<uint8_t, 16>> guid = eml::attest::SnpCertGuid(e.kind);
  if (guid.ok() ? *guid != e.guid : e.kind != eml::attest::kSnpCertKindUnknown) {
    Die("kind and GUID disagree");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const eml::ByteSpan input(data, size);
  eml::StatusOr<std::vector<eml::attest::SnpCertTableEntry>> entries =
      eml::attest::ParseSnpCertTable(input);
  if (!entries.ok()) {
    if (entries.status().code() != eml::StatusCode::kInvalidArgument &&
        entries.status().code() != eml::StatusCode::kLimitExceeded) {
      Die("unexpected error code");
    }
    return 0;
  }
  if (size > eml::attest::kSnpMaxCertTableSize) Die("accepted an oversized table");
  if (entries->size() > eml::attest::kSnpMaxCertTableEntries) Die("accepted too many entries");
  size_t payload = 0;
  for (const eml::attest::SnpCertTableEntry& e : *entries) {
    CheckEntry(e);
    payload += e.der.size();
  }
  if ((entries->size() + 1) * eml::attest::kSnpCertTableEntrySize + payload > size) {
    Die("entries larger than the input");
  }
  eml::StatusOr<eml::Bytes> encoded = eml::attest::EncodeSnpCertTable(*entries);
  if (!encoded.ok()) Die("a parsed table does not encode");
  if (encoded->size() > size) Die("re-encoding grew the table");
  eml::StatusOr<std::vector<eml::attest::SnpCertTableEntry>> again =
      eml::attest::ParseSnpCertTable(*encoded);
  if (!again.ok() || *again != *entries) Die("encode/parse round trip changed the entries");
  return 0;
}
