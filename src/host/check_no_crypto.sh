#!/usr/bin/env bash
# host_links_no_crypto: fails if the eml-host binary could hold key-handling
# code. Checks (1) its dynamic dependencies (no libcrypto/libssl), (2) its
# symbols (no OpenSSL, no EVP_/SSL_ functions, nothing from our crypto, cbor,
# cose, attest, protocol, enclave or receipt code), and (3) as a control that
# the symbol dump is real: our net code must be found in it.
# Usage: check_no_crypto.sh PATH/TO/eml-host
set -uo pipefail
bin="$1"
fail=0
[[ -x "$bin" ]] || { echo "FAIL: no executable at $bin"; exit 1; }

needed="$(readelf -d "$bin" | grep NEEDED)" || { echo "FAIL: readelf found no NEEDED entries"; exit 1; }
if grep -Ei 'libcrypto|libssl' <<<"$needed"; then
  echo "FAIL: eml-host depends on OpenSSL:"; echo "$needed"; fail=1
fi

symbols="$(nm -C "$bin" 2>/dev/null; nm -C -D "$bin" 2>/dev/null)"
if ! grep -q 'eml::net::' <<<"$symbols"; then
  echo "FAIL: control check: no eml::net:: symbols found (stripped binary or broken nm?)"
  exit 1
fi
bad="$(grep -E 'EVP_|OPENSSL|\bSSL_|CRYPTO_|eml::(crypto|cbor|cose|attest|protocol|enclave|receipt|policy|model|engine)::' <<<"$symbols" | head -20)"
if [[ -n "$bad" ]]; then
  echo "FAIL: eml-host contains forbidden symbols:"; echo "$bad"; fail=1
fi
if [[ $fail == 0 ]]; then
  echo "eml-host: $(grep -c . <<<"$needed") dynamic deps, none OpenSSL; no crypto symbols"
fi
exit $fail
