#include "protocol/handshake.h"

#include <algorithm>
#include <utility>

#include "cbor/encode.h"
#include "cbor/value.h"
#include "crypto/hash.h"
#include "crypto/hpke.h"
#include "protocol/cbor_map.h"

namespace eml::protocol {
namespace {

constexpr char kBindingMagic[] = "EMLB";
constexpr uint8_t kBindingVersion = 1;
constexpr char kSessionInfoLabel[] = "eml/1 session";
constexpr size_t kMaxAlertText = 128;

Status Invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

crypto::HpkeAead SuiteAead() { return crypto::HpkeAead::kAes256Gcm; }

Bytes SessionInfo(ByteSpan transcript_hash) {
  return Concat({AsBytes(kSessionInfoLabel), transcript_hash});
}

template <typename Context>
StatusOr<SessionKeys> ExportKeys(const Context& context) {
  SessionKeys keys;
  ASSIGN_OR_RETURN(keys.c2s_key, context.Export(AsBytes("eml/1 c2s key"), 32));
  ASSIGN_OR_RETURN(keys.c2s_iv, context.Export(AsBytes("eml/1 c2s iv"), 12));
  ASSIGN_OR_RETURN(keys.s2c_key, context.Export(AsBytes("eml/1 s2c key"), 32));
  ASSIGN_OR_RETURN(keys.s2c_iv, context.Export(AsBytes("eml/1 s2c iv"), 12));
  return keys;
}

}  // namespace

Bytes EncodeClientHello(ByteSpan challenge) {
  const uint8_t prefix[2] = {kProtocolVersion, kSuiteX25519Aes256Gcm};
  return Concat({ByteSpan(prefix), challenge});
}

StatusOr<Bytes> ParseClientHello(ByteSpan payload) {
  if (payload.size() != kClientHelloSize) return Invalid("hello: must be 34 bytes");
  if (payload[0] != kProtocolVersion) {
    return Status(StatusCode::kUnsupported, "hello: unsupported protocol version");
  }
  if (payload[1] != kSuiteX25519Aes256Gcm) {
    return Status(StatusCode::kUnsupported, "hello: unsupported suite");
  }
  return Bytes(payload.begin() + 2, payload.end());
}

StatusOr<Bytes> EncodeServerEvidence(const ServerEvidence& m) {
  if (m.evidence.empty() || m.evidence.size() > kMaxEvidenceSize || m.model_hash.size() != 32 ||
      m.model_id.empty() || m.model_id.size() > kMaxModelIdSize || m.model_version.empty() ||
      m.model_version.size() > kMaxModelVersionSize) {
    return Invalid("server evidence: a field is out of bounds");
  }
  cbor::MapEntries entries;
  entries.emplace_back(cbor::Value::Unsigned(1), cbor::Value::Text(m.platform));
  entries.emplace_back(cbor::Value::Unsigned(2), cbor::Value::ByteString(ByteSpan(m.evidence)));
  entries.emplace_back(cbor::Value::Unsigned(3), cbor::Value::Text(m.model_id));
  entries.emplace_back(cbor::Value::Unsigned(4), cbor::Value::Text(m.model_version));
  entries.emplace_back(cbor::Value::Unsigned(5), cbor::Value::ByteString(ByteSpan(m.model_hash)));
  entries.emplace_back(cbor::Value::Unsigned(6), cbor::Value::Text(m.model_hash_scheme));
  return cbor::Encode(cbor::Value::FromMap(std::move(entries)));
}

StatusOr<ServerEvidence> ParseServerEvidence(ByteSpan payload) {
  ASSIGN_OR_RETURN(internal::IntMap map, internal::IntMap::Decode(payload, "server evidence", 6,
                                                                  kMaxServerEvidenceMessage));
  ServerEvidence m;
  ASSIGN_OR_RETURN(m.platform, map.Text(1, "platform", 1, 32));
  ASSIGN_OR_RETURN(m.evidence, map.ByteString(2, "evidence", 1, kMaxEvidenceSize));
  ASSIGN_OR_RETURN(m.model_id, map.Text(3, "model_id", 1, kMaxModelIdSize));
  ASSIGN_OR_RETURN(m.model_version, map.Text(4, "model_version", 1, kMaxModelVersionSize));
  ASSIGN_OR_RETURN(m.model_hash, map.ByteString(5, "model_hash", 32, 32));
  ASSIGN_OR_RETURN(m.model_hash_scheme, map.Text(6, "model_hash_scheme", 1, 32));
  if (m.platform != kPlatformNitro && m.platform != kPlatformTdx && m.platform != kPlatformSnp) {
    return Status(StatusCode::kUnsupported, "server evidence: unsupported platform");
  }
  if (m.model_hash_scheme != kModelHashSchemeManifest) {
    return Status(StatusCode::kUnsupported, "server evidence: unsupported model_hash_scheme");
  }
  return m;
}

StatusOr<Bytes> EncodeBinding(const EvidenceBinding& b) {
  if (b.receipt_public_key.size() != 32 || b.hello_hash.size() != 32 || b.model_hash.size() != 32) {
    return Invalid("binding: every field must be 32 bytes");
  }
  Bytes out = ToBytes(kBindingMagic);
  out.push_back(kBindingVersion);
  for (const Bytes* part : {&b.receipt_public_key, &b.hello_hash, &b.model_hash}) {
    out.insert(out.end(), part->begin(), part->end());
  }
  return out;
}

StatusOr<EvidenceBinding> ParseBinding(ByteSpan user_data) {
  if (user_data.size() != kBindingSize) return Invalid("binding: user_data must be 101 bytes");
  if (!std::equal(user_data.begin(), user_data.begin() + 4, kBindingMagic)) {
    return Invalid("binding: bad magic");
  }
  if (user_data[4] != kBindingVersion) {
    return Status(StatusCode::kUnsupported, "binding: unsupported version");
  }
  auto part = [&](size_t i) {
    ByteSpan s = user_data.subspan(5 + 32 * i, 32);
    return Bytes(s.begin(), s.end());
  };
  return EvidenceBinding{part(0), part(1), part(2)};
}

Bytes TranscriptHash(ByteSpan client_hello_frame, ByteSpan server_evidence_frame) {
  return crypto::Sha256(Concat({client_hello_frame, server_evidence_frame}));
}

StatusOr<ClientKeyExchange> ClientDeriveKeys(ByteSpan enclave_session_public_key,
                                             ByteSpan transcript_hash,
                                             const crypto::X25519PrivateKey* ephemeral_for_testing) {
  const Bytes info = SessionInfo(transcript_hash);
  crypto::HpkeSenderOptions options;
  options.aead = SuiteAead();
  options.recipient_public_key = enclave_session_public_key;
  options.info = info;
  options.ephemeral_key_for_testing = ephemeral_for_testing;
  ASSIGN_OR_RETURN(crypto::HpkeSender sender, crypto::SetupHpkeSender(options));
  ASSIGN_OR_RETURN(SessionKeys keys, ExportKeys(sender.context));
  return ClientKeyExchange{std::move(sender.enc), std::move(keys)};
}

StatusOr<SessionKeys> EnclaveDeriveKeys(const crypto::X25519PrivateKey& session_key, ByteSpan enc,
                                        ByteSpan transcript_hash) {
  if (enc.size() != 32) return Invalid("client key: enc must be 32 bytes");
  const Bytes info = SessionInfo(transcript_hash);
  crypto::HpkeRecipientOptions options;
  options.aead = SuiteAead();
  options.enc = enc;
  options.recipient_key = &session_key;
  options.info = info;
  ASSIGN_OR_RETURN(crypto::HpkeRecipientContext context, crypto::SetupHpkeRecipient(options));
  return ExportKeys(context);
}

std::string_view AlertName(AlertCode code) {
  switch (code) {
    case AlertCode::kBadFrame: return "BAD_FRAME";
    case AlertCode::kBadHello: return "BAD_HELLO";
    case AlertCode::kUnsupportedSuite: return "UNSUPPORTED_SUITE";
    case AlertCode::kTimeout: return "TIMEOUT";
    case AlertCode::kBusy: return "BUSY";
    case AlertCode::kInternal: return "INTERNAL";
  }
  return "UNKNOWN";
}

Bytes EncodeAlert(AlertCode code) {
  const auto value = static_cast<uint16_t>(code);
  const uint8_t code_bytes[2] = {static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value)};
  return Concat({ByteSpan(code_bytes), AsBytes(AlertName(code))});
}

StatusOr<Alert> ParseAlert(ByteSpan payload) {
  if (payload.size() < 2 || payload.size() > 2 + kMaxAlertText) return Invalid("alert: bad size");
  Alert alert;
  alert.code = static_cast<uint16_t>((payload[0] << 8) | payload[1]);
  for (uint8_t c : payload.subspan(2)) {
    if (c < 0x20 || c > 0x7E) return Invalid("alert: text is not printable ASCII");
    alert.text.push_back(static_cast<char>(c));
  }
  return alert;
}

}  // namespace eml::protocol
