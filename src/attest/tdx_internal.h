// Helpers shared by the tdx_*.cc files only (never included elsewhere).
#ifndef EML_ATTEST_TDX_INTERNAL_H_
#define EML_ATTEST_TDX_INTERNAL_H_

#include <span>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"

namespace eml::attest::tdx_internal {

// At most this many certificates in one PEM chain (quote or collateral).
inline constexpr size_t kMaxPemCertificates = 8;

// Strict PEM chain: one or more "-----BEGIN CERTIFICATE-----" blocks, lines
// ending in "\n" or "\r\n", standard base64 with padding; between blocks and
// after the last only line breaks; then, when `allow_nul_padding`, only NUL
// bytes (the quote's PEM is NUL-terminated). Each certificate is checked with
// crypto::ParseCertificate. Nothing else is tolerated, so any change of a
// byte either fails or changes a certificate.
StatusOr<std::vector<Bytes>> ParsePemChain(std::string_view pem, bool allow_nul_padding);

// "YYYY-MM-DDTHH:MM:SSZ" (the form Intel's PCS writes) to unix seconds.
StatusOr<int64_t> ParseIsoUtc(std::string_view text);

// Hex of exactly out.size() bytes (upper or lower case) into `out`; `what`
// names the field in the error.
Status HexToFixed(std::string_view hex, std::span<uint8_t> out, std::string_view what);

}  // namespace eml::attest::tdx_internal

#endif  // EML_ATTEST_TDX_INTERNAL_H_
