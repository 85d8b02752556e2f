// Per-operation cost of the cryptographic core on this machine.
//
// Prints one line per operation (median of several timed batches) and, where
// the Rust upstream published a figure for the same operation (measured on
// another CPU; ../shared/reference/upstream-study.md, benchmarks table), the
// ratio ours/upstream. The real Nitro document has a 5-certificate chain, so
// it is reported without an upstream figure (upstream measured sig + a
// synthetic 3-certificate chain: 0.751 + 2.220 ms). A benchmark, not a test: nothing here passes or fails.
//
// Usage: crypto_bench [path/to/shared]   (default: ../shared next to the source tree)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "attest/nitro.h"
#include "cbor/value.h"
#include "cbor/encode.h"
#include "cbor/decode.h"
#include "core/bytes.h"
#include "cose/sign1.h"
#include "crypto/aead.h"
#include "crypto/ecdsa.h"
#include "crypto/ed25519.h"
#include "crypto/hpke.h"
#include "crypto/random.h"
#include "crypto/x509.h"
#include "crypto/x25519.h"

namespace eml {
namespace {

using Clock = std::chrono::steady_clock;

// Runs `op` in batches until ~0.3 s have passed; returns the median
// per-operation time of the batches in microseconds.
double MedianMicros(const std::function<void()>& op) {
  for (int i = 0; i < 3; ++i) op();  // warm-up
  int batch = 1;
  for (;;) {
    auto t0 = Clock::now();
    for (int i = 0; i < batch; ++i) op();
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (s > 0.02 || batch > (1 << 20)) break;
    batch *= 2;
  }
  std::vector<double> per_op;
  auto start = Clock::now();
  while (per_op.size() < 7 || (per_op.size() < 50 &&
                               std::chrono::duration<double>(Clock::now() - start).count() < 0.3)) {
    auto t0 = Clock::now();
    for (int i = 0; i < batch; ++i) op();
    per_op.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / batch);
  }
  std::sort(per_op.begin(), per_op.end());
  return per_op[per_op.size() / 2];
}

void Report(const char* name, double us, double upstream_us = 0) {
  if (upstream_us > 0) {
    std::printf("%-58s %10.2f us   upstream %8.1f us   ratio %.2f\n", name, us, upstream_us,
                us / upstream_us);
  } else {
    std::printf("%-58s %10.2f us\n", name, us);
  }
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "crypto_bench: %s failed: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}
template <typename T>
T Must(StatusOr<T> v, const char* what) {
  Check(v.status(), what);
  return *std::move(v);
}

Bytes ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "crypto_bench: cannot read %s\n", path.c_str());
    std::exit(1);
  }
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void BenchHpke() {
  using namespace crypto;
  X25519PrivateKey recipient = Must(X25519PrivateKey::Generate(), "x25519 keygen");
  const Bytes pk = recipient.PublicKey();
  const Bytes info = ToBytes("eml bench");
  Bytes msg(1024, 0x5a);
  const Bytes aad = ToBytes("aad");

  Report("HPKE setup (sender + recipient, base, X25519)", MedianMicros([&] {
           HpkeSender s = Must(SetupHpkeSender({.recipient_public_key = pk, .info = info}), "setup");
           Must(SetupHpkeRecipient({.enc = s.enc, .recipient_key = &recipient, .info = info}),
                "setup recipient");
         }),
         100.0);

  HpkeSender s = Must(SetupHpkeSender({.recipient_public_key = pk, .info = info}), "setup");
  HpkeRecipientContext r =
      Must(SetupHpkeRecipient({.enc = s.enc, .recipient_key = &recipient, .info = info}), "setup");
  Report("HPKE seal + open 1 KiB (AES-256-GCM)", MedianMicros([&] {
           Bytes ct = Must(s.context.Seal(aad, msg), "seal");
           Must(r.Open(aad, ct), "open");
         }),
         6.0);
}

void BenchAead() {
  using namespace crypto;
  const Bytes nonce(kAeadNonceSize, 7);
  Bytes mib(1 << 20, 0x33);
  const struct { AeadAlg alg; size_t key; const char* name; } algs[] = {
      {AeadAlg::kAes128Gcm, 16, "AEAD AES-128-GCM seal 1 MiB"},
      {AeadAlg::kAes256Gcm, 32, "AEAD AES-256-GCM seal 1 MiB"},
      {AeadAlg::kChaCha20Poly1305, 32, "AEAD ChaCha20-Poly1305 seal 1 MiB"},
  };
  for (const auto& a : algs) {
    SecretBytes key = Must(RandomSecret(a.key), "key");
    Aead aead = Must(Aead::Create(a.alg, key), "aead");
    double us = MedianMicros([&] { Must(aead.Seal(nonce, mib, {}), "seal"); });
    std::printf("%-58s %10.2f us   %.0f MiB/s\n", a.name, us, 1e6 / us);
  }
}

cbor::Value ReceiptSizedMap() {
  using cbor::Value;
  auto h = [](uint8_t fill, size_t n) { return Value::ByteString(Bytes(n, fill)); };
  cbor::MapEntries m;
  m.push_back({Value::Text("version"), Value::Unsigned(1)});
  m.push_back({Value::Text("receipt_id"), Value::Text("3f2b8c1e-7d4a-4e0b-9a51-2c6d8e9f0a1b")});
  m.push_back({Value::Text("model_id"), Value::Text("all-MiniLM-L6-v2")});
  m.push_back({Value::Text("model_hash"), h(1, 32)});
  m.push_back({Value::Text("model_hash_scheme"), Value::Text("sha256-manifest")});
  m.push_back({Value::Text("request_hash"), h(2, 32)});
  m.push_back({Value::Text("response_hash"), h(3, 32)});
  m.push_back({Value::Text("attestation_doc_hash"), h(4, 32)});
  m.push_back({Value::Text("eat_nonce"), h(5, 32)});
  m.push_back({Value::Text("iat"), Value::Unsigned(1'763'700'000)});
  m.push_back({Value::Text("platform"), Value::Text("aws-nitro")});
  m.push_back({Value::Text("security_mode"), Value::Text("production")});
  m.push_back({Value::Text("sequence_number"), Value::Unsigned(42)});
  m.push_back({Value::Text("execution_time_ms"), Value::Unsigned(17)});
  cbor::MapEntries pcrs;
  for (uint64_t i = 0; i < 3; ++i) pcrs.push_back({Value::Unsigned(i), h(uint8_t(0x10 + i), 48)});
  m.push_back({Value::Text("measurements"), Value::FromMap(std::move(pcrs))});
  return Value::FromMap(std::move(m));
}

void BenchSignatures() {
  using namespace crypto;
  const Bytes msg = ToBytes("a receipt-sized message to sign, about one hundred bytes long......");
  Ed25519PrivateKey ed = Must(Ed25519PrivateKey::Generate(), "ed25519 keygen");
  Bytes ed_sig = Must(ed.Sign(msg), "sign");
  const Bytes ed_pk = ed.PublicKey();
  Report("Ed25519 sign", MedianMicros([&] { Must(ed.Sign(msg), "sign"); }));
  Report("Ed25519 verify", MedianMicros([&] { Check(Ed25519Verify(ed_pk, msg, ed_sig), "verify"); }),
         42.0);

  EcdsaPrivateKey p384 = Must(EcdsaPrivateKey::Generate(EcCurve::kP384), "p384 keygen");
  EcdsaPublicKey p384_pub = p384.PublicKey();
  Bytes es_sig = Must(p384.Sign(msg, EcdsaSignatureFormat::kRawRS), "es384 sign");
  Report("ES384 (ECDSA P-384/SHA-384) verify", MedianMicros([&] {
           Check(p384_pub.Verify(msg, es_sig, EcdsaSignatureFormat::kRawRS), "verify");
         }),
         751.0);

  const cbor::Value receipt = ReceiptSizedMap();
  Bytes encoded = Must(cbor::Encode(receipt), "encode");
  char label[96];
  std::snprintf(label, sizeof(label), "CBOR deterministic encode, receipt-sized map (%zu B)",
                encoded.size());
  Report(label, MedianMicros([&] { Must(cbor::Encode(receipt), "encode"); }));
  Report("Receipt signing (CBOR encode + COSE_Sign1 Ed25519)", MedianMicros([&] {
           Bytes payload = Must(cbor::Encode(receipt), "encode");
           Must(cose::BuildSign1(ed, {.payload = payload}), "sign1");
         }),
         22.0);
}

void BenchX509(const std::string& shared) {
  const Bytes doc = ReadFile(shared + "/vectors/nitro/blocky-nitrite_nitro_attestation_2024-09-07.cbor");
  const Bytes root = ReadFile(shared + "/vectors/nitro/aws_nitro_root_ca.der");
  Check(attest::VerifyNitroDocument(doc, root).status(), "nitro document");
  Report("Nitro attestation doc verify (COSE ES384 + chain to root)",
         MedianMicros([&] { Must(attest::VerifyNitroDocument(doc, root), "nitro"); }));

  auto msg = Must(cose::ParseSign1(doc, {.allow_indefinite = true}), "parse");
  auto payload = Must(cbor::Decode(*msg.payload, {.allow_indefinite = true}), "payload");
  const auto& bundle = payload.FindText("cabundle")->array();
  const Bytes leaf = payload.FindText("certificate")->bytes();
  std::vector<Bytes> inter;
  for (size_t i = 1; i < bundle.size(); ++i) inter.push_back(bundle[i].bytes());
  const int64_t ts = Must(payload.FindText("timestamp")->AsInt64(), "ts") / 1000;
  const std::string chain3 = std::string(EML_SOURCE_DIR) + "/bench/data/chain3/";
  const Bytes leaf3 = ReadFile(chain3 + "leaf.der");
  const std::vector<Bytes> inter3 = {ReadFile(chain3 + "intermediate.der")};
  const Bytes root3 = ReadFile(chain3 + "root.der");
  const int64_t at = Must(crypto::ParseCertificate(leaf3), "parse leaf").not_before + 86400;
  Report("X.509 3-certificate chain verify (P-384, bench/data/chain3)", MedianMicros([&] {
           Must(crypto::VerifyCertificateChain(leaf3, inter3, std::span<const Bytes>(&root3, 1), at),
                "chain3");
         }),
         2220.0);

  char label[96];
  std::snprintf(label, sizeof(label), "X.509 chain verify (Nitro: leaf + %zu intermediates + root)",
                inter.size());
  Report(label, MedianMicros([&] {
           Must(crypto::VerifyCertificateChain(leaf, inter, std::span<const Bytes>(&root, 1), ts),
                "chain");
         }));
}

}  // namespace
}  // namespace eml

int main(int argc, char** argv) {
  std::string shared = argc > 1 ? argv[1] : std::string(EML_SOURCE_DIR) + "/../shared";
  std::printf("EphemeralML crypto_bench — median per operation on this machine\n");
  std::printf("(upstream figures: Rust EphemeralML, published, measured on another CPU)\n\n");
  eml::BenchHpke();
  eml::BenchAead();
  eml::BenchSignatures();
  eml::BenchX509(shared);
  return 0;
}
