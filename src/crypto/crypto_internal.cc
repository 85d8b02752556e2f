#include "crypto/crypto_internal.h"

#include <string>

#include <openssl/err.h>

namespace eml::crypto::internal {

Status OpenSslError(StatusCode code, std::string_view what) {
  ERR_clear_error();
  return Status(code, std::string(what));
}

}  // namespace eml::crypto::internal
