// Signing and verifying half of sign1.h: the only part that calls crypto.
#include "cbor/encode.h"
#include "cose/sign1.h"

namespace eml::cose {

namespace {

Algorithm EcdsaAlgorithm(crypto::EcCurve curve) {
  return curve == crypto::EcCurve::kP256 ? Algorithm::kES256 : Algorithm::kES384;
}

struct PreparedSign1 {
  Bytes protected_bytes;
  Bytes to_be_signed;
};

StatusOr<PreparedSign1> Prepare(Algorithm alg, const Sign1BuildParams& params) {
  cbor::Value alg_label = cbor::Value::Int(kLabelAlg);
  cbor::MapEntries headers = params.protected_headers;
  for (const auto& [label, value] : headers) {
    if (label == alg_label) return InvalidArgumentError("cose: alg is set from the key");
  }
  for (const auto& [label, value] : params.unprotected_headers) {
    if (label == alg_label) return InvalidArgumentError("cose: alg must not be unprotected");
  }
  headers.emplace_back(alg_label, cbor::Value::Int(static_cast<int64_t>(alg)));
  PreparedSign1 out;
  ASSIGN_OR_RETURN(out.protected_bytes, cbor::Encode(cbor::Value::FromMap(std::move(headers))));
  ASSIGN_OR_RETURN(out.to_be_signed,
                   Sign1ToBeSigned(out.protected_bytes, params.external_aad, params.payload));
  return out;
}

void AppendByteString(ByteSpan bytes, Bytes* out) {
  cbor::AppendHead(2, bytes.size(), out);
  out->insert(out->end(), bytes.begin(), bytes.end());
}

// [protected, unprotected, payload / nil, signature], optionally in tag 18,
// written directly (a receipt is built on every request); the bytes are
// cbor::Encode's for the same value (sign1_test compares them).
StatusOr<Bytes> Assemble(const PreparedSign1& prepared, const Sign1BuildParams& params,
                         ByteSpan signature) {
  Bytes out;
  out.reserve(5 * 9 + prepared.protected_bytes.size() + params.payload.size() + signature.size());
  if (params.tagged) cbor::AppendHead(6, kSign1Tag, &out);
  cbor::AppendHead(4, 4, &out);
  AppendByteString(prepared.protected_bytes, &out);
  if (params.unprotected_headers.empty()) {
    cbor::AppendHead(5, 0, &out);
  } else {
    RETURN_IF_ERROR(cbor::EncodeTo(cbor::Value::FromMap(params.unprotected_headers), &out));
  }
  if (params.detached) {
    out.push_back(0xf6);  // nil
  } else {
    AppendByteString(params.payload, &out);
  }
  AppendByteString(signature, &out);
  return out;
}

// The signed bytes for a parsed message, with the payload resolved.
StatusOr<Bytes> ToBeSigned(const Sign1Message& message, const Sign1VerifyOptions& options) {
  ByteSpan payload;
  if (message.payload.has_value()) {
    if (options.detached_payload.has_value()) {
      return InvalidArgumentError("cose: detached payload given for an attached message");
    }
    payload = *message.payload;
  } else {
    if (!options.detached_payload.has_value()) {
      return InvalidArgumentError("cose: payload is detached and none was given");
    }
    payload = *options.detached_payload;
  }
  return Sign1ToBeSigned(message.protected_bytes, options.external_aad, payload);
}

}  // namespace

StatusOr<Bytes> BuildSign1(const crypto::Ed25519PrivateKey& key, const Sign1BuildParams& params) {
  ASSIGN_OR_RETURN(PreparedSign1 prepared, Prepare(Algorithm::kEdDSA, params));
  ASSIGN_OR_RETURN(Bytes signature, key.Sign(prepared.to_be_signed));
  return Assemble(prepared, params, signature);
}

StatusOr<Bytes> BuildSign1(const crypto::EcdsaPrivateKey& key, const Sign1BuildParams& params) {
  ASSIGN_OR_RETURN(PreparedSign1 prepared, Prepare(EcdsaAlgorithm(key.curve()), params));
  ASSIGN_OR_RETURN(Bytes signature,
                   key.Sign(prepared.to_be_signed, crypto::EcdsaSignatureFormat::kRawRS));
  return Assemble(prepared, params, signature);
}

Status VerifySign1(const Sign1Message& message, ByteSpan ed25519_public_key,
                   const Sign1VerifyOptions& options) {
  if (message.algorithm != Algorithm::kEdDSA) {
    return VerificationFailedError("cose: message alg does not match an Ed25519 key");
  }
  ASSIGN_OR_RETURN(Bytes tbs, ToBeSigned(message, options));
  return crypto::Ed25519Verify(ed25519_public_key, tbs, message.signature);
}

Status VerifySign1(const Sign1Message& message, const crypto::EcdsaPublicKey& public_key,
                   const Sign1VerifyOptions& options) {
  if (message.algorithm != EcdsaAlgorithm(public_key.curve())) {
    return VerificationFailedError("cose: message alg does not match the ECDSA key's curve");
  }
  ASSIGN_OR_RETURN(Bytes tbs, ToBeSigned(message, options));
  return public_key.Verify(tbs, message.signature, crypto::EcdsaSignatureFormat::kRawRS);
}

}  // namespace eml::cose
