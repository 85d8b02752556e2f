#include "attest/dev_ca.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "core/file.h"
#include "core/secret.h"
#include "crypto/x509.h"

namespace eml::attest {
namespace {

constexpr size_t kMaxKeyFileSize = 1024;
constexpr char kOrganization[] = "EphemeralML development (evaluation only)";
constexpr char kRecreateHint[] =
    "; fix or remove the state directory (a new CA means clients must pin the new dev-root.der)";

struct IssuedLeaf {
  crypto::P384PrivateKey key;
  Bytes der;
};

std::string PathIn(const std::string& dir, const char* name) { return dir + "/" + name; }

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

Status CorruptError(const char* name, const std::string& why) {
  return FailedPreconditionError(std::string("dev CA: ") + name + " " + why + kRecreateHint);
}

Status EnsureDirectory(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return FailedPreconditionError("dev CA: " + dir + " is not a directory");
    return OkStatus();
  }
  if (::mkdir(dir.c_str(), 0700) != 0) {
    return IoError("dev CA: cannot create " + dir + ": " + std::strerror(errno));
  }
  return OkStatus();
}

Status WriteAll(int fd, ByteSpan data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError(std::string("write failed: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return ::fsync(fd) == 0 ? OkStatus() : IoError(std::string("fsync failed: ") + std::strerror(errno));
}

// Writes `data` to dir/name through a temporary file created with `mode`
// (O_EXCL, so the mode is exactly what was asked for, less the umask).
Status WriteFileAtomically(const std::string& dir, const char* name, ByteSpan data, mode_t mode) {
  const std::string path = PathIn(dir, name);
  const std::string tmp = dir + "/." + name + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return IoError("dev CA: cannot create " + tmp + ": " + std::strerror(errno));
  Status status = WriteAll(fd, data);
  if (::close(fd) != 0 && status.ok()) status = IoError("close failed");
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    status = IoError(std::string("rename failed: ") + std::strerror(errno));
  }
  if (!status.ok()) {
    ::unlink(tmp.c_str());
    return IoError("dev CA: writing " + path + ": " + status.message());
  }
  return OkStatus();
}

Status WriteKey(const std::string& dir, const char* name, const crypto::P384PrivateKey& key) {
  ASSIGN_OR_RETURN(SecretBytes der, key.ToPkcs8Der());
  return WriteFileAtomically(dir, name, der.RevealSecret(), 0600);
}

Status WriteCertificate(const std::string& dir, const char* name, const Bytes& der) {
  return WriteFileAtomically(dir, name, der, 0644);
}

StatusOr<Bytes> ReadCertificate(const std::string& dir, const char* name) {
  StatusOr<std::string> text = ReadSmallFile(PathIn(dir, name), crypto::kMaxCertificateSize);
  if (!text.ok()) return CorruptError(name, "cannot be read (" + text.status().ToString() + ")");
  Bytes der = ToBytes(*text);
  StatusOr<crypto::CertificateInfo> info = crypto::ParseCertificate(der);
  if (!info.ok()) return CorruptError(name, "is not a DER certificate");
  return der;
}

// Reads a PKCS#8 key that only its owner may read; the file's bytes are
// wiped once parsed.
StatusOr<crypto::P384PrivateKey> ReadKey(const std::string& dir, const char* name) {
  const std::string path = PathIn(dir, name);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return CorruptError(name, "is missing");
  if ((st.st_mode & 077) != 0) {
    return FailedPreconditionError("dev CA: " + path + " is readable by group or others; chmod 600 it");
  }
  StatusOr<std::string> text = ReadSmallFile(path, kMaxKeyFileSize);
  if (!text.ok()) return CorruptError(name, "cannot be read (" + text.status().ToString() + ")");
  StatusOr<crypto::P384PrivateKey> key = crypto::P384PrivateKey::FromPkcs8Der(AsBytes(*text));
  SecureWipe(text->data(), text->size());
  if (!key.ok()) return CorruptError(name, "is not a PKCS#8 P-384 key");
  return key;
}

Status CheckPair(const crypto::P384PrivateKey& key, const Bytes& cert_der, const char* cert_name) {
  ASSIGN_OR_RETURN(crypto::CertificateInfo info, crypto::ParseCertificate(cert_der));
  if (info.spki_der != key.SpkiDer()) return CorruptError(cert_name, "does not match its key file");
  return OkStatus();
}

crypto::CertificateParams CaParams(const char* name, int64_t now, int path_length) {
  return {.common_name = name, .organization = kOrganization,
          .not_before = now - kDevBackdateSeconds, .not_after = now + kDevCaValiditySeconds,
          .role = crypto::CertificateRole::kCa, .path_length = path_length};
}

StatusOr<IssuedLeaf> IssueLeaf(const crypto::P384PrivateKey& issuer_key, const Bytes& issuer_der,
                               int64_t now) {
  ASSIGN_OR_RETURN(crypto::P384PrivateKey key, crypto::P384PrivateKey::Generate());
  const crypto::CertificateParams params{
      .common_name = "EphemeralML development enclave", .organization = kOrganization,
      .not_before = now - kDevBackdateSeconds, .not_after = now + kDevLeafValiditySeconds,
      .role = crypto::CertificateRole::kLeaf};
  ASSIGN_OR_RETURN(Bytes der, crypto::IssueCertificate(issuer_key, issuer_der, key.SpkiDer(), params));
  return IssuedLeaf{std::move(key), std::move(der)};
}

// Key first, then the certificate: a crash in between leaves a pair that
// CheckPair reports.
Status WriteLeaf(const std::string& dir, const IssuedLeaf& leaf) {
  RETURN_IF_ERROR(WriteKey(dir, kDevLeafKeyFile, leaf.key));
  return WriteCertificate(dir, kDevLeafFile, leaf.der);
}

StatusOr<DevCa> Finish(IssuedLeaf leaf, Bytes root_der, Bytes intermediate_der) {
  ASSIGN_OR_RETURN(crypto::CertificateInfo info, crypto::ParseCertificate(leaf.der));
  return DevCa{.leaf_key = std::move(leaf.key), .root_der = std::move(root_der),
               .intermediate_der = std::move(intermediate_der), .leaf_der = std::move(leaf.der),
               .leaf_not_after = info.not_after};
}

StatusOr<DevCa> CreateCa(const std::string& dir, int64_t now) {
  ASSIGN_OR_RETURN(crypto::P384PrivateKey root_key, crypto::P384PrivateKey::Generate());
  ASSIGN_OR_RETURN(crypto::P384PrivateKey mid_key, crypto::P384PrivateKey::Generate());
  ASSIGN_OR_RETURN(Bytes root, crypto::IssueRootCertificate(
                                   root_key, CaParams("EphemeralML development root", now, 1)));
  ASSIGN_OR_RETURN(Bytes mid, crypto::IssueCertificate(
                                  root_key, root, mid_key.SpkiDer(),
                                  CaParams("EphemeralML development intermediate", now, 0)));
  ASSIGN_OR_RETURN(IssuedLeaf leaf, IssueLeaf(mid_key, mid, now));
  RETURN_IF_ERROR(WriteKey(dir, kDevRootKeyFile, root_key));
  RETURN_IF_ERROR(WriteKey(dir, kDevIntermediateKeyFile, mid_key));
  RETURN_IF_ERROR(WriteCertificate(dir, kDevIntermediateFile, mid));
  RETURN_IF_ERROR(WriteLeaf(dir, leaf));
  RETURN_IF_ERROR(WriteCertificate(dir, kDevRootFile, root));  // last: marks the CA complete
  return Finish(std::move(leaf), std::move(root), std::move(mid));
}

// The stored leaf, or a new one when both leaf files are missing or the
// stored leaf is not valid for at least kDevLeafRenewBefore from now.
StatusOr<IssuedLeaf> LoadOrRenewLeaf(const std::string& dir, const crypto::P384PrivateKey& mid_key,
                                     const Bytes& mid_der, int64_t now) {
  const bool has_key = Exists(PathIn(dir, kDevLeafKeyFile));
  const bool has_cert = Exists(PathIn(dir, kDevLeafFile));
  if (has_key != has_cert) {
    return CorruptError(has_key ? kDevLeafFile : kDevLeafKeyFile,
                        "is missing (remove both leaf files to have a new leaf issued)");
  }
  if (has_key) {
    ASSIGN_OR_RETURN(crypto::P384PrivateKey key, ReadKey(dir, kDevLeafKeyFile));
    ASSIGN_OR_RETURN(Bytes der, ReadCertificate(dir, kDevLeafFile));
    RETURN_IF_ERROR(CheckPair(key, der, kDevLeafFile));
    ASSIGN_OR_RETURN(crypto::CertificateInfo info, crypto::ParseCertificate(der));
    if (info.not_before <= now && now + kDevLeafRenewBefore < info.not_after) {
      return IssuedLeaf{std::move(key), std::move(der)};
    }
  }
  ASSIGN_OR_RETURN(IssuedLeaf leaf, IssueLeaf(mid_key, mid_der, now));
  RETURN_IF_ERROR(WriteLeaf(dir, leaf));
  return leaf;
}

StatusOr<DevCa> LoadCa(const std::string& dir, int64_t now) {
  ASSIGN_OR_RETURN(Bytes root, ReadCertificate(dir, kDevRootFile));
  ASSIGN_OR_RETURN(crypto::P384PrivateKey root_key, ReadKey(dir, kDevRootKeyFile));
  RETURN_IF_ERROR(CheckPair(root_key, root, kDevRootFile));
  ASSIGN_OR_RETURN(Bytes mid, ReadCertificate(dir, kDevIntermediateFile));
  ASSIGN_OR_RETURN(crypto::P384PrivateKey mid_key, ReadKey(dir, kDevIntermediateKeyFile));
  RETURN_IF_ERROR(CheckPair(mid_key, mid, kDevIntermediateFile));
  ASSIGN_OR_RETURN(IssuedLeaf leaf, LoadOrRenewLeaf(dir, mid_key, mid, now));
  const Bytes intermediates[] = {mid};
  const Bytes roots[] = {root};
  StatusOr<crypto::VerifiedChain> chain = crypto::VerifyCertificateChain(leaf.der, intermediates, roots, now);
  if (!chain.ok()) {
    return FailedPreconditionError("dev CA: the chain in " + dir + " is not valid now (" +
                                   chain.status().message() + ")" + kRecreateHint);
  }
  return Finish(std::move(leaf), std::move(root), std::move(mid));
}

}  // namespace

StatusOr<DevCa> LoadOrCreateDevCa(const std::string& state_dir, const Clock& clock) {
  if (state_dir.empty()) return InvalidArgumentError("dev CA: state directory not set");
  RETURN_IF_ERROR(EnsureDirectory(state_dir));
  const int64_t now = clock.NowUnixSeconds();
  std::vector<std::string> missing;
  for (const char* name : {kDevRootFile, kDevRootKeyFile, kDevIntermediateFile, kDevIntermediateKeyFile}) {
    if (!Exists(PathIn(state_dir, name))) missing.emplace_back(name);
  }
  const bool leaf_present = Exists(PathIn(state_dir, kDevLeafFile)) ||
                            Exists(PathIn(state_dir, kDevLeafKeyFile));
  if (missing.size() == 4 && !leaf_present) return CreateCa(state_dir, now);
  if (!missing.empty()) {
    std::string list;
    for (const std::string& name : missing) list += (list.empty() ? "" : ", ") + name;
    return FailedPreconditionError("dev CA: " + state_dir + " is incomplete (missing " + list + ")" +
                                   kRecreateHint);
  }
  return LoadCa(state_dir, now);
}

}  // namespace eml::attest
