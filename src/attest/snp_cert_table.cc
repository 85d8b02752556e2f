// The configfs-tsm auxblob certificate table of SEV-SNP (snp.h, "The auxblob
// certificate table"; docs/attestation-snp.md gives the grammar and limits).
// The blob comes from the host through the guest kernel, so it is hostile:
// the table is read through a ByteReader, every range is checked in 64-bit
// arithmetic before it is used, and no byte is left unexplained.
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "attest/snp.h"
#include "attest/tsm.h"

namespace eml::attest {
namespace {

using Guid = std::array<uint8_t, 16>;

static_assert(kSnpMaxCertTableSize == kTsmMaxAuxblobSize);

struct KnownGuid {
  std::string_view kind;
  Guid guid;
};

// GHCB specification, "SNP Extended Guest Request": the certificate GUIDs,
// stored in RFC 4122 byte order (the string's hex digits from left to right).
constexpr std::array<KnownGuid, 4> kKnownGuids = {{
    {kSnpCertKindVcek, {0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
                        0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd}},
    {kSnpCertKindVlek, {0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e,
                        0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0, 0xb8, 0xa1}},
    {kSnpCertKindAsk, {0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4,
                       0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82}},
    {kSnpCertKindArk, {0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52,
                       0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae}},
}};

std::string_view KindOf(const Guid& guid) {
  for (const KnownGuid& k : kKnownGuids) {
    if (k.guid == guid) return k.kind;
  }
  return kSnpCertKindUnknown;
}

bool IsZero(ByteSpan b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t v) { return v == 0; });
}

// One table row as read, before its range is judged.
struct Row {
  Guid guid = {};
  uint32_t offset = 0;
  uint32_t length = 0;
};

std::string EntryName(size_t index) { return "snp: certificate table entry " + std::to_string(index); }

// Reads rows up to and including the terminator. Out: the rows before it.
Status ReadRows(ByteReader& r, std::vector<Row>* rows) {
  for (;;) {
    Row row;
    ByteSpan guid;
    if (!r.ReadSpan(row.guid.size(), &guid).ok() || !r.ReadU32Le(&row.offset).ok() ||
        !r.ReadU32Le(&row.length).ok()) {
      return InvalidArgumentError("snp: certificate table has no terminator (all-zero entry)");
    }
    std::copy(guid.begin(), guid.end(), row.guid.begin());
    if (IsZero(row.guid)) {
      if (row.offset != 0 || row.length != 0) {
        return InvalidArgumentError(EntryName(rows->size()) +
                                    ": zero GUID with a non-zero offset or length");
      }
      return OkStatus();
    }
    if (rows->size() == kSnpMaxCertTableEntries) {
      return LimitExceededError("snp: certificate table has more than " +
                                std::to_string(kSnpMaxCertTableEntries) + " entries");
    }
    rows->push_back(row);
  }
}

// Each row's range lies after the table and inside the blob, is not empty,
// and its GUID is new.
Status CheckRows(const std::vector<Row>& rows, size_t table_size, size_t blob_size) {
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    const uint64_t end = uint64_t{row.offset} + row.length;  // cannot overflow
    if (row.length == 0) return InvalidArgumentError(EntryName(i) + ": empty certificate");
    if (row.offset < table_size) return InvalidArgumentError(EntryName(i) + ": offset inside the table");
    if (end > blob_size) return InvalidArgumentError(EntryName(i) + ": certificate ends past the blob");
    for (size_t j = 0; j < i; ++j) {
      if (rows[j].guid == row.guid) {
        return InvalidArgumentError(EntryName(i) + ": GUID repeated (" + std::string(KindOf(row.guid)) + ")");
      }
    }
  }
  return OkStatus();
}

// Certificates do not overlap, and the bytes between and after them are zero.
Status CheckLayout(const std::vector<Row>& rows, size_t table_size, ByteSpan blob) {
  std::vector<const Row*> by_offset;
  for (const Row& row : rows) by_offset.push_back(&row);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const Row* a, const Row* b) { return a->offset < b->offset; });
  size_t covered = table_size;  // every byte before this is the table or a certificate
  for (const Row* row : by_offset) {
    if (row->offset < covered) return InvalidArgumentError("snp: certificates overlap");
    if (!IsZero(blob.subspan(covered, row->offset - covered))) {
      return InvalidArgumentError("snp: non-zero padding between certificates");
    }
    covered = size_t{row->offset} + row->length;
  }
  if (!IsZero(blob.subspan(covered))) {
    return InvalidArgumentError("snp: non-zero bytes after the last certificate");
  }
  return OkStatus();
}

Status CheckEncodable(const SnpCertTableEntry& e, size_t index, Guid* guid) {
  if (e.der.empty()) return InvalidArgumentError(EntryName(index) + ": empty certificate");
  if (e.kind == kSnpCertKindUnknown) {
    if (IsZero(e.guid) || KindOf(e.guid) != kSnpCertKindUnknown) {
      return InvalidArgumentError(EntryName(index) + ": an unknown kind needs a GUID of its own");
    }
    *guid = e.guid;
    return OkStatus();
  }
  ASSIGN_OR_RETURN(*guid, SnpCertGuid(e.kind));
  if (!IsZero(e.guid) && e.guid != *guid) {
    return InvalidArgumentError(EntryName(index) + ": GUID is not the " + e.kind + " GUID");
  }
  return OkStatus();
}

}  // namespace

StatusOr<std::array<uint8_t, 16>> SnpCertGuid(std::string_view kind) {
  for (const KnownGuid& k : kKnownGuids) {
    if (k.kind == kind) return k.guid;
  }
  return InvalidArgumentError("snp: no certificate table GUID for kind '" + std::string(kind) + "'");
}

StatusOr<std::vector<SnpCertTableEntry>> ParseSnpCertTable(ByteSpan auxblob) {
  if (auxblob.size() > kSnpMaxCertTableSize) {
    return LimitExceededError("snp: certificate table over " +
                              std::to_string(kSnpMaxCertTableSize) + " bytes");
  }
  ByteReader r(auxblob);
  std::vector<Row> rows;
  RETURN_IF_ERROR(ReadRows(r, &rows));
  const size_t table_size = (rows.size() + 1) * kSnpCertTableEntrySize;
  RETURN_IF_ERROR(CheckRows(rows, table_size, auxblob.size()));
  RETURN_IF_ERROR(CheckLayout(rows, table_size, auxblob));
  std::vector<SnpCertTableEntry> out;
  out.reserve(rows.size());
  for (const Row& row : rows) {
    const ByteSpan der = auxblob.subspan(row.offset, row.length);
    out.push_back({.kind = std::string(KindOf(row.guid)), .guid = row.guid,
                   .der = Bytes(der.begin(), der.end())});
  }
  return out;
}

StatusOr<Bytes> EncodeSnpCertTable(const std::vector<SnpCertTableEntry>& entries) {
  if (entries.size() > kSnpMaxCertTableEntries) {
    return LimitExceededError("snp: more than " + std::to_string(kSnpMaxCertTableEntries) +
                              " certificate table entries");
  }
  const size_t table_size = (entries.size() + 1) * kSnpCertTableEntrySize;
  size_t total = table_size;
  std::vector<Guid> guids(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    RETURN_IF_ERROR(CheckEncodable(entries[i], i, &guids[i]));
    if (std::find(guids.begin(), guids.begin() + static_cast<ptrdiff_t>(i), guids[i]) !=
        guids.begin() + static_cast<ptrdiff_t>(i)) {
      return InvalidArgumentError(EntryName(i) + ": GUID repeated (" + entries[i].kind + ")");
    }
    if (entries[i].der.size() > kSnpMaxCertTableSize - total) {
      return LimitExceededError("snp: certificate table over " +
                                std::to_string(kSnpMaxCertTableSize) + " bytes");
    }
    total += entries[i].der.size();
  }
  ByteWriter w;
  size_t offset = table_size;
  for (size_t i = 0; i < entries.size(); ++i) {
    w.PutBytes(guids[i]);
    w.PutU32Le(static_cast<uint32_t>(offset));  // < 28 KiB: checked above
    w.PutU32Le(static_cast<uint32_t>(entries[i].der.size()));
    offset += entries[i].der.size();
  }
  w.PutBytes(Bytes(kSnpCertTableEntrySize, 0));
  for (const SnpCertTableEntry& e : entries) w.PutBytes(e.der);
  return w.bytes();
}

}  // namespace eml::attest
