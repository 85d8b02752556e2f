// AIR v1 claims map: encoding, strict decoding, and the rules on values.
#include "receipt/air_claims.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include "cbor/decode.h"
#include "cbor/encode.h"
#include "cbor/utf8.h"

namespace eml::receipt::internal {

namespace {

// The claim table (docs/receipt.md). Order is only for reporting: a missing
// claim is reported in this order.
enum Claim : size_t {
  kIss, kIat, kCti, kNonce, kProfile, kModelId, kModelVersion, kModelHash, kRequestHash,
  kResponseHash, kAttestationDocHash, kMeasurements, kPolicyVersion, kSequenceNumber,
  kExecutionTimeMs, kMemoryPeakMb, kSecurityMode, kModelHashScheme, kClaimCount,
};

struct ClaimSpec {
  int64_t key;
  const char* name;
  bool required;
};

constexpr std::array<ClaimSpec, kClaimCount> kClaims = {{
    {1, "iss", true},
    {6, "iat", true},
    {7, "cti", true},
    {10, "eat_nonce", false},
    {265, "eat_profile", true},
    {-65537, "model_id", true},
    {-65538, "model_version", true},
    {-65539, "model_hash", true},
    {-65540, "request_hash", true},
    {-65541, "response_hash", true},
    {-65542, "attestation_doc_hash", true},
    {-65543, "enclave_measurements", true},
    {-65544, "policy_version", true},
    {-65545, "sequence_number", true},
    {-65546, "execution_time_ms", true},
    {-65547, "memory_peak_mb", true},
    {-65548, "security_mode", true},
    {-65549, "model_hash_scheme", false},
}};

// Keys of the measurement map; the first four are required.
enum Measurement : size_t { kType, kPcr0, kPcr1, kPcr2, kPcr3, kPcr4, kPcr8, kMeasurementCount };
constexpr std::array<const char*, kMeasurementCount> kMeasurementKeys = {
    "measurement_type", "pcr0", "pcr1", "pcr2", "pcr3", "pcr4", "pcr8"};
constexpr size_t kRequiredMeasurements = 4;

constexpr size_t kCtiSize = 16;
constexpr size_t kHashSize = 32;
constexpr size_t kMeasurementSize = 48;
constexpr size_t kNonceMin = 8;
constexpr size_t kNonceMax = 64;
constexpr size_t kMaxPrintable = 64;
// The largest valid payload has about 60 data items; anything far beyond
// that is rejected before it costs memory.
constexpr size_t kMaxPayloadItems = 512;

// Slots point into the decoded map; the Read* helpers move the values out.
using Slots = std::array<cbor::Value*, kClaimCount>;
using MeasurementSlots = std::array<cbor::Value*, kMeasurementCount>;

// The name of a claim in codes: `prefix` + `name` (the prefix is
// "enclave_measurements." inside that map). Built only when a rule fails.
struct ClaimName {
  std::string_view name;
  std::string_view prefix = {};
  std::string str() const { return std::string(prefix) + std::string(name); }
};

Finding WrongType(const std::string& name) {
  return Violation("WRONG_TYPE:" + name, name + " has the wrong CBOR type");
}

Finding ReadText(cbor::Value& value, ClaimName name, std::string* out) {
  if (!value.is_text()) return WrongType(name.str());
  *out = std::move(value.mutable_text());
  return Holds();
}

Finding ReadBytes(cbor::Value& value, ClaimName name, Bytes* out) {
  if (!value.is_bytes()) return WrongType(name.str());
  *out = std::move(value.mutable_bytes());
  return Holds();
}

Finding ReadUint(const cbor::Value& value, ClaimName name, uint64_t* out) {
  if (!value.is_unsigned()) return WrongType(name.str());
  *out = value.unsigned_value();
  return Holds();
}

// Places each entry of the claims map in its slot; unknown keys fail.
Finding SlotClaims(cbor::Value& map, Slots* slots) {
  slots->fill(nullptr);
  for (auto& [key, value] : map.mutable_map()) {
    StatusOr<int64_t> number = key.AsInt64();
    if (!number.ok()) return Violation("UNKNOWN_CLAIM", "claim key is not a known integer");
    auto it = std::find_if(kClaims.begin(), kClaims.end(),
                           [&](const ClaimSpec& spec) { return spec.key == *number; });
    if (it == kClaims.end()) {
      std::string key_text = std::to_string(*number);
      return Violation("UNKNOWN_CLAIM:" + key_text, "claim key " + key_text + " is not in AIR v1");
    }
    (*slots)[static_cast<size_t>(it - kClaims.begin())] = &value;
  }
  for (size_t i = 0; i < kClaimCount; ++i) {
    if (kClaims[i].required && (*slots)[i] == nullptr) {
      return Violation(std::string("MISSING_CLAIM:") + kClaims[i].name,
                       std::string(kClaims[i].name) + " is required");
    }
  }
  return Holds();
}

Finding SlotMeasurements(cbor::Value& map, MeasurementSlots* slots) {
  slots->fill(nullptr);
  for (auto& [key, value] : map.mutable_map()) {
    auto it = kMeasurementKeys.end();
    if (key.is_text()) it = std::find(kMeasurementKeys.begin(), kMeasurementKeys.end(), key.text());
    if (it == kMeasurementKeys.end()) {
      return Violation("UNKNOWN_MEASUREMENT_KEY",
                       "enclave_measurements key " +
                           (key.is_text() ? "'" + Printable(key.text()) + "'"
                                          : std::string("(not text)")) +
                           " is not in AIR v1");
    }
    (*slots)[static_cast<size_t>(it - kMeasurementKeys.begin())] = &value;
  }
  for (size_t i = 0; i < kRequiredMeasurements; ++i) {
    if ((*slots)[i] == nullptr) {
      std::string name = std::string("enclave_measurements.") + kMeasurementKeys[i];
      return Violation("MISSING_CLAIM:" + name, name + " is required");
    }
  }
  return Holds();
}

constexpr std::string_view kMeasurementPrefix = "enclave_measurements.";

ClaimName MeasurementName(Measurement which) {
  return {kMeasurementKeys[which], kMeasurementPrefix};
}

Finding ReadOptionalPcr(cbor::Value* value, Measurement which, std::optional<Bytes>* out) {
  if (value == nullptr) return Holds();
  out->emplace();
  return ReadBytes(*value, MeasurementName(which), &**out);
}

Finding ReadMeasurements(cbor::Value& value, AirMeasurements* out) {
  if (!value.is_map()) return WrongType("enclave_measurements");
  MeasurementSlots slots;
  Finding found = SlotMeasurements(value, &slots);
  if (!found.ok()) return found;
  std::array<Finding, 7> steps = {
      ReadText(*slots[kType], MeasurementName(kType), &out->type),
      ReadBytes(*slots[kPcr0], MeasurementName(kPcr0), &out->pcr0),
      ReadBytes(*slots[kPcr1], MeasurementName(kPcr1), &out->pcr1),
      ReadBytes(*slots[kPcr2], MeasurementName(kPcr2), &out->pcr2),
      ReadOptionalPcr(slots[kPcr3], kPcr3, &out->pcr3),
      ReadOptionalPcr(slots[kPcr4], kPcr4, &out->pcr4),
      ReadOptionalPcr(slots[kPcr8], kPcr8, &out->pcr8),
  };
  for (Finding& step : steps) {
    if (!step.ok()) return step;
  }
  return Holds();
}

// Reads every slotted claim into `claims` and returns the first type error.
Finding ReadClaims(const Slots& s, AirClaims* c, std::string* profile) {
  auto name = [](Claim claim) { return ClaimName{kClaims[claim].name}; };
  std::array<Finding, 16> steps = {
      ReadText(*s[kIss], name(kIss), &c->iss),
      ReadUint(*s[kIat], name(kIat), &c->iat),
      ReadBytes(*s[kCti], name(kCti), &c->cti),
      ReadText(*s[kProfile], name(kProfile), profile),
      ReadText(*s[kModelId], name(kModelId), &c->model_id),
      ReadText(*s[kModelVersion], name(kModelVersion), &c->model_version),
      ReadBytes(*s[kModelHash], name(kModelHash), &c->model_hash),
      ReadBytes(*s[kRequestHash], name(kRequestHash), &c->request_hash),
      ReadBytes(*s[kResponseHash], name(kResponseHash), &c->response_hash),
      ReadBytes(*s[kAttestationDocHash], name(kAttestationDocHash), &c->attestation_doc_hash),
      ReadMeasurements(*s[kMeasurements], &c->measurements),
      ReadText(*s[kPolicyVersion], name(kPolicyVersion), &c->policy_version),
      ReadUint(*s[kSequenceNumber], name(kSequenceNumber), &c->sequence_number),
      ReadUint(*s[kExecutionTimeMs], name(kExecutionTimeMs), &c->execution_time_ms),
      ReadUint(*s[kMemoryPeakMb], name(kMemoryPeakMb), &c->memory_peak_mb),
      ReadText(*s[kSecurityMode], name(kSecurityMode), &c->security_mode),
  };
  for (Finding& step : steps) {
    if (!step.ok()) return step;
  }
  if (s[kNonce] != nullptr) {
    Finding found = ReadBytes(*s[kNonce], name(kNonce), &c->eat_nonce.emplace());
    if (!found.ok()) return found;
  }
  if (s[kModelHashScheme] != nullptr) {
    return ReadText(*s[kModelHashScheme], name(kModelHashScheme), &c->model_hash_scheme.emplace());
  }
  return Holds();
}

Finding TextLength(const std::string& text, const char* name, size_t min, size_t max) {
  if (text.size() >= min && text.size() <= max) return Holds();
  return Violation(std::string("BAD_TEXT_LENGTH:") + name,
                   std::string(name) + " is " + std::to_string(text.size()) +
                       " bytes; allowed " + std::to_string(min) + ".." + std::to_string(max));
}

Finding HashLength(const Bytes& hash, const char* name) {
  if (hash.size() == kHashSize) return Holds();
  return Violation(std::string("BAD_HASH_LENGTH:") + name,
                   std::string(name) + " is " + std::to_string(hash.size()) + " bytes, not 32");
}

Finding CtiLength(const Bytes& cti) {
  if (cti.size() == kCtiSize) return Holds();
  return Violation("BAD_CTI_LENGTH", "cti is " + std::to_string(cti.size()) + " bytes, not 16");
}

bool AllZero(const Bytes& b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
}

Finding CheckPcrLength(const Bytes& pcr, const char* name) {
  if (pcr.size() == kMeasurementSize) return Holds();
  return Violation("BAD_MEASUREMENT_LENGTH",
                   std::string(name) + " is " + std::to_string(pcr.size()) + " bytes, not 48");
}

bool IsOneOf(const std::string& value, std::initializer_list<std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

cbor::Value MeasurementsToValue(const AirMeasurements& m) {
  cbor::MapEntries entries = {
      {cbor::Value::Text("measurement_type"), cbor::Value::Text(m.type)},
      {cbor::Value::Text("pcr0"), cbor::Value::ByteString(m.pcr0)},
      {cbor::Value::Text("pcr1"), cbor::Value::ByteString(m.pcr1)},
      {cbor::Value::Text("pcr2"), cbor::Value::ByteString(m.pcr2)},
  };
  if (m.pcr3) entries.emplace_back(cbor::Value::Text("pcr3"), cbor::Value::ByteString(*m.pcr3));
  if (m.pcr4) entries.emplace_back(cbor::Value::Text("pcr4"), cbor::Value::ByteString(*m.pcr4));
  if (m.pcr8) entries.emplace_back(cbor::Value::Text("pcr8"), cbor::Value::ByteString(*m.pcr8));
  return cbor::Value::FromMap(std::move(entries));
}

// Appends CBOR items for EncodeClaimsDirect. Texts are checked as
// cbor::Encode checks them; the first bad one is remembered in `ok`.
class DirectWriter {
 public:
  explicit DirectWriter(size_t reserve) { out_.reserve(reserve); }

  void Key(Claim claim) {
    const int64_t key = kClaims[claim].key;
    if (key >= 0) {
      cbor::AppendHead(0, static_cast<uint64_t>(key), &out_);
    } else {
      cbor::AppendHead(1, static_cast<uint64_t>(-1 - key), &out_);
    }
  }
  void Head(uint8_t major, uint64_t arg) { cbor::AppendHead(major, arg, &out_); }
  void Uint(uint64_t value) { cbor::AppendHead(0, value, &out_); }
  void ByteString(const Bytes& bytes) {
    cbor::AppendHead(2, bytes.size(), &out_);
    out_.insert(out_.end(), bytes.begin(), bytes.end());
  }
  void Text(std::string_view text) {
    if (!cbor::IsValidUtf8(AsBytes(text))) ok_ = false;
    cbor::AppendHead(3, text.size(), &out_);
    out_.insert(out_.end(), text.begin(), text.end());
  }
  void TextClaim(Claim claim, std::string_view text) {
    Key(claim);
    Text(text);
  }
  void BytesClaim(Claim claim, const Bytes& bytes) {
    Key(claim);
    ByteString(bytes);
  }
  void UintClaim(Claim claim, uint64_t value) {
    Key(claim);
    Uint(value);
  }

  StatusOr<Bytes> Finish() {
    if (!ok_) return InvalidArgumentError("cbor: encode: text string is not valid UTF-8");
    return std::move(out_);
  }

 private:
  Bytes out_;
  bool ok_ = true;
};

// The measurements map in deterministic order: the "pcrN" keys (4 bytes)
// sort before "measurement_type" (16 bytes).
void WriteMeasurements(const AirMeasurements& m, DirectWriter* w) {
  const std::array<std::pair<const char*, const Bytes*>, 6> pcrs = {{
      {"pcr0", &m.pcr0},
      {"pcr1", &m.pcr1},
      {"pcr2", &m.pcr2},
      {"pcr3", m.pcr3 ? &*m.pcr3 : nullptr},
      {"pcr4", m.pcr4 ? &*m.pcr4 : nullptr},
      {"pcr8", m.pcr8 ? &*m.pcr8 : nullptr},
  }};
  size_t count = 1;
  for (const auto& pcr : pcrs) count += pcr.second != nullptr ? 1 : 0;
  w->Head(5, count);
  for (const auto& [name, bytes] : pcrs) {
    if (bytes == nullptr) continue;
    w->Text(name);
    w->ByteString(*bytes);
  }
  w->Text(kMeasurementKeys[kType]);
  w->Text(m.type);
}

// Reads the one shape of a valid claims payload: shortest-form heads,
// definite lengths, claim keys in the claim table's (= deterministic) order
// with no repeats, measurement keys in deterministic order, the right major
// type for every value, valid UTF-8, nothing after the map. Every payload it
// accepts is one the strict tree decode accepts with the same values;
// anything else makes it return false, and the tree decode gives the verdict.
class CanonicalClaimsReader {
 public:
  explicit CanonicalClaimsReader(ByteSpan in) : in_(in) {}

  bool Read(AirClaims* c, std::string* profile) {
    uint64_t entries;
    if (in_.remaining() > kAirMaxReceiptSize || !Expect(5, &entries)) return false;
    if (entries > kClaimCount) return false;
    std::array<bool, kClaimCount> seen{};
    size_t next = 0;  // claims before this index are behind us
    for (uint64_t i = 0; i < entries; ++i) {
      uint8_t major;
      uint64_t arg;
      if (!Head(&major, &arg)) return false;
      while (next < kClaimCount && !KeyIs(kClaims[next].key, major, arg)) ++next;
      if (next == kClaimCount) return false;  // unknown, repeated or out of order
      seen[next] = true;
      if (!Value(static_cast<Claim>(next++), c, profile)) return false;
    }
    for (size_t i = 0; i < kClaimCount; ++i) {
      if (kClaims[i].required && !seen[i]) return false;
    }
    return in_.empty();
  }

 private:
  static bool KeyIs(int64_t key, uint8_t major, uint64_t arg) {
    if (key >= 0) return major == 0 && arg == static_cast<uint64_t>(key);
    return major == 1 && arg == static_cast<uint64_t>(-1 - key);
  }

  bool Value(Claim claim, AirClaims* c, std::string* profile) {
    switch (claim) {
      case kIss: return Text(&c->iss);
      case kIat: return Expect(0, &c->iat);
      case kCti: return ByteString(&c->cti);
      case kNonce: return ByteString(&c->eat_nonce.emplace());
      case kProfile: return Text(profile);
      case kModelId: return Text(&c->model_id);
      case kModelVersion: return Text(&c->model_version);
      case kModelHash: return ByteString(&c->model_hash);
      case kRequestHash: return ByteString(&c->request_hash);
      case kResponseHash: return ByteString(&c->response_hash);
      case kAttestationDocHash: return ByteString(&c->attestation_doc_hash);
      case kMeasurements: return Measurements(&c->measurements);
      case kPolicyVersion: return Text(&c->policy_version);
      case kSequenceNumber: return Expect(0, &c->sequence_number);
      case kExecutionTimeMs: return Expect(0, &c->execution_time_ms);
      case kMemoryPeakMb: return Expect(0, &c->memory_peak_mb);
      case kSecurityMode: return Text(&c->security_mode);
      case kModelHashScheme: return Text(&c->model_hash_scheme.emplace());
      case kClaimCount: break;
    }
    return false;
  }

  // Deterministic order: the 4-byte "pcrN" keys, then "measurement_type".
  bool Measurements(AirMeasurements* m) {
    static constexpr std::array<Measurement, kMeasurementCount> kOrder = {
        kPcr0, kPcr1, kPcr2, kPcr3, kPcr4, kPcr8, kType};
    uint64_t entries;
    if (!Expect(5, &entries) || entries > kMeasurementCount) return false;
    std::array<bool, kMeasurementCount> seen{};
    size_t next = 0;
    for (uint64_t i = 0; i < entries; ++i) {
      ByteSpan key;
      if (!TextSpan(&key)) return false;
      while (next < kOrder.size() && AsString(key) != kMeasurementKeys[kOrder[next]]) ++next;
      if (next == kOrder.size()) return false;
      const Measurement which = kOrder[next++];
      seen[which] = true;
      bool ok = false;
      switch (which) {
        case kType: ok = Text(&m->type); break;
        case kPcr0: ok = ByteString(&m->pcr0); break;
        case kPcr1: ok = ByteString(&m->pcr1); break;
        case kPcr2: ok = ByteString(&m->pcr2); break;
        case kPcr3: ok = ByteString(&m->pcr3.emplace()); break;
        case kPcr4: ok = ByteString(&m->pcr4.emplace()); break;
        case kPcr8: ok = ByteString(&m->pcr8.emplace()); break;
        case kMeasurementCount: break;
      }
      if (!ok) return false;
    }
    for (size_t i = 0; i < kRequiredMeasurements; ++i) {
      if (!seen[i]) return false;
    }
    return true;
  }

  static std::string_view AsString(ByteSpan s) {
    return {reinterpret_cast<const char*>(s.data()), s.size()};
  }

  // A head whose argument is in shortest form; no indefinite lengths.
  bool Head(uint8_t* major, uint64_t* arg) {
    uint8_t initial;
    if (!in_.ReadU8(&initial).ok()) return false;
    *major = initial >> 5;
    const uint8_t info = initial & 0x1f;
    if (info < 24) {
      *arg = info;
      return true;
    }
    if (info == 24) {
      uint8_t v;
      if (!in_.ReadU8(&v).ok()) return false;
      *arg = v;
      return v >= 24;
    }
    if (info == 25) {
      uint16_t v;
      if (!in_.ReadU16Be(&v).ok()) return false;
      *arg = v;
      return v > 0xff;
    }
    if (info == 26) {
      uint32_t v;
      if (!in_.ReadU32Be(&v).ok()) return false;
      *arg = v;
      return v > 0xffff;
    }
    if (info == 27) {
      uint64_t v;
      if (!in_.ReadU64Be(&v).ok()) return false;
      *arg = v;
      return v > 0xffffffff;
    }
    return false;
  }

  bool Expect(uint8_t major, uint64_t* arg) {
    uint8_t got;
    return Head(&got, arg) && got == major;
  }

  bool Span(uint8_t major, ByteSpan* out) {
    uint64_t size;
    return Expect(major, &size) && size <= in_.remaining() &&
           in_.ReadSpan(static_cast<size_t>(size), out).ok();
  }
  bool TextSpan(ByteSpan* out) { return Span(3, out) && cbor::IsValidUtf8(*out); }
  bool Text(std::string* out) {
    ByteSpan text;
    if (!TextSpan(&text)) return false;
    out->assign(AsString(text));
    return true;
  }
  bool ByteString(Bytes* out) {
    ByteSpan bytes;
    if (!Span(2, &bytes)) return false;
    out->assign(bytes.begin(), bytes.end());
    return true;
  }

  ByteReader in_;
};

}  // namespace

std::string Printable(std::string_view text) {
  std::string out;
  for (char ch : text.substr(0, kMaxPrintable)) {
    bool printable = ch >= 0x20 && ch <= 0x7e;
    out.push_back(printable ? ch : '?');
  }
  if (text.size() > kMaxPrintable) out += "...";
  return out;
}

cbor::Value ClaimsToValue(const AirClaims& c) {
  auto key = [](Claim claim) { return cbor::Value::Int(kClaims[claim].key); };
  cbor::MapEntries entries = {
      {key(kIss), cbor::Value::Text(c.iss)},
      {key(kIat), cbor::Value::Unsigned(c.iat)},
      {key(kCti), cbor::Value::ByteString(c.cti)},
      {key(kProfile), cbor::Value::Text(kAirProfile)},
      {key(kModelId), cbor::Value::Text(c.model_id)},
      {key(kModelVersion), cbor::Value::Text(c.model_version)},
      {key(kModelHash), cbor::Value::ByteString(c.model_hash)},
      {key(kRequestHash), cbor::Value::ByteString(c.request_hash)},
      {key(kResponseHash), cbor::Value::ByteString(c.response_hash)},
      {key(kAttestationDocHash), cbor::Value::ByteString(c.attestation_doc_hash)},
      {key(kMeasurements), MeasurementsToValue(c.measurements)},
      {key(kPolicyVersion), cbor::Value::Text(c.policy_version)},
      {key(kSequenceNumber), cbor::Value::Unsigned(c.sequence_number)},
      {key(kExecutionTimeMs), cbor::Value::Unsigned(c.execution_time_ms)},
      {key(kMemoryPeakMb), cbor::Value::Unsigned(c.memory_peak_mb)},
      {key(kSecurityMode), cbor::Value::Text(c.security_mode)},
  };
  if (c.eat_nonce) entries.emplace_back(key(kNonce), cbor::Value::ByteString(*c.eat_nonce));
  if (c.model_hash_scheme) {
    entries.emplace_back(key(kModelHashScheme), cbor::Value::Text(*c.model_hash_scheme));
  }
  return cbor::Value::FromMap(std::move(entries));
}

StatusOr<Bytes> EncodeClaimsDirect(const AirClaims& c) {
  // Every item but the texts and byte strings is at most 9 bytes; 256
  // covers the heads and keys with room to spare.
  size_t reserve = 256 + c.iss.size() + c.cti.size() + c.model_id.size() +
                   c.model_version.size() + c.model_hash.size() + c.request_hash.size() +
                   c.response_hash.size() + c.attestation_doc_hash.size() +
                   c.policy_version.size() + c.security_mode.size() +
                   c.measurements.type.size() + 6 * kMeasurementSize;
  if (c.eat_nonce) reserve += c.eat_nonce->size();
  if (c.model_hash_scheme) reserve += c.model_hash_scheme->size();
  DirectWriter w(reserve);
  // The claim table's order is the bytewise order of the encoded keys:
  // 1, 6, 7, 10, 265, then -65537 (3a 00 01 00 00) down to -65549.
  w.Head(5, 16 + (c.eat_nonce ? 1 : 0) + (c.model_hash_scheme ? 1 : 0));
  w.TextClaim(kIss, c.iss);
  w.UintClaim(kIat, c.iat);
  w.BytesClaim(kCti, c.cti);
  if (c.eat_nonce) w.BytesClaim(kNonce, *c.eat_nonce);
  w.TextClaim(kProfile, kAirProfile);
  w.TextClaim(kModelId, c.model_id);
  w.TextClaim(kModelVersion, c.model_version);
  w.BytesClaim(kModelHash, c.model_hash);
  w.BytesClaim(kRequestHash, c.request_hash);
  w.BytesClaim(kResponseHash, c.response_hash);
  w.BytesClaim(kAttestationDocHash, c.attestation_doc_hash);
  w.Key(kMeasurements);
  WriteMeasurements(c.measurements, &w);
  w.TextClaim(kPolicyVersion, c.policy_version);
  w.UintClaim(kSequenceNumber, c.sequence_number);
  w.UintClaim(kExecutionTimeMs, c.execution_time_ms);
  w.UintClaim(kMemoryPeakMb, c.memory_peak_mb);
  w.TextClaim(kSecurityMode, c.security_mode);
  if (c.model_hash_scheme) w.TextClaim(kModelHashScheme, *c.model_hash_scheme);
  return w.Finish();
}

Finding DecodeClaimsWithTree(ByteSpan payload, AirClaims* claims, std::string* profile) {
  cbor::DecodeOptions options{.max_depth = 4,
                              .max_items = kMaxPayloadItems,
                              .max_size = kAirMaxReceiptSize,
                              .require_deterministic = true};
  // The strict decode accepts a subset of what the lenient one does and
  // yields the same value, so the lenient decode runs only to tell why a
  // payload failed (DUPLICATE_KEY, PAYLOAD_NOT_MAP or NON_DETERMINISTIC_PAYLOAD).
  StatusOr<cbor::Value> map = cbor::Decode(payload, options);
  if (!map.ok()) {
    options.require_deterministic = false;
    StatusOr<cbor::Value> lenient = cbor::Decode(payload, options);
    if (!lenient.ok()) {
      bool duplicate = lenient.status().code() == StatusCode::kAlreadyExists;
      return Violation(duplicate ? "DUPLICATE_KEY" : "PAYLOAD_NOT_MAP",
                       lenient.status().message());
    }
    if (!lenient->is_map()) return Violation("PAYLOAD_NOT_MAP", "payload is not a CBOR map");
    return Violation("NON_DETERMINISTIC_PAYLOAD", map.status().message());
  }
  if (!map->is_map()) return Violation("PAYLOAD_NOT_MAP", "payload is not a CBOR map");

  Slots slots;
  Finding found = SlotClaims(*map, &slots);
  if (!found.ok()) return found;
  AirClaims decoded;
  found = ReadClaims(slots, &decoded, profile);
  if (!found.ok()) return found;
  found = CheckClaimFields(decoded);
  if (!found.ok()) return found;
  *claims = std::move(decoded);
  return Holds();
}

Finding DecodeClaims(ByteSpan payload, AirClaims* claims, std::string* profile) {
  AirClaims decoded;
  std::string decoded_profile;
  if (!CanonicalClaimsReader(payload).Read(&decoded, &decoded_profile)) {
    return DecodeClaimsWithTree(payload, claims, profile);
  }
  *profile = std::move(decoded_profile);
  Finding found = CheckClaimFields(decoded);
  if (!found.ok()) return found;
  *claims = std::move(decoded);
  return Holds();
}

Finding CheckClaimFields(const AirClaims& c) {
  std::array<Finding, 12> rules = {
      TextLength(c.iss, "iss", 1, 256),
      c.iat != 0 ? Holds() : Violation("ZERO_IAT", "iat is 0"),
      CtiLength(c.cti),
      !c.eat_nonce || (c.eat_nonce->size() >= kNonceMin && c.eat_nonce->size() <= kNonceMax)
          ? Holds()
          : Violation("BAD_NONCE_LENGTH", "eat_nonce is " + std::to_string(c.eat_nonce->size()) +
                                              " bytes; allowed 8..64"),
      TextLength(c.model_id, "model_id", 1, 256),
      TextLength(c.model_version, "model_version", 1, 128),
      HashLength(c.model_hash, "model_hash"),
      HashLength(c.request_hash, "request_hash"),
      HashLength(c.response_hash, "response_hash"),
      HashLength(c.attestation_doc_hash, "attestation_doc_hash"),
      TextLength(c.policy_version, "policy_version", 1, 256),
      TextLength(c.security_mode, "security_mode", 0, 64),
  };
  for (Finding& rule : rules) {
    if (!rule.ok()) return rule;
  }
  return Holds();
}

Finding CheckCti(const AirClaims& c) {
  // Upstream's code for an all-zero cti is BAD_CTI_LENGTH; kept for interop.
  if (AllZero(c.cti)) return Violation("BAD_CTI_LENGTH", "cti is all zeros");
  return Holds();
}

Finding CheckModelHashPresent(const AirClaims& c) {
  if (AllZero(c.model_hash)) return Violation("ZERO_MODEL_HASH", "model_hash is all zeros");
  return Holds();
}

Finding CheckMeasurements(const AirClaims& c) {
  const AirMeasurements& m = c.measurements;
  std::array<Finding, 6> rules = {
      CheckPcrLength(m.pcr0, "pcr0"),
      CheckPcrLength(m.pcr1, "pcr1"),
      CheckPcrLength(m.pcr2, "pcr2"),
      m.pcr3 ? CheckPcrLength(*m.pcr3, "pcr3") : Holds(),
      m.pcr4 ? CheckPcrLength(*m.pcr4, "pcr4") : Holds(),
      m.pcr8 ? CheckPcrLength(*m.pcr8, "pcr8") : Holds(),
  };
  for (Finding& rule : rules) {
    if (!rule.ok()) return rule;
  }
  if (m.type == kMeasurementTdx && m.pcr8) {
    return Violation("PCR8_WITH_TDX", "pcr8 is Nitro-only; a TDX receipt must not carry it");
  }
  if (m.type == kMeasurementSnp && (m.pcr3 || m.pcr4 || m.pcr8)) {
    return Violation("EXTRA_PCR_WITH_SNP", "a SEV-SNP receipt carries pcr0..pcr2 only");
  }
  if (m.type == kMeasurementSnp && !AllZero(Bytes(m.pcr1.begin() + 32, m.pcr1.end()))) {
    return Violation("SNP_HOST_DATA_PADDING", "pcr1 of a SEV-SNP receipt is HOST_DATA and 16 zero bytes");
  }
  return Holds();
}

Finding CheckMeasurementType(const AirClaims& c) {
  if (IsOneOf(c.measurements.type, {kMeasurementNitro, kMeasurementTdx, kMeasurementSnp})) {
    return Holds();
  }
  std::string shown = Printable(c.measurements.type);
  return Violation("UNKNOWN_MTYPE:" + shown, "measurement_type '" + shown + "' is not known");
}

Finding CheckModelHashScheme(const AirClaims& c) {
  if (!c.model_hash_scheme ||
      IsOneOf(*c.model_hash_scheme, {"sha256-single", "sha256-concat", "sha256-manifest"})) {
    return Holds();
  }
  std::string shown = Printable(*c.model_hash_scheme);
  return Violation("UNKNOWN_MODEL_HASH_SCHEME:" + shown,
                   "model_hash_scheme '" + shown + "' is not known");
}

Finding CheckSecurityMode(const AirClaims& c) {
  if (IsOneOf(c.security_mode, {kSecurityModeProduction, kSecurityModeEvaluation})) {
    return Holds();
  }
  std::string shown = Printable(c.security_mode);
  return Violation("UNKNOWN_SECURITY_MODE:" + shown, "security_mode '" + shown + "' is not known");
}

}  // namespace eml::receipt::internal
