// The package manifest: name rules, deterministic CBOR encoding, strict
// parsing and the signed envelope (docs/model-package.md "Manifest").
#include <string>
#include <utility>

#include "cbor/decode.h"
#include "cbor/encode.h"
#include "cose/sign1.h"
#include "crypto/hash.h"
#include "model/package.h"

namespace eml::model {
namespace {

// Field names, in the order the deterministic encoder sorts them (by length,
// then bytewise), which is also the order the strict decoder sees them.
constexpr std::string_view kFieldFormat = "format";
constexpr std::string_view kFieldFiles = "files";
constexpr std::string_view kFieldCreated = "created";
constexpr std::string_view kFieldModelId = "model_id";
constexpr std::string_view kFieldChunkSize = "chunk_size";
constexpr std::string_view kFieldKmsKeyId = "kms_key_id";
constexpr std::string_view kFieldModelFormat = "model_format";
constexpr std::string_view kFieldModelVersion = "model_version";
constexpr std::string_view kFieldWrappedDataKey = "wrapped_data_key";
constexpr std::string_view kFieldEncryptionContext = "encryption_context";
constexpr std::string_view kFileName = "name";
constexpr std::string_view kFileSize = "size";
constexpr std::string_view kFileSha256 = "sha256";
constexpr std::string_view kFileChunks = "chunks";
constexpr std::string_view kContextModelId = "model_id";
constexpr std::string_view kContextVersion = "version";

Status Bad(std::string_view what) { return InvalidArgumentError("package manifest: " + std::string(what)); }

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool IsPrintableAscii(std::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

Status CheckKmsKeyId(std::string_view id) {
  if (id.empty() || id.size() > kMaxKmsKeyIdSize || !IsPrintableAscii(id)) {
    return Bad("kms_key_id must be 1.." + std::to_string(kMaxKmsKeyIdSize) +
               " printable ASCII characters");
  }
  return OkStatus();
}

Status CheckModelFormat(std::string_view format) {
  if (format.empty() || format.size() > kMaxModelFormatSize) {
    return Bad("model_format must be 1.." + std::to_string(kMaxModelFormatSize) + " characters");
  }
  for (char c : format) {
    if (!IsNameChar(c)) return Bad("model_format must use [A-Za-z0-9._-]");
  }
  return OkStatus();
}

// Every rule of docs/model-package.md "Limits" that a manifest value obeys.
Status ValidateManifest(const PackageManifest& m) {
  if (m.format != kPackageFormatVersion) {
    return UnsupportedError("package manifest: format " + std::to_string(m.format) +
                            " is not supported (expected " +
                            std::to_string(kPackageFormatVersion) + ")");
  }
  RETURN_IF_ERROR(CheckModelId(m.model_id));
  RETURN_IF_ERROR(CheckModelVersion(m.model_version));
  RETURN_IF_ERROR(CheckModelFormat(m.model_format));
  if (m.chunk_size < kMinChunkSize || m.chunk_size > kMaxChunkSize) {
    return Bad("chunk_size must be in [" + std::to_string(kMinChunkSize) + ", " +
               std::to_string(kMaxChunkSize) + "]");
  }
  if (m.files.empty() || m.files.size() > kMaxPackageFiles) {
    return Bad("a package holds 1.." + std::to_string(kMaxPackageFiles) + " files");
  }
  for (size_t i = 0; i < m.files.size(); ++i) {
    const PackageFileEntry& f = m.files[i];
    RETURN_IF_ERROR(CheckPackageFileName(f.name));
    for (size_t j = 0; j < i; ++j) {
      if (m.files[j].name == f.name) {
        return AlreadyExistsError("package manifest: file '" + f.name + "' listed twice");
      }
    }
    if (f.size > kMaxPackageFileSize) {
      return LimitExceededError("package manifest: file '" + f.name + "' is larger than " +
                                std::to_string(kMaxPackageFileSize) + " bytes");
    }
    if (f.sha256.size() != 32) return Bad("file '" + f.name + "': sha256 must be 32 bytes");
    if (f.chunks != ChunkCount(f.size, m.chunk_size)) {
      return Bad("file '" + f.name + "': chunk count " + std::to_string(f.chunks) +
                 " does not match its size and chunk_size");
    }
  }
  RETURN_IF_ERROR(CheckKmsKeyId(m.kms_key_id));
  if (m.wrapped_data_key.empty() || m.wrapped_data_key.size() > kMaxWrappedKeySize) {
    return Bad("wrapped_data_key must be 1.." + std::to_string(kMaxWrappedKeySize) + " bytes");
  }
  if (m.encryption_context != PackageEncryptionContext(m.model_id, m.model_version)) {
    return Bad("encryption_context must be exactly {model_id, version} of this model");
  }
  return OkStatus();
}

cbor::Value FileToCbor(const PackageFileEntry& f) {
  return cbor::Value::FromMap({
      {cbor::Value::Text(kFileName), cbor::Value::Text(f.name)},
      {cbor::Value::Text(kFileSize), cbor::Value::Unsigned(f.size)},
      {cbor::Value::Text(kFileSha256), cbor::Value::ByteString(ByteSpan(f.sha256))},
      {cbor::Value::Text(kFileChunks), cbor::Value::Unsigned(f.chunks)},
  });
}

// Reads the fields of a CBOR map with text keys: each field is taken once,
// and Done() fails if the map held a key that was not taken.
class FieldReader {
 public:
  FieldReader(const cbor::Value& map, std::string where) : map_(map), where_(std::move(where)) {}

  StatusOr<const cbor::Value*> Take(std::string_view key) {
    const cbor::Value* v = map_.FindText(key);
    if (v == nullptr) return Bad(where_ + ": missing field '" + std::string(key) + "'");
    ++taken_;
    return v;
  }
  StatusOr<uint64_t> Unsigned(std::string_view key) {
    ASSIGN_OR_RETURN(const cbor::Value* v, Take(key));
    if (!v->is_unsigned()) return Bad(where_ + ": '" + std::string(key) + "' must be an unsigned integer");
    return v->unsigned_value();
  }
  StatusOr<std::string> Text(std::string_view key) {
    ASSIGN_OR_RETURN(const cbor::Value* v, Take(key));
    if (!v->is_text()) return Bad(where_ + ": '" + std::string(key) + "' must be a text string");
    return v->text();
  }
  StatusOr<Bytes> ByteString(std::string_view key) {
    ASSIGN_OR_RETURN(const cbor::Value* v, Take(key));
    if (!v->is_bytes()) return Bad(where_ + ": '" + std::string(key) + "' must be a byte string");
    return v->bytes();
  }
  Status Done() const {
    if (taken_ != map_.map().size()) return Bad(where_ + ": unknown field");
    return OkStatus();
  }

 private:
  const cbor::Value& map_;
  std::string where_;
  size_t taken_ = 0;
};

StatusOr<PackageFileEntry> FileFromCbor(const cbor::Value& v, size_t index) {
  const std::string where = "files[" + std::to_string(index) + "]";
  if (!v.is_map()) return Bad(where + " must be a map");
  FieldReader r(v, where);
  PackageFileEntry f;
  ASSIGN_OR_RETURN(f.name, r.Text(kFileName));
  ASSIGN_OR_RETURN(f.size, r.Unsigned(kFileSize));
  ASSIGN_OR_RETURN(f.sha256, r.ByteString(kFileSha256));
  ASSIGN_OR_RETURN(f.chunks, r.Unsigned(kFileChunks));
  RETURN_IF_ERROR(r.Done());
  return f;
}

StatusOr<std::map<std::string, std::string>> ContextFromCbor(const cbor::Value& v) {
  if (!v.is_map()) return Bad("encryption_context must be a map");
  std::map<std::string, std::string> context;
  for (const auto& [key, value] : v.map()) {
    if (!key.is_text() || !value.is_text()) return Bad("encryption_context must map text to text");
    context.emplace(key.text(), value.text());
  }
  return context;
}

StatusOr<Bytes> ExpectedProtectedBytes() {
  return cbor::Encode(cbor::Value::FromMap(
      {{cbor::Value::Int(cose::kLabelAlg),
        cbor::Value::Int(static_cast<int64_t>(cose::Algorithm::kEdDSA))},
       {cbor::Value::Int(cose::kLabelContentType), cbor::Value::Text(kManifestContentType)}}));
}

}  // namespace

std::map<std::string, std::string> PackageEncryptionContext(std::string_view model_id,
                                                            std::string_view model_version) {
  return {{std::string(kContextModelId), std::string(model_id)},
          {std::string(kContextVersion), std::string(model_version)}};
}

Status CheckPackageFileName(std::string_view name) {
  if (name.empty() || name.size() > kMaxFileNameSize) {
    return Bad("file name must be 1.." + std::to_string(kMaxFileNameSize) + " bytes");
  }
  size_t start = 0;
  while (true) {
    const size_t slash = name.find('/', start);
    const std::string_view part =
        name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty() || part == "." || part == "..") {
      return Bad("file name has an empty, '.' or '..' path component");
    }
    for (char c : part) {
      if (!IsNameChar(c)) return Bad("file name characters must be [A-Za-z0-9._-] and '/'");
    }
    if (slash == std::string_view::npos) return OkStatus();
    start = slash + 1;
  }
}

Status CheckModelId(std::string_view id) {
  if (id.empty() || id.size() > kMaxModelIdSize) {
    return Bad("model_id must be 1.." + std::to_string(kMaxModelIdSize) + " characters");
  }
  for (char c : id) {
    if (!IsNameChar(c)) return Bad("model_id must use [A-Za-z0-9._-]");
  }
  return OkStatus();
}

Status CheckModelVersion(std::string_view version) {
  if (version.empty() || version.size() > kMaxModelVersionSize || !IsPrintableAscii(version) ||
      version.find_first_of("\"\\") != std::string_view::npos) {
    return Bad("model_version must be 1.." + std::to_string(kMaxModelVersionSize) +
               " printable ASCII characters without '\"' or '\\'");
  }
  return OkStatus();
}

uint64_t ChunkCount(uint64_t size, uint64_t chunk_size) {
  if (size == 0) return 1;
  return size / chunk_size + (size % chunk_size != 0 ? 1 : 0);
}

std::string FileObjectName(size_t index) { return "files/" + std::to_string(index) + ".enc"; }

Bytes PackageModelHash(ByteSpan payload) { return crypto::Sha256(payload); }

StatusOr<Bytes> EncodeManifestPayload(const PackageManifest& m) {
  RETURN_IF_ERROR(ValidateManifest(m));
  cbor::Array files;
  for (const PackageFileEntry& f : m.files) files.push_back(FileToCbor(f));
  cbor::MapEntries context;
  for (const auto& [key, value] : m.encryption_context) {
    context.emplace_back(cbor::Value::Text(key), cbor::Value::Text(value));
  }
  ASSIGN_OR_RETURN(
      Bytes payload,
      cbor::Encode(cbor::Value::FromMap({
          {cbor::Value::Text(kFieldFormat), cbor::Value::Unsigned(m.format)},
          {cbor::Value::Text(kFieldModelId), cbor::Value::Text(m.model_id)},
          {cbor::Value::Text(kFieldModelVersion), cbor::Value::Text(m.model_version)},
          {cbor::Value::Text(kFieldModelFormat), cbor::Value::Text(m.model_format)},
          {cbor::Value::Text(kFieldChunkSize), cbor::Value::Unsigned(m.chunk_size)},
          {cbor::Value::Text(kFieldFiles), cbor::Value::FromArray(std::move(files))},
          {cbor::Value::Text(kFieldKmsKeyId), cbor::Value::Text(m.kms_key_id)},
          {cbor::Value::Text(kFieldWrappedDataKey), cbor::Value::ByteString(ByteSpan(m.wrapped_data_key))},
          {cbor::Value::Text(kFieldEncryptionContext), cbor::Value::FromMap(std::move(context))},
          {cbor::Value::Text(kFieldCreated), cbor::Value::Unsigned(m.created)},
      })));
  // The signed envelope adds about 100 bytes; keep the whole under the limit.
  if (payload.size() > kMaxManifestSize - 1024) {
    return LimitExceededError("package manifest: payload exceeds " +
                              std::to_string(kMaxManifestSize - 1024) + " bytes");
  }
  return payload;
}

StatusOr<PackageManifest> ParseManifestPayload(ByteSpan payload) {
  if (payload.size() > kMaxManifestSize) {
    return LimitExceededError("package manifest: payload exceeds " +
                              std::to_string(kMaxManifestSize) + " bytes");
  }
  const cbor::DecodeOptions strict{.max_depth = 4,
                                   .max_items = 32 + 10 * kMaxPackageFiles,
                                   .max_size = kMaxManifestSize,
                                   .require_deterministic = true};
  ASSIGN_OR_RETURN(cbor::Value root, cbor::Decode(payload, strict));
  if (!root.is_map()) return Bad("payload must be a map");
  FieldReader r(root, "manifest");
  PackageManifest m;
  ASSIGN_OR_RETURN(m.format, r.Unsigned(kFieldFormat));
  if (m.format != kPackageFormatVersion) {
    return UnsupportedError("package manifest: format " + std::to_string(m.format) +
                            " is not supported (expected " +
                            std::to_string(kPackageFormatVersion) + ")");
  }
  ASSIGN_OR_RETURN(m.model_id, r.Text(kFieldModelId));
  ASSIGN_OR_RETURN(m.model_version, r.Text(kFieldModelVersion));
  ASSIGN_OR_RETURN(m.model_format, r.Text(kFieldModelFormat));
  ASSIGN_OR_RETURN(m.chunk_size, r.Unsigned(kFieldChunkSize));
  ASSIGN_OR_RETURN(const cbor::Value* files, r.Take(kFieldFiles));
  if (!files->is_array()) return Bad("'files' must be an array");
  if (files->array().size() > kMaxPackageFiles) {
    return LimitExceededError("package manifest: more than " + std::to_string(kMaxPackageFiles) +
                              " files");
  }
  for (size_t i = 0; i < files->array().size(); ++i) {
    ASSIGN_OR_RETURN(PackageFileEntry f, FileFromCbor(files->array()[i], i));
    m.files.push_back(std::move(f));
  }
  ASSIGN_OR_RETURN(m.kms_key_id, r.Text(kFieldKmsKeyId));
  ASSIGN_OR_RETURN(m.wrapped_data_key, r.ByteString(kFieldWrappedDataKey));
  ASSIGN_OR_RETURN(const cbor::Value* context, r.Take(kFieldEncryptionContext));
  ASSIGN_OR_RETURN(m.encryption_context, ContextFromCbor(*context));
  ASSIGN_OR_RETURN(m.created, r.Unsigned(kFieldCreated));
  RETURN_IF_ERROR(r.Done());
  RETURN_IF_ERROR(ValidateManifest(m));
  return m;
}

StatusOr<Bytes> SignManifestPayload(ByteSpan payload, const crypto::Ed25519PrivateKey& owner_key) {
  return cose::BuildSign1(
      owner_key,
      {.protected_headers = {{cbor::Value::Int(cose::kLabelContentType),
                              cbor::Value::Text(kManifestContentType)}},
       .payload = payload,
       .tagged = true});
}

StatusOr<VerifiedManifest> VerifyManifest(ByteSpan manifest_cose, ByteSpan owner_public_key) {
  if (manifest_cose.size() > kMaxManifestSize) {
    return LimitExceededError("package manifest: manifest.cose exceeds " +
                              std::to_string(kMaxManifestSize) + " bytes");
  }
  // The envelope: deterministic CBOR as a whole, then its fixed shape.
  const cbor::DecodeOptions strict{.max_depth = 4,
                                   .max_items = 16,
                                   .max_size = kMaxManifestSize,
                                   .require_deterministic = true};
  RETURN_IF_ERROR(cbor::Decode(manifest_cose, strict).status());
  ASSIGN_OR_RETURN(cose::Sign1Message message,
                   cose::ParseSign1(manifest_cose, {.max_size = kMaxManifestSize}));
  if (!message.tagged) return Bad("COSE_Sign1 tag 18 required");
  ASSIGN_OR_RETURN(Bytes expected, ExpectedProtectedBytes());
  if (message.protected_bytes != expected) {
    return Bad("protected header must be exactly {alg: EdDSA, content type: " +
               std::string(kManifestContentType) + "}");
  }
  if (!message.unprotected_headers.map().empty()) return Bad("unprotected header must be empty");
  if (!message.payload.has_value()) return Bad("payload is detached");
  // The signature before anything in the payload is looked at.
  Status signature = cose::VerifySign1(message, owner_public_key);
  if (!signature.ok()) {
    if (signature.code() == StatusCode::kVerificationFailed) {
      return VerificationFailedError("package manifest: owner signature does not verify");
    }
    return signature;
  }
  VerifiedManifest verified;
  verified.payload = std::move(*message.payload);
  ASSIGN_OR_RETURN(verified.manifest, ParseManifestPayload(verified.payload));
  verified.model_hash = PackageModelHash(verified.payload);
  return verified;
}

}  // namespace eml::model
