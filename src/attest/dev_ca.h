// The development CA behind development Nitro-format evidence: a P-384
// root -> intermediate -> leaf chain kept in a state directory, created on
// first use and reused afterwards, so clients can pin `dev-root.der` once.
//
// Files (docs/attestation.md, "Development CA files"):
//   dev-root.der                 root certificate: the file clients pin (0644)
//   dev-root-key.pk8             root private key, PKCS#8 DER (0600)
//   dev-intermediate.der         intermediate certificate (0644)
//   dev-intermediate-key.pk8     intermediate private key (0600)
//   dev-leaf.der                 leaf certificate: signs the documents (0644)
//   dev-leaf-key.pk8             leaf private key (0600)
//
// Rules: an empty or missing directory gets a new CA (directory 0700, each
// file written to a temporary name and renamed, dev-root.der last). If the
// four root/intermediate files all exist they are loaded and checked (key
// matches certificate, key files not readable by group or others, chain
// valid now); any missing, unreadable or inconsistent file is a
// FailedPrecondition naming the file, never a silent new root. The leaf pair
// alone is re-issued from the intermediate (new key) when both leaf files
// are missing or the leaf expires within kDevLeafRenewBefore seconds; the
// root, and so what clients pin, stays the same.
//
// Validity: root and intermediate 20 years, leaf 1 year, each starting one
// hour before "now" to absorb clock skew.
//
// Thread-safety: LoadOrCreateDevCa is not safe against another process
// creating the same directory at the same moment (both may create a CA; the
// last rename wins). Use one state directory per enclave.
#ifndef EML_ATTEST_DEV_CA_H_
#define EML_ATTEST_DEV_CA_H_

#include <cstdint>
#include <string>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/status.h"
#include "crypto/x509_issue.h"

namespace eml::attest {

inline constexpr char kDevRootFile[] = "dev-root.der";
inline constexpr char kDevRootKeyFile[] = "dev-root-key.pk8";
inline constexpr char kDevIntermediateFile[] = "dev-intermediate.der";
inline constexpr char kDevIntermediateKeyFile[] = "dev-intermediate-key.pk8";
inline constexpr char kDevLeafFile[] = "dev-leaf.der";
inline constexpr char kDevLeafKeyFile[] = "dev-leaf-key.pk8";

inline constexpr int64_t kDevCaValiditySeconds = 20 * 365 * 86400;
inline constexpr int64_t kDevLeafValiditySeconds = 365 * 86400;
inline constexpr int64_t kDevLeafRenewBefore = 30 * 86400;
inline constexpr int64_t kDevBackdateSeconds = 3600;

struct DevCa {
  crypto::P384PrivateKey leaf_key;
  Bytes root_der;
  Bytes intermediate_der;
  Bytes leaf_der;
  int64_t leaf_not_after = 0;  // unix seconds
};

// Loads the CA in `state_dir`, creating it (and the directory, whose parent
// must exist) on first use; see the rules above. `clock` decides validity.
StatusOr<DevCa> LoadOrCreateDevCa(const std::string& state_dir, const Clock& clock);

}  // namespace eml::attest

#endif  // EML_ATTEST_DEV_CA_H_
