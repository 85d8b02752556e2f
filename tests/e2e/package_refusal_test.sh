#!/usr/bin/env bash
# eml-enclave --package refuses to start, with a clear message and a
# non-zero exit, when key release or the package is wrong (issue 5 tests):
#   - the KMS key policy pins another PCR0      -> AccessDeniedException
#   - a chunk of the weights changed on the host -> chunk authentication
#   - the host serves another model's file       -> chunk authentication
#   - the manifest is signed by another owner    -> manifest signature
#   - the manifest is truncated                  -> manifest refused
# and starts when nothing is wrong (the control). A tiny synthetic model keeps
# each start short. Usage: package_refusal_test.sh BUILD_DIR SHARED_DIR
set -uo pipefail
build="$1"
shared="${EML_SHARED_DIR:-$2}"
source "$(dirname "$0")/../cli_lib.sh"
bin="$build/src"
eml="$bin/cli/eml"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
wait_for() { for _ in $(seq 1 600); do [[ -s "$1" ]] && return 0; sleep 0.1; done; fail "timeout on $1"; return 1; }

owner_env=(AWS_ACCESS_KEY_ID=AKIDOWNER AWS_SECRET_ACCESS_KEY=owner-secret)
cat > "$work/kms-credentials.json" <<'JSON'
[{"AccessKeyId": "AKIDOWNER", "SecretAccessKey": "owner-secret",
  "Arn": "arn:aws:iam::111122223333:user/owner"},
 {"AccessKeyId": "AKIDROLE", "SecretAccessKey": "role-secret",
  "Arn": "arn:aws:iam::111122223333:role/parent"}]
JSON
printf 'AWS_ACCESS_KEY_ID=AKIDROLE\nAWS_SECRET_ACCESS_KEY=role-secret\n' > "$work/host-credentials"
chmod 600 "$work/kms-credentials.json" "$work/host-credentials"

mkdir -p "$work/owner" "$work/other-owner"
"$eml" policy keygen --out-dir "$work/owner" > /dev/null
"$eml" policy keygen --out-dir "$work/other-owner" > /dev/null
"$eml" evidence dev-root --state-dir "$work/state" > /dev/null
"$bin/kms_server/eml-kms" --listen 127.0.0.1:0 --state-dir "$work/kms" \
  --credentials "$work/kms-credentials.json" --attestation-root "$work/state/dev-root.der" \
  --ready-file "$work/kms.json" 2> "$work/kms.log" &
pids+=($!)
wait_for "$work/kms.json" || finish package_refusal_test
kms_url="http://127.0.0.1:$(json_field "$work/kms.json" port)"

pcr0=$("$bin/enclave/eml-enclave" --print-measurements --state-dir "$work/state" \
       --synthetic-preset tiny --tokenizer-dir "$shared/models/all-MiniLM-L6-v2" 2>/dev/null |
       python3 -c 'import json,sys; print(json.load(sys.stdin)["pcr0"])')
# key_for PCR0HEX: a key whose Decrypt needs ImageSha384 = PCR0HEX.
key_for() {
  cat > "$work/policy-$1.json" <<JSON
{"Version": "2012-10-17", "Statement": [
  {"Sid": "owner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/owner"},
   "Action": ["kms:GenerateDataKey", "kms:DescribeKey"], "Resource": "*"},
  {"Sid": "enclave", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/parent"},
   "Action": "kms:Decrypt", "Resource": "*",
   "Condition": {"StringEquals": {"kms:RecipientAttestation:ImageSha384": "$1"}}}]}
JSON
  env "${owner_env[@]}" "$eml" kms create-key --endpoint "$kms_url" --policy "$work/policy-$1.json" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["KeyId"])'
}
good_key=$(key_for "$pcr0")
wrong_pcr0="$( [[ ${pcr0:0:1} == 0 ]] && echo 1 || echo 0 )${pcr0:1}"
wrong_key=$(key_for "$wrong_pcr0")

"$eml" model synth --preset tiny --tokenizer-dir "$shared/models/all-MiniLM-L6-v2" \
  --out "$work/model" > /dev/null
mkdir -p "$work/packages"
# package NAME KEY OWNER_DIR VERSION
package() {
  env "${owner_env[@]}" "$eml" model package --model-dir "$work/model" --model-id tiny \
    --version "$4" --owner-key "$work/$3/owner.key" --kms-endpoint "$kms_url" \
    --kms-key-id "$2" --chunk-size 4096 --out "$work/packages/$1" > /dev/null ||
    fail "packaging $1"
}
package good "$good_key" owner 1
package wrong-pcr0 "$wrong_key" owner 1
package other-owner "$good_key" other-owner 1
package version2 "$good_key" owner 2

"$bin/host/eml-host" --listen 127.0.0.1:0 --enclave 127.0.0.1:9 --admin 127.0.0.1:0 \
  --kms-proxy 127.0.0.1:0 --kms-upstream "$kms_url" \
  --storage-proxy 127.0.0.1:0 --storage-dir "$work/packages" \
  --credentials-file "$work/host-credentials" --ready-file "$work/host.json" 2> "$work/host.log" &
pids+=($!)
wait_for "$work/host.json" || finish package_refusal_test
kms_proxy="127.0.0.1:$(json_field "$work/host.json" kms_proxy)"
storage_proxy="127.0.0.1:$(json_field "$work/host.json" storage_proxy)"

# start_enclave PACKAGE: runs eml-enclave until it is serving (then stops it,
# exit 0) or exits by itself (its exit status). Output: its log.
start_enclave() {
  rm -f "$work/enclave.json"
  "$bin/enclave/eml-enclave" --listen 127.0.0.1:0 --state-dir "$work/state" "${tee_args[@]}" \
    --package "storage:$1" --storage-proxy "$storage_proxy" \
    --owner-pubkey "@$work/owner/owner.pub" --kms-proxy "$kms_proxy" \
    --ready-file "$work/enclave.json" 2> "$work/enclave.log" &
  local pid=$!
  for _ in $(seq 1 600); do
    if [[ -s "$work/enclave.json" ]]; then
      kill "$pid"; wait "$pid"; cat "$work/enclave.log"; return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  wait "$pid"; local rc=$?
  cat "$work/enclave.log"
  return $rc
}

tee_args=()
# The control: everything right, the enclave serves the packaged model.
expect 0 "model tiny v1" -- start_enclave good
# A (simulated) TDX enclave: KMS Recipient takes Nitro documents only.
tee_args=(--tee tdx --tsm-simulator "$(dirname "$0")/../../src/attest/testdata/tdx_sim")
expect 1 "key release: KMS RecipientAttestation takes Nitro attestation documents only" -- \
  start_enclave good
tee_args=()
# Key policy pinning another PCR0: KMS denies, the enclave refuses to start.
expect 1 "key release: AccessDeniedException" -- start_enclave wrong-pcr0
# A manifest signed by someone else than --owner-pubkey.
expect 1 "package manifest: .*(signature|VERIFICATION_FAILED)" -- start_enclave other-owner
# A byte of the weights changed on the host.
cp -r "$work/packages/good" "$work/packages/tampered"
printf '\x01' | dd of="$work/packages/tampered/files/1.enc" bs=1 seek=5000 conv=notrunc status=none
expect 1 "VERIFICATION_FAILED: package: .*chunk" -- start_enclave tampered
# The host serves another model's file under the same name (version 2).
cp -r "$work/packages/good" "$work/packages/swapped"
cp "$work/packages/version2/files/1.enc" "$work/packages/swapped/files/1.enc"
expect 1 "VERIFICATION_FAILED: package: .*chunk" -- start_enclave swapped
# Two chunks of the weights in the wrong order.
cp -r "$work/packages/good" "$work/packages/reordered"
python3 - "$work/packages/reordered/files/1.enc" <<'PY'
import sys
p = sys.argv[1]
d = bytearray(open(p, "rb").read())
n = 4096 + 16  # one sealed chunk
d[0:n], d[n:2 * n] = d[n:2 * n], d[0:n]
open(p, "wb").write(d)
PY
expect 1 "VERIFICATION_FAILED: package: .*chunk" -- start_enclave reordered
# The weights file cut short by one chunk.
cp -r "$work/packages/good" "$work/packages/truncated"
size=$(stat -c %s "$work/packages/truncated/files/1.enc")
truncate -s $((size - 4096 - 16)) "$work/packages/truncated/files/1.enc"
expect 1 "package: " -- start_enclave truncated
# A truncated manifest.
cp -r "$work/packages/good" "$work/packages/bad-manifest"
truncate -s 100 "$work/packages/bad-manifest/manifest.cose"
expect 1 "package manifest: " -- start_enclave bad-manifest
# No key material or weights in any error message.
if grep -qi "material\|plaintext=" "$work/enclave.log"; then fail "suspicious log: $(cat "$work/enclave.log")"; fi

finish package_refusal_test
