#!/usr/bin/env bash
# End-to-end checks of `eml evidence verify` on the real AWS Nitro document in
# ../shared/vectors/nitro: exit 0 at its own time (and with --at inside the
# leaf's window), 1 at today's time (2026-11-21) and by --max-age, 2 for a
# missing file or a bad flag, and JSON that parses with the expected values
# (PCR0 and timestamp from index.json, decoded independently).
# Usage: evidence_cli_test.sh PATH/TO/eml SHARED_DIR
set -uo pipefail
eml="$1"
shared="${EML_SHARED_DIR:-$2}"
source "$(dirname "$0")/../../tests/cli_lib.sh"

doc="$shared/vectors/nitro/blocky-nitrite_nitro_attestation_2024-09-07.cbor"
root="$shared/vectors/nitro/aws_nitro_root_ca.der"
today=1795219200  # 2026-11-21T00:00:00Z
[[ -f "$doc" && -f "$root" ]] || { echo "FAIL: missing vectors under $shared" >&2; exit 1; }

# Valid at its own timestamp (the default) and inside the leaf's window.
expect 0 "result +VERIFIED" -- "$eml" evidence verify "$doc" --platform nitro --root "$root"
expect 0 "PASS +CHAIN_VALID_AT_TIME" -- \
  "$eml" evidence verify "$doc" --platform nitro --root "$root" --at 1725719859
expect 0 "pcr0 +e72a46ca80a260fb" -- "$eml" evidence verify "$doc" --platform nitro --root "$root"
# Rejected when judged today: the chain expired, the signature itself is fine.
expect 1 "FAIL +CHAIN_VALID_AT_TIME.*expired" -- \
  "$eml" evidence verify "$doc" --platform nitro --root "$root" --at "$today"
expect 1 "PASS +SIGNATURE" -- \
  "$eml" evidence verify "$doc" --platform nitro --root "$root" --at "$today"
# Rejected by maximum age, with now given and with the system clock.
expect 1 "FAIL +MAX_AGE" -- \
  "$eml" evidence verify "$doc" --platform nitro --root "$root" --max-age 300 --now "$today"
expect 1 "FAIL +MAX_AGE" -- "$eml" evidence verify "$doc" --platform nitro --root "$root" --max-age 300
expect 0 "PASS +MAX_AGE" -- \
  "$eml" evidence verify "$doc" --platform nitro --root "$root" --max-age 300 --now 1725719900
# Another root: not pinned, so the chain is not even tried.
expect 1 "FAIL +ROOT_PINNED" -- \
  "$eml" evidence verify "$doc" --platform nitro --root "$doc"
# A candidate list: the second root matches.
cp "$root" "$work/aws.der"
head -c 100 "$root" > "$work/not-a-root.der"
expect 0 "root +#1 .*aws\.der" -- \
  "$eml" evidence verify "$doc" --platform nitro --root "$work/not-a-root.der" --root "$work/aws.der"
# A damaged document is rejected by a check, not by a crash.
cp "$doc" "$work/bad.cbor"
printf '\x00' | dd of="$work/bad.cbor" bs=1 seek=100 conv=notrunc status=none
expect 1 "NOT VERIFIED" -- "$eml" evidence verify "$work/bad.cbor" --platform nitro --root "$root"

# Usage and I/O errors exit 2; platforms not implemented yet exit 1.
expect 2 "NOT_FOUND" -- "$eml" evidence verify "$work/missing.cbor" --platform nitro --root "$root"
expect 2 "NOT_FOUND" -- "$eml" evidence verify "$doc" --platform nitro --root "$work/missing.der"
expect 2 "root" -- "$eml" evidence verify "$doc" --platform nitro
expect 2 "platform" -- "$eml" evidence verify "$doc" --platform sgx --root "$root"
expect 2 "format" -- "$eml" evidence verify "$doc" --platform nitro --root "$root" --format xml
expect 2 "at" -- "$eml" evidence verify "$doc" --platform nitro --root "$root" --at -5
expect 1 "UNSUPPORTED.*tdx" -- "$eml" evidence verify "$doc" --platform tdx --root "$root"

# JSON parses and carries the document and every check.
json="$("$eml" evidence verify "$doc" --platform nitro --root "$root" --format json)" \
  || fail "json verify exited $?"
got="$(/usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
want = json.load(open(sys.argv[1]))[0]
assert d["verified"] is True and d["platform"] == "nitro", d
assert d["module_id"] == want["module_id"] and d["timestamp_ms"] == want["timestamp_ms"]
assert d["pcrs"] == want["pcrs"], "pcrs differ from index.json"
assert d["nonce"] == want["nonce"]["hex"] and d["user_data"] == want["user_data"]["hex"]
assert d["matched_root"]["index"] == 0
ids = [c["id"] for c in d["checks"]]
assert ids == ["COSE_DECODE", "PAYLOAD_FIELDS", "ROOT_PINNED", "SIGNATURE", "CHAIN_VALID_AT_TIME",
               "CABUNDLE_ORDER", "NOT_DEBUG_MODE"], ids
assert all(c["passed"] and c["code"] == "OK" for c in d["checks"])
print("ok")
' "$shared/vectors/nitro/index.json" <<<"$json" 2>&1)"
[[ "$got" == "ok" ]] || fail "json content: $got"
json="$("$eml" evidence verify "$doc" --platform nitro --root "$root" --format json --at "$today")"
[[ $? == 1 ]] || fail "json verify at today should exit 1"
got="$(/usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
c = {c["id"]: c for c in d["checks"]}
assert d["verified"] is False
assert c["CHAIN_VALID_AT_TIME"]["code"] == "VERIFICATION_FAILED"
assert d["chain_time"] == int(sys.argv[1])
print("ok")
' "$today" <<<"$json" 2>&1)"
[[ "$got" == "ok" ]] || fail "json at today: $got"

finish evidence_cli_test
