#!/usr/bin/env bash
# The TDX and SEV-SNP deployments as a user drives them, on simulated
# machines: `eml-enclave --tee tdx|snp --tsm-simulator DIR` (configfs-tsm
# over a simulated TDX module / SEV-SNP firmware with synthetic keys),
# `eml policy init --measurements tdx:FILE` with the synthetic root,
# `eml infer` (the client verifies the TEE envelope) and `eml verify` of the
# saved bundle. Also: a policy with another MRTD / MEASUREMENT sends nothing,
# a TDX client without collateral refuses, a tampered receipt fails.
# Usage: tee_sim_cli_test.sh BUILD_DIR [SHARED_DIR]
set -uo pipefail
build="$1"
shared="${2:-../shared}"
source "$(dirname "$0")/../cli_lib.sh"
src="$(cd "$(dirname "$0")/../.." && pwd)"
eml="$build/src/cli/eml"
enclave="$build/src/enclave/eml-enclave"
testdata="$src/src/attest/testdata"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"' EXIT

wait_for() {
  for _ in $(seq 1 600); do
    [ -s "$1" ] && return 0
    sleep 0.1
  done
  return 1
}
json_get() { python3 -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2:]: v=v[k]
print(v if isinstance(v, str) else json.dumps(v))' "$@"; }

mkdir -p "$work/owner"
"$eml" policy keygen --out-dir "$work/owner" >/dev/null || fail "policy keygen"

run_platform() {
  local tee="$1" sim="$2" root="$3" first="$4"
  shift 4
  local collateral=("$@")
  local dir="$work/$tee"
  mkdir -p "$dir"
  local common=(--tee "$tee" --tsm-simulator "$sim" --state-dir "$dir/state" --synthetic-preset tiny
                --tokenizer-dir "$shared/models/all-MiniLM-L6-v2")

  # What the simulated machine will report, under the policy's names.
  "$enclave" "${common[@]}" --print-measurements > "$dir/print.json" 2>"$dir/print.log" ||
    { fail "$tee: --print-measurements: $(cat "$dir/print.log")"; return; }
  json_get "$dir/print.json" "$tee" > "$dir/measurements.json"
  python3 - "$dir/measurements.json" "$tee" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
wrong = dict(m)
first = "mrtd" if sys.argv[2] == "tdx" else "measurement"
wrong[first] = ("ff" + wrong[first][2:])
json.dump(wrong, open(sys.argv[1] + ".wrong", "w"))
PY

  "$enclave" "${common[@]}" --listen 127.0.0.1:0 --ready-file "$dir/ready.json" 2>"$dir/enclave.log" &
  pids+=($!)
  wait_for "$dir/ready.json" || { fail "$tee: enclave did not start: $(cat "$dir/enclave.log")"; return; }
  local port model_id
  port=$(json_get "$dir/ready.json" port)
  model_id=$(json_get "$dir/ready.json" model_id)
  grep -q "SIMULATED" "$dir/enclave.log" || fail "$tee: the log does not say the machine is simulated"

  for which in good wrong; do
    local file="$dir/measurements.json"
    [ "$which" = wrong ] && file="$dir/measurements.json.wrong"
    "$eml" policy init --out "$dir/policy-$which.json" --dev-root "$tee:$root" \
      --measurements "$tee:$file" --model "$model_id" --allow-evaluation >/dev/null ||
      fail "$tee: policy init ($which)"
    "$eml" policy sign --in "$dir/policy-$which.json" --key "$work/owner/owner.key" \
      --out "$dir/policy-$which.cose" >/dev/null || fail "$tee: policy sign ($which)"
  done

  expect 0 "attested: TRUSTED  platform=$tee.*$first=.*receipt: VERIFIED" -- \
    "$eml" infer --endpoint "127.0.0.1:$port" --policy "$dir/policy-good.cose" \
    --owner-pubkey "@$work/owner/owner.pub" --text "hello from a $tee enclave" \
    --bundle-dir "$dir/bundle" "${collateral[@]}"
  expect 1 "REFUSED.*MEASUREMENTS_ALLOWED.*nothing was sent" -- \
    "$eml" infer --endpoint "127.0.0.1:$port" --policy "$dir/policy-wrong.cose" \
    --owner-pubkey "@$work/owner/owner.pub" --text "must not be sent" "${collateral[@]}"

  # The offline bundle: receipt + evidence, appraised against the policy.
  local receipt
  receipt=$(ls "$dir/bundle"/receipt-1.cbor 2>/dev/null)
  [ -n "$receipt" ] || { fail "$tee: no receipt in the bundle"; return; }
  expect 0 "VERIFIED" -- "$eml" verify "$receipt" --evidence "$dir/bundle/evidence.cbor" \
    --policy "$dir/policy-good.cose" --owner-pubkey "@$work/owner/owner.pub" "${collateral[@]}"
  expect 1 "MEASUREMENTS_ALLOWED" -- "$eml" verify "$receipt" --evidence "$dir/bundle/evidence.cbor" \
    --policy "$dir/policy-wrong.cose" --owner-pubkey "@$work/owner/owner.pub" "${collateral[@]}"
  # The evidence alone, as an auditor checks it: every check, then TEE_REPORT_DATA.
  local evidence_collateral=()
  [ "$tee" = tdx ] && evidence_collateral=(--collateral "$testdata/tdx_sim/collateral.json")
  expect 0 "PASS TEE_ENVELOPE .*PASS TEE_REPORT_DATA " -- "$eml" evidence verify \
    "$dir/bundle/evidence.cbor" --platform "$tee" --root "$root" "${evidence_collateral[@]}"
  # An envelope whose nonce was changed: the quote/report still verifies, the binding does not.
  python3 - "$dir/bundle/evidence.cbor" "$dir/rebound.cbor" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.find(b"enonce") + len(b"enonce") + 2  # the text key, then the bstr header (0x58 0x20)
b[i] ^= 1
open(sys.argv[2], "wb").write(b)
PY
  expect 1 "TEE_REPORT_DATA +VERIFICATION_FAILED" -- "$eml" evidence verify "$dir/rebound.cbor" \
    --platform "$tee" --root "$root" "${evidence_collateral[@]}"
  python3 - "$receipt" "$dir/tampered.cbor" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 1
open(sys.argv[2], "wb").write(b)
PY
  expect 1 "NOT VERIFIED|not verified" -- "$eml" verify "$dir/tampered.cbor" \
    --evidence "$dir/bundle/evidence.cbor" --policy "$dir/policy-good.cose" \
    --owner-pubkey "@$work/owner/owner.pub" "${collateral[@]}"
}

run_platform tdx "$testdata/tdx_sim" "$testdata/tdx_sim/root.der" mrtd \
  --tdx-collateral "$testdata/tdx_sim/collateral.json"
run_platform snp "$testdata/snp/milan" "$testdata/snp/milan/ark.der" measurement

# TDX without collateral: refused before anything is sent.
if [ -s "$work/tdx/ready.json" ]; then
  expect 1 "needs Intel collateral.*nothing was sent" -- \
    "$eml" infer --endpoint "127.0.0.1:$(json_get "$work/tdx/ready.json" port)" \
    --policy "$work/tdx/policy-good.cose" --owner-pubkey "@$work/owner/owner.pub" --text "x"
fi

finish tee_sim_cli_test
