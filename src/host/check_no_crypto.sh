#!/usr/bin/env bash
# host_links_no_crypto: fails if the eml-host binary itself could hold
# key-handling code. What it guarantees, exactly:
#   1. Direct dynamic dependencies (readelf NEEDED) are only libcurl, the C and
#      C++ runtimes, libm and sanitizer runtimes: in particular neither libcrypto nor libssl.
#      libcurl does load OpenSSL for TLS and for S3 SigV4 (CURLOPT_AWS_SIGV4),
#      so OpenSSL is in the process, reachable only through libcurl's API.
#   2. The binary's own symbols, defined or imported (nm, symbol versions
#      stripped), include no OpenSSL (EVP_, SSL_, CRYPTO_, OPENSSL) and nothing
#      from our crypto, cbor, cose, attest, protocol, enclave, receipt, policy,
#      model, engine, kms or storage code. So eml-host cannot call OpenSSL
#      directly and links none of our key-handling code.
#   3. Control: eml::net:: symbols must be found (a stripped binary or a
#      broken nm fails instead of passing).
# It does not (cannot) stop libcurl from doing crypto on eml-host's behalf;
# docs/host.md and docs/proxy.md say what the host may sign (its own S3 GETs).
# Usage: check_no_crypto.sh PATH/TO/eml-host
set -uo pipefail
bin="$1"
fail=0
[[ -x "$bin" ]] || { echo "FAIL: no executable at $bin"; exit 1; }

needed="$(readelf -d "$bin" | grep NEEDED)" || { echo "FAIL: readelf found no NEEDED entries"; exit 1; }
libs="$(sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' <<<"$needed")"
unexpected="$(grep -Ev '^(libcurl\.so\.4|libstdc\+\+\.so\.6|libgcc_s\.so\.1|libc\.so\.6|libm\.so\.6|lib(a|ub|t)san\.so\.[0-9]+)$' <<<"$libs")"
if [[ -n "$unexpected" ]]; then
  echo "FAIL: eml-host has unexpected direct dependencies:"; echo "$unexpected"; fail=1
fi
if grep -Ei 'libcrypto|libssl' <<<"$libs"; then
  echo "FAIL: eml-host depends on OpenSSL directly"; fail=1
fi

# Symbol versions (curl_easy_init@CURL_OPENSSL_4) name the library's build,
# not a symbol of ours: strip them before matching.
symbols="$( (nm -C "$bin" 2>/dev/null; nm -C -D "$bin" 2>/dev/null) | sed 's/@.*//')"
if ! grep -q 'eml::net::' <<<"$symbols"; then
  echo "FAIL: control check: no eml::net:: symbols found (stripped binary or broken nm?)"
  exit 1
fi
bad="$(grep -E 'EVP_|OPENSSL|\bSSL_|CRYPTO_|eml::(crypto|cbor|cose|attest|protocol|enclave|receipt|policy|model|engine|kms|storage)::' <<<"$symbols" | head -20)"
if [[ -n "$bad" ]]; then
  echo "FAIL: eml-host contains forbidden symbols:"; echo "$bad"; fail=1
fi
if [[ $fail == 0 ]]; then
  echo "eml-host: direct deps $(tr '\n' ' ' <<<"$libs")(none OpenSSL); no crypto symbols"
fi
exit $fail
