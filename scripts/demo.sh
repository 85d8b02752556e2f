#!/usr/bin/env bash
# The main demo: one command on a fresh machine. Installs dependencies,
# builds, then runs the attested gateway on loopback:
#   eml-enclave (dev evidence, synthetic MiniLM-L6 or $EML_MODEL_DIR)
#   eml-host    (blind relay, recording every byte it relays)
#   eml infer   (verifies the enclave against a signed policy, then sends texts)
# and shows the receipts verifying offline, a tampered receipt failing, and a
# policy with a wrong PCR0 refusing to send anything. Artefacts: demo-out/.
# Exits non-zero if any of that does not happen (ctest demo_test runs it
# with EML_DEMO_SKIP_BUILD=1, EML_BUILD_DIR and EML_DEMO_OUT set).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${EML_DEMO_SKIP_BUILD:-0}" != 1 ]; then
  bash scripts/install_deps.sh
  bash scripts/build.sh
fi

bin="${EML_BUILD_DIR:-build}/src"
eml=$bin/cli/eml
shared="${EML_SHARED_DIR:-../shared}"
out="${EML_DEMO_OUT:-demo-out}"
rm -rf "$out"
mkdir -p "$out/state" "$out/owner" "$out/relay-recording"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
wait_for() { for _ in $(seq 1 600); do [ -s "$1" ] && return 0; sleep 0.1; done; echo "timed out waiting for $1" >&2; exit 1; }
step() { echo; echo "== $*"; }

model_args=(--tokenizer-dir "$shared/models/all-MiniLM-L6-v2")
[ -n "${EML_MODEL_DIR:-}" ] && model_args=(--model-dir "$EML_MODEL_DIR")

step "start eml-enclave (development evidence: Nitro format, local dev CA in $out/state)"
$bin/enclave/eml-enclave --listen 127.0.0.1:0 --state-dir "$out/state" "${model_args[@]}" \
  --ready-file "$out/enclave.json" 2> "$out/enclave.log" &
pids+=($!)
wait_for "$out/enclave.json"
enclave_port=$(json_field "$out/enclave.json" port)
cat "$out/enclave.log"

step "start eml-host (blind relay; records every relayed byte in $out/relay-recording)"
$bin/host/eml-host --listen 127.0.0.1:0 --enclave "127.0.0.1:$enclave_port" --admin 127.0.0.1:0 \
  --record "$out/relay-recording" --ready-file "$out/host.json" 2> "$out/host.log" &
pids+=($!)
wait_for "$out/host.json"
relay="127.0.0.1:$(json_field "$out/host.json" listen)"
admin="127.0.0.1:$(json_field "$out/host.json" admin)"
echo "relay on $relay, metrics on http://$admin/metrics"

step "the policy owner signs a policy: dev root, the enclave's PCR0..2, the model"
$bin/enclave/eml-enclave --print-measurements --state-dir "$out/state" "${model_args[@]}" \
  > "$out/measurements.json"
cat "$out/measurements.json"
model="$(json_field "$out/enclave.json" model_id):$(json_field "$out/enclave.json" model_hash)"
$eml policy keygen --out-dir "$out/owner"
$eml policy init --out "$out/policy.json" --dev-root "nitro:$out/state/dev-root.der" \
  --measurements "$out/measurements.json" --model "$model" --allow-evaluation --valid-days 1
$eml policy sign --in "$out/policy.json" --key "$out/owner/owner.key" --out "$out/policy.cose"

step "eml infer through the relay: attest, verify, then send (one receipt per text)"
$eml infer --endpoint "$relay" --policy "$out/policy.cose" --owner-pubkey "@$out/owner/owner.pub" \
  --bundle-dir "$out" \
  --text "The weather is lovely today." \
  --text "It's so sunny outside!" \
  --text "Patient 4711: the biopsy was benign."

step "verify the saved receipts offline: the key comes from the evidence, which is appraised"
echo "(evidence chain at its own time, policy tuple, doc hash, PCRs; receipt signature and claims)"
for r in "$out"/receipt-*.cbor; do
  printf '%s: ' "$r"
  $eml verify "$r" --evidence "$out/evidence.cbor" --policy "$out/policy.cose" \
    --owner-pubkey "@$out/owner/owner.pub" | tail -1
done
echo "(the same with the bare key file: $eml verify RECEIPT --public-key \$(cat receipt-N.pubkey.hex) --allow-evaluation)"
$eml verify "$out/receipt-1.cbor" --public-key "$(cat "$out/receipt-1.pubkey.hex")" --allow-evaluation | tail -1

step "a tampered receipt fails (one byte of the payload changed)"
python3 - "$out/receipt-1.cbor" "$out/receipt-tampered.cbor" <<'PY'
import sys
data = bytearray(open(sys.argv[1], 'rb').read())
data[40] ^= 0x01
open(sys.argv[2], 'wb').write(data)
PY
if $eml verify "$out/receipt-tampered.cbor" --evidence "$out/evidence.cbor" --policy "$out/policy.cose" \
     --owner-pubkey "@$out/owner/owner.pub" | tail -1; then
  echo "UNEXPECTED: the tampered receipt verified" >&2; exit 1
fi

step "a policy with a wrong PCR0 refuses to send anything"
python3 - "$out/measurements.json" "$out/measurements-wrong.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["pcr0"] = ("0" if m["pcr0"][0] != "0" else "1") + m["pcr0"][1:]
json.dump(m, open(sys.argv[2], "w"))
PY
$eml policy init --out "$out/policy-wrong.json" --dev-root "nitro:$out/state/dev-root.der" \
  --measurements "$out/measurements-wrong.json" --model "$model" --allow-evaluation --valid-days 1
$eml policy sign --in "$out/policy-wrong.json" --key "$out/owner/owner.key" --out "$out/policy-wrong.cose"
echo "(and the saved receipt no longer verifies offline against that policy:)"
if $eml verify "$out/receipt-1.cbor" --evidence "$out/evidence.cbor" --policy "$out/policy-wrong.cose" \
     --owner-pubkey "@$out/owner/owner.pub" | tail -1; then
  echo "UNEXPECTED: a receipt verified against a policy that refuses its enclave" >&2; exit 1
fi
if $eml infer --endpoint "$relay" --policy "$out/policy-wrong.cose" --owner-pubkey "@$out/owner/owner.pub" \
     --text "this must never leave the client"; then
  echo "UNEXPECTED: the client talked to an enclave its policy does not allow" >&2; exit 1
fi

step "the host saw only ciphertext: searching its recording for the texts"
leaks=0
for t in "The weather is lovely today." "Patient 4711" "this must never leave the client"; do
  if grep -rqF "$t" "$out/relay-recording"; then echo "LEAK: '$t'"; leaks=1; fi
done
[ "$leaks" = 0 ] || exit 1
echo "no plaintext in $(du -sh "$out/relay-recording" | cut -f1) of relayed bytes"
python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())' \
  "http://$admin/metrics" | grep -E '^eml_host_(connections_total|bytes_total)' || true

step "done: artefacts in $out/ (receipt-N.cbor, receipt-N.pubkey.hex, evidence.cbor, policy.cose)"
