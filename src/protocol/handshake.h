// The handshake of the gateway protocol (docs/protocol.md §2–§3): hello,
// evidence message, the evidence binding carried in Nitro `user_data`, the
// transcript hash and the HPKE-based key schedule, plus alerts.
//
// The client calls ClientDeriveKeys only after it has verified the evidence
// and the binding; nothing here performs I/O or appraisal.
//
// Thread-safety: pure functions.
#ifndef EML_PROTOCOL_HANDSHAKE_H_
#define EML_PROTOCOL_HANDSHAKE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/bytes.h"
#include "core/secret.h"
#include "core/status.h"
#include "crypto/x25519.h"
#include "protocol/frame.h"

namespace eml::protocol {

inline constexpr size_t kChallengeSize = 32;
inline constexpr size_t kClientHelloSize = 34;
inline constexpr uint8_t kSuiteX25519Aes256Gcm = 1;
inline constexpr size_t kMaxEvidenceSize = 64 * 1024;
inline constexpr size_t kMaxServerEvidenceMessage = 128 * 1024;
inline constexpr size_t kMaxModelIdSize = 256;
inline constexpr size_t kMaxModelVersionSize = 128;
inline constexpr size_t kBindingSize = 101;
inline constexpr char kPlatformNitro[] = "nitro";
inline constexpr char kPlatformTdx[] = "tdx";  // a TEE envelope (attest/tsm.h)
inline constexpr char kPlatformSnp[] = "snp";  // a TEE envelope (attest/tsm.h)
inline constexpr char kModelHashSchemeManifest[] = "sha256-manifest";

// --- CLIENT_HELLO ---------------------------------------------------------
Bytes EncodeClientHello(ByteSpan challenge);  // payload: version, suite, challenge
// The challenge; InvalidArgument/Unsupported for any other shape or suite.
StatusOr<Bytes> ParseClientHello(ByteSpan payload);

// --- SERVER_EVIDENCE ------------------------------------------------------
struct ServerEvidence {
  std::string platform;
  Bytes evidence;
  std::string model_id;
  std::string model_version;
  Bytes model_hash;  // 32 bytes
  std::string model_hash_scheme = kModelHashSchemeManifest;
};
StatusOr<Bytes> EncodeServerEvidence(const ServerEvidence& message);
StatusOr<ServerEvidence> ParseServerEvidence(ByteSpan payload);

// --- The binding in the evidence's user_data ------------------------------
struct EvidenceBinding {
  Bytes receipt_public_key;  // Ed25519, 32 bytes
  Bytes hello_hash;          // SHA-256 of the CLIENT_HELLO frame
  Bytes model_hash;          // 32 bytes
};
StatusOr<Bytes> EncodeBinding(const EvidenceBinding& binding);
StatusOr<EvidenceBinding> ParseBinding(ByteSpan user_data);

// SHA-256(client_hello_frame || server_evidence_frame), whole frames.
Bytes TranscriptHash(ByteSpan client_hello_frame, ByteSpan server_evidence_frame);

// --- Key schedule ---------------------------------------------------------
struct SessionKeys {
  SecretBytes c2s_key;  // 32 bytes, AES-256-GCM
  SecretBytes c2s_iv;   // 12 bytes
  SecretBytes s2c_key;
  SecretBytes s2c_iv;
};

struct ClientKeyExchange {
  Bytes enc;  // the CLIENT_KEY payload
  SessionKeys keys;
};

// HPKE SetupBaseS to the attested session key; `ephemeral_for_testing` pins
// the HPKE ephemeral key (worked example only; null in production).
StatusOr<ClientKeyExchange> ClientDeriveKeys(
    ByteSpan enclave_session_public_key, ByteSpan transcript_hash,
    const crypto::X25519PrivateKey* ephemeral_for_testing = nullptr);

// HPKE SetupBaseR with the session's private key and the client's enc.
StatusOr<SessionKeys> EnclaveDeriveKeys(const crypto::X25519PrivateKey& session_key, ByteSpan enc,
                                        ByteSpan transcript_hash);

// --- Alerts ---------------------------------------------------------------
enum class AlertCode : uint16_t {
  kBadFrame = 1,
  kBadHello = 2,
  kUnsupportedSuite = 3,
  kTimeout = 4,
  kBusy = 5,
  kInternal = 6,
};
std::string_view AlertName(AlertCode code);
Bytes EncodeAlert(AlertCode code);  // payload with the fixed text for the code
struct Alert {
  uint16_t code = 0;
  std::string text;  // printable ASCII only
};
StatusOr<Alert> ParseAlert(ByteSpan payload);

}  // namespace eml::protocol

#endif  // EML_PROTOCOL_HANDSHAKE_H_
