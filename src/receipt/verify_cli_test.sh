#!/usr/bin/env bash
# End-to-end checks of `eml verify` (AIR v1 receipts) against the upstream
# vectors in SHARED_DIR/vectors/air-v1: exit status 0 verified, 1 not
# verified (with the failure code in the report), 2 usage or I/O error; the
# JSON report parses and its claims equal the vector's "claims" object.
# Usage: verify_cli_test.sh PATH/TO/eml SHARED_DIR
set -uo pipefail
eml="$1"
shared="${EML_SHARED_DIR:-$2}"
vectors="$shared/vectors/air-v1"
source "$(dirname "$0")/../../tests/cli_lib.sh"

# Each vector's receipt_hex as a raw COSE file named after the vector.
for f in "$vectors"/valid/*.json "$vectors"/invalid/*.json; do
  name="$(basename "$f" .json)"
  /usr/bin/python3 -c 'import json,sys; sys.stdout.buffer.write(bytes.fromhex(json.load(open(sys.argv[1]))["receipt_hex"]))' \
    "$f" > "$work/$name.cose" || fail "cannot extract $f"
done
[[ -s "$work/v1-nitro-no-nonce.cose" ]] || { echo "FAIL: vectors missing under $vectors" >&2; exit 1; }

key=197f6b23e16c8532c6abc838facd5ea789be0c76b2920334039bfa8b3d368d61   # seed 2a x 32
wrong_key=8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c  # seed 01 x 32
iat=1740500000  # iat of the nitro vectors

expect 0 "verdict: VERIFIED" -- "$eml" verify "$work/v1-nitro-no-nonce.cose" --public-key "$key"
expect 0 "NONCE +PASS" -- "$eml" verify "$work/v1-tdx-with-nonce.cose" --public-key "$key" \
  --expected-nonce deadbeefcafebabe
expect 1 "SIG +FAIL +SIG_FAILED.*NOT VERIFIED \(SIG_FAILED\)" -- \
  "$eml" verify "$work/v1-wrong-key.cose" --public-key "$wrong_key"
expect 1 "NOT VERIFIED \(BAD_ALG\)" -- "$eml" verify "$work/v1-wrong-alg.cose" --public-key "$key"
expect 1 "NOT VERIFIED \(ZERO_MODEL_HASH\)" -- \
  "$eml" verify "$work/v1-zero-model-hash.cose" --public-key "$key"
expect 1 "NOT VERIFIED \(BAD_MEASUREMENT_LENGTH\)" -- \
  "$eml" verify "$work/v1-bad-measurement-length.cose" --public-key "$key"
expect 1 "NOT VERIFIED \(NONCE_MISMATCH\)" -- "$eml" verify "$work/v1-nonce-mismatch.cose" \
  --public-key "$key" --expected-nonce 0000000000000000
expect 1 "NOT VERIFIED \(MODEL_HASH_MISMATCH\)" -- "$eml" verify \
  "$work/v1-model-hash-mismatch.cose" --public-key "$key" --expected-model-hash "$(printf 'f%.0s' {1..64})"
expect 1 "NOT VERIFIED \(TIMESTAMP_STALE\)" -- "$eml" verify "$work/v1-stale-iat.cose" \
  --public-key "$key" --max-age 3600 --now $((iat + 3601))
expect 0 "FRESH +PASS" -- "$eml" verify "$work/v1-stale-iat.cose" \
  --public-key "$key" --max-age 3600 --now $((iat + 3600))
expect 1 "TIMESTAMP_STALE" -- "$eml" verify "$work/v1-stale-iat.cose" --public-key "$key" \
  --max-age 3600  # the system clock is long past 2025-02-25

# Not verified because of what the file holds.
printf 'not cbor' > "$work/garbage.cose"
expect 1 "COSE_DECODE_FAILED" -- "$eml" verify "$work/garbage.cose" --public-key "$key"
head -c 65537 /dev/zero > "$work/big.cose"
expect 1 "RECEIPT_TOO_LARGE" -- "$eml" verify "$work/big.cose" --public-key "$key"

# Usage and I/O errors.
expect 2 "cannot open" -- "$eml" verify "$work/missing.cose" --public-key "$key"
expect 2 "not a regular file|cannot open" -- "$eml" verify "$work" --public-key "$key"
expect 2 "64 hex digits" -- "$eml" verify "$work/v1-nitro-no-nonce.cose" --public-key 1234
expect 2 "64 hex digits" -- "$eml" verify "$work/v1-nitro-no-nonce.cose" --public-key "${key/1/x}"
expect 2 "required" -- "$eml" verify "$work/v1-nitro-no-nonce.cose"
expect 2 "hex digits" -- "$eml" verify "$work/v1-nitro-no-nonce.cose" --public-key "$key" \
  --expected-nonce abc
expect 2 "non-negative" -- "$eml" verify "$work/v1-nitro-no-nonce.cose" --public-key "$key" \
  --max-age -1
expect 2 "xml" -- "$eml" verify "$work/v1-nitro-no-nonce.cose" --public-key "$key" --format xml

# JSON: parses, and the claims are the vector's claims.
for name in v1-nitro-no-nonce v1-tdx-with-nonce; do
  "$eml" verify "$work/$name.cose" --public-key "$key" --format json > "$work/$name.out"
  rc=$?
  [[ "$rc" == 0 ]] || fail "json verify of $name exited $rc"
  /usr/bin/python3 -m json.tool "$work/$name.out" > /dev/null || fail "$name: JSON does not parse"
  /usr/bin/python3 - "$work/$name.out" "$vectors/valid/$name.json" <<'PY' || fail "$name: JSON claims differ"
import json, sys
report = json.load(open(sys.argv[1]))
want = json.load(open(sys.argv[2]))["claims"]
got = report["claims"]
assert report["verified"] is True and report["failure_code"] is None, report
assert len(report["checks"]) == 26 and all(c["result"] in ("PASS", "SKIP") for c in report["checks"])
want.setdefault("eat_nonce_hex", want.pop("eat_nonce", None))
for k, v in want.items():
    if k == "enclave_measurements":
        for mk, mv in v.items():
            assert got[k][mk] == mv, (mk, got[k][mk], mv)
    else:
        assert got[k] == v, (k, got[k], v)
PY
done
"$eml" verify "$work/v1-wrong-key.cose" --public-key "$wrong_key" --format json > "$work/bad.out" 2> "$work/bad.err"
rc=$?
[[ "$rc" == 1 ]] || fail "json verify with the wrong key exited $rc, want 1"
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["verified"] is False and d["failure_code"] == "SIG_FAILED", d' \
  "$work/bad.out" || fail "wrong-key JSON report"

finish verify_cli_test
