#!/usr/bin/env bash
# The main demo: one command on a fresh machine. Installs dependencies,
# builds, then runs the attested gateway on loopback:
#   eml-kms     (development key service on the AWS KMS wire protocol)
#   eml model package (the owner encrypts and signs the model once)
#   eml-host    (blind relay + KMS and storage proxies, recording every byte)
#   eml-enclave (dev evidence; gets the data key from eml-kms only by
#                attesting, decrypts the package in memory)
#   eml infer   (verifies the enclave against a signed policy, then sends texts)
# and shows the receipts verifying offline, a tampered receipt failing, a
# policy with a wrong PCR0 refusing to send anything, and the host's
# recordings holding no text, no data key and no weights. Artefacts: demo-out/.
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
mkdir -p "$out/owner"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
# wait_for FILE: until FILE exists; fails at once if the last started process exited.
wait_for() {
  for _ in $(seq 1 1200); do
    [ -s "$1" ] && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "a process exited before writing $1:" >&2; cat "$out"/*.log >&2; exit 1; }
    sleep 0.1
  done
  echo "timed out waiting for $1" >&2; exit 1
}
step() { echo; echo "== $*"; }

port_free() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Two identities at the key service: the model owner (creates keys, wraps
# data keys) and the parent instance's role, whose credentials eml-host
# hands to the enclave. The role may Decrypt only with attestation.
owner_env=(AWS_ACCESS_KEY_ID=AKIDEMLOWNER AWS_SECRET_ACCESS_KEY=demo-owner-secret-not-for-production)
cat > "$out/kms-credentials.json" <<'JSON'
[{"AccessKeyId": "AKIDEMLOWNER", "SecretAccessKey": "demo-owner-secret-not-for-production",
  "Arn": "arn:aws:iam::111122223333:user/model-owner"},
 {"AccessKeyId": "AKIDEMLROLE", "SecretAccessKey": "demo-role-secret-not-for-production",
  "Arn": "arn:aws:iam::111122223333:role/eml-parent-instance"}]
JSON
printf 'AWS_ACCESS_KEY_ID=AKIDEMLROLE\nAWS_SECRET_ACCESS_KEY=demo-role-secret-not-for-production\n' \
  > "$out/host-credentials"
chmod 600 "$out/kms-credentials.json" "$out/host-credentials"

step "the model owner: an owner key, the development CA the enclave will attest with"
$eml policy keygen --out-dir "$out/owner"
$eml evidence dev-root --state-dir "$out/state"

step "start eml-kms (development key service on the AWS KMS wire protocol, SigV4, key policies)"
$bin/kms_server/eml-kms --listen 127.0.0.1:0 --state-dir "$out/kms" \
  --credentials "$out/kms-credentials.json" --attestation-root "$out/state/dev-root.der" \
  --single-use-attestation --ready-file "$out/kms.json" 2> "$out/kms.log" &
pids+=($!)
wait_for "$out/kms.json"
kms_url="http://127.0.0.1:$(json_field "$out/kms.json" port)"
echo "eml-kms on $kms_url"

step "a KMS key whose policy releases data keys only to an enclave with this PCR0"
$bin/enclave/eml-enclave --print-measurements --state-dir "$out/state" --synthetic-preset tiny \
  --tokenizer-dir "$shared/models/all-MiniLM-L6-v2" > "$out/image-measurements.json"
pcr0=$(json_field "$out/image-measurements.json" pcr0)
cat > "$out/key-policy.json" <<JSON
{"Version": "2012-10-17", "Statement": [
  {"Sid": "owner", "Effect": "Allow",
   "Principal": {"AWS": "arn:aws:iam::111122223333:user/model-owner"},
   "Action": ["kms:GenerateDataKey", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy"],
   "Resource": "*"},
  {"Sid": "enclave", "Effect": "Allow",
   "Principal": {"AWS": "arn:aws:iam::111122223333:role/eml-parent-instance"},
   "Action": "kms:Decrypt", "Resource": "*",
   "Condition": {"StringEquals": {"kms:RecipientAttestation:ImageSha384": "$pcr0"}}}]}
JSON
key_id=$(env "${owner_env[@]}" $eml kms create-key --endpoint "$kms_url" --policy "$out/key-policy.json" \
  --description "demo model key" | python3 -c 'import json,sys; print(json.load(sys.stdin)["KeyId"])')
echo "key $key_id: kms:Decrypt needs ImageSha384 = PCR0 = ${pcr0:0:16}..."

step "the model owner encrypts and signs the model once (eml model package)"
if [ -n "${EML_MODEL_DIR:-}" ]; then
  model_dir="$EML_MODEL_DIR"
else
  model_dir="$out/model"
  $eml model synth --preset minilm-l6 --tokenizer-dir "$shared/models/all-MiniLM-L6-v2" --out "$model_dir"
fi
mkdir -p "$out/packages"
env "${owner_env[@]}" $eml model package --model-dir "$model_dir" --model-id minilm-demo --version 1 \
  --owner-key "$out/owner/owner.key" --kms-endpoint "$kms_url" --kms-key-id "$key_id" \
  --out "$out/packages/minilm-demo-v1"
ls -l "$out/packages/minilm-demo-v1" "$out/packages/minilm-demo-v1/files"

step "start eml-host: blind relay, KMS proxy, storage proxy (recording every byte in $out/recording)"
mkdir -p "$out/recording"
enclave_port=$(port_free)
$bin/host/eml-host --listen 127.0.0.1:0 --enclave "127.0.0.1:$enclave_port" --admin 127.0.0.1:0 \
  --kms-proxy 127.0.0.1:0 --kms-upstream "$kms_url" \
  --storage-proxy 127.0.0.1:0 --storage-dir "$out/packages" \
  --credentials-file "$out/host-credentials" \
  --record "$out/recording" --ready-file "$out/host.json" 2> "$out/host.log" &
pids+=($!)
wait_for "$out/host.json"
relay="127.0.0.1:$(json_field "$out/host.json" listen)"
admin="127.0.0.1:$(json_field "$out/host.json" admin)"
kms_proxy="127.0.0.1:$(json_field "$out/host.json" kms_proxy)"
storage_proxy="127.0.0.1:$(json_field "$out/host.json" storage_proxy)"
echo "relay on $relay, KMS proxy $kms_proxy, storage proxy $storage_proxy, metrics http://$admin/metrics"

step "start eml-enclave from the package: evidence -> key release -> decrypt in memory -> serve"
package_args=(--package storage:minilm-demo-v1 --storage-proxy "$storage_proxy"
              --owner-pubkey "@$out/owner/owner.pub" --kms-proxy "$kms_proxy")
$bin/enclave/eml-enclave --listen "127.0.0.1:$enclave_port" --state-dir "$out/state" \
  "${package_args[@]}" --report-startup --ready-file "$out/enclave.json" 2> "$out/enclave.log" &
pids+=($!)
wait_for "$out/enclave.json"
cat "$out/enclave.log"

step "the policy owner signs a policy: dev root, the enclave's PCR0..2, the packaged model"
$bin/enclave/eml-enclave --print-measurements --state-dir "$out/state" "${package_args[@]}" \
  > "$out/measurements.json"
cat "$out/measurements.json"
model="$(json_field "$out/enclave.json" model_id):$(json_field "$out/enclave.json" model_hash)"
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

step "the host saw only ciphertext: texts, the data key and the weights are nowhere in its recordings"
leaks=0
for t in "The weather is lovely today." "Patient 4711" "this must never leave the client"; do
  if grep -rqF "$t" "$out/recording"; then echo "LEAK: '$t'"; leaks=1; fi
done
[ "$leaks" = 0 ] || exit 1
# The data key, recomputed independently from the key service's state (a
# white-box view no host has): the wrapped key in the manifest is an
# eml-kms CiphertextBlob (docs/kms.md), opened here with Python.
python3 tests/e2e/blindness_check.py --kms-state "$out/kms" \
  --manifest "$out/packages/minilm-demo-v1/manifest.cose" --model-id minilm-demo --version 1 \
  --weights "$model_dir/model.safetensors" --recordings "$out/recording"
python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())' \
  "http://$admin/metrics" | grep -E '^eml_host_(connections_total|bytes_total)' || true

step "done: artefacts in $out/ (receipt-N.cbor, receipt-N.pubkey.hex, evidence.cbor, policy.cose)"
