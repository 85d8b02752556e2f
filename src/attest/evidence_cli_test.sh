#!/usr/bin/env bash
# End-to-end checks of `eml evidence verify` on the real TDX quote and SEV-SNP
# reports (../shared/vectors/tdx, sev-snp) and the real AWS Nitro document in
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

# Usage and I/O errors exit 2.
expect 2 "NOT_FOUND" -- "$eml" evidence verify "$work/missing.cbor" --platform nitro --root "$root"
expect 2 "NOT_FOUND" -- "$eml" evidence verify "$doc" --platform nitro --root "$work/missing.der"
expect 2 "root" -- "$eml" evidence verify "$doc" --platform nitro
expect 2 "platform" -- "$eml" evidence verify "$doc" --platform sgx --root "$root"
expect 2 "format" -- "$eml" evidence verify "$doc" --platform nitro --root "$root" --format xml
expect 2 "at" -- "$eml" evidence verify "$doc" --platform nitro --root "$root" --at -5

# Intel TDX: the real quote with its collateral. Inside the collateral's
# window (2025-07-01) it verifies UpToDate; today the CRLs and TCB info have
# expired. Expected values come from index.json (decoded independently).
tdx="$shared/vectors/tdx"
quote="$tdx/dcap-qvl_tdx_quote_v4.dat"
tdx_args=(--platform tdx --root "$tdx/intel_sgx_root_ca.der"
          --collateral "$tdx/dcap-qvl_tdx_quote_v4.collateral.json")
expect 0 "tcb_status +UpToDate" -- "$eml" evidence verify "$quote" "${tdx_args[@]}" --at 1751328000
expect 1 "FAIL +TDX_PCK_REVOCATION .*expired" -- \
  "$eml" evidence verify "$quote" "${tdx_args[@]}" --at "$today"
expect 1 "FAIL +TDX_PCK_ROOT_PINNED" -- "$eml" evidence verify "$quote" --platform tdx \
  --root "$root" --collateral "$tdx/dcap-qvl_tdx_quote_v4.collateral.json" --at 1751328000
cp "$quote" "$work/bad.dat"
printf '\x01' | dd of="$work/bad.dat" bs=1 seek=300 conv=notrunc status=none
expect 1 "FAIL +TDX_QUOTE_SIGNATURE" -- "$eml" evidence verify "$work/bad.dat" "${tdx_args[@]}" --at 1751328000
expect 2 "collateral" -- "$eml" evidence verify "$quote" --platform tdx --root "$tdx/intel_sgx_root_ca.der"
json="$("$eml" evidence verify "$quote" "${tdx_args[@]}" --at 1751328000 --format json)" \
  || fail "tdx json verify exited $?"
got="$(/usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
want = json.load(open(sys.argv[1]))[0]["body"]
m = d["measurements"]
assert d["verified"] is True and d["platform"] == "tdx", d
for k, w in (("mrtd", "mr_td"), ("rtmr0", "rtmr0"), ("rtmr1", "rtmr1"), ("rtmr2", "rtmr2"), ("rtmr3", "rtmr3")):
    assert m[k] == want[w], k
assert m["tcb_status"] == "UpToDate"
print("ok")
' "$tdx/index.json" <<<"$json" 2>&1)"
[[ "$got" == "ok" ]] || fail "tdx json content: $got"

# AMD SEV-SNP: every real report with its leaf (VCEK or VLEK) and its
# ASK/ARK chain file; the pinned root is the ARK (the chain file's second
# certificate). Times lie inside each leaf's validity (index.json).
snp="$shared/vectors/sev-snp"
while read -r name chain at debug; do
  awk '/-----BEGIN/{n++} n==2' "$snp/certs/$chain" > "$work/ark.pem"
  leaf="$(ls "$snp/reports/$name"/v?ek.der)"
  args=(--platform snp --root "$work/ark.pem" --collateral "$leaf" --collateral "$snp/certs/$chain"
        --at "$at")
  if [[ "$debug" == debug ]]; then
    # Its guest policy allows debugging: refused unless asked for.
    expect 1 "FAIL +SNP_POLICY .*debug" -- "$eml" evidence verify "$snp/reports/$name/report.bin" "${args[@]}"
    args+=(--allow-debug)
  fi
  expect 0 "result +VERIFIED" -- "$eml" evidence verify "$snp/reports/$name/report.bin" "${args[@]}"
  cp "$snp/reports/$name/report.bin" "$work/bad.bin"
  printf '\x01' | dd of="$work/bad.bin" bs=1 seek=144 conv=notrunc status=none  # in MEASUREMENT
  expect 1 "FAIL +SNP_SIGNATURE" -- "$eml" evidence verify "$work/bad.bin" "${args[@]}"
  json="$("$eml" evidence verify "$snp/reports/$name/report.bin" "${args[@]}" --format json)" \
    || fail "snp json verify $name exited $?"
  got="$(/usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
want = [e for e in json.load(open(sys.argv[1])) if e["report"] == sys.argv[2]][0]["decoded"]
assert d["verified"] is True and d["platform"] == "snp", d
assert d["measurements"]["measurement"] == want["measurement"], "measurement"
print("ok")
' "$snp/index.json" "reports/$name/report.bin" <<<"$json" 2>&1)"
  [[ "$got" == "ok" ]] || fail "snp json content $name: $got"
done <<'EOF_REPORTS'
milan-v2-go-sev-guest milan/ask_ark_milan_vcek.pem 1700000000 debug
milan-v3-vlek-trustee milan/ask_ark_milan_vlek.pem 1748736000 no
genoa-v5-oak genoa/ask_ark_genoa_vcek.pem 1780000000 no
turin-v5-oak turin/ask_ark_turin_vcek.pem 1780000000 no
EOF_REPORTS
expect 2 "collateral" -- "$eml" evidence verify "$snp/reports/genoa-v5-oak/report.bin" \
  --platform snp --root "$root"

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
