#!/usr/bin/env bash
# End-to-end checks of `eml policy`: keygen -> init -> sign -> verify, the
# failure exits (1 invalid, 2 usage/I/O), and reproducible signing.
# Usage: policy_cli_test.sh PATH/TO/eml POLICY_TESTDATA_DIR SHARED_DIR
set -uo pipefail
eml="$1"
testdata="$2"
shared="${EML_SHARED_DIR:-$3}"
source "$(dirname "$0")/../../tests/cli_lib.sh"

aws_root="$shared/vectors/nitro/aws_nitro_root_ca.der"
# PCR0..2 of the real Nitro document (../shared/vectors/nitro/SOURCES.md).
cat > "$work/release.json" <<'JSON'
{"pcr0": "e72a46ca80a260fb044a125442f0c7e331813bcbaf9724d9f3857758992766f2d65710a27aa94ae3949dd54e7c9fe86a",
 "pcr1": "0343b056cd8485ca7890ddd833476d78460aed2aa161548e4e26bedf321726696257d623e8805f3f605946b3d8b0c6aa",
 "pcr2": "d5dcbdea0aa39c802f9d55ced2ea6e4d74ecec5f08fe40c508882639c9090642669106a062a3e24ee2805a3024b9b75c"}
JSON
model_hash="$(printf 'model' | sha256sum | cut -d' ' -f1)"

# keygen
mkdir "$work/keys" "$work/other"
expect 0 "owner public key: [0-9a-f]{64}" -- "$eml" policy keygen --out-dir "$work/keys"
[[ "$(stat -c %a "$work/keys/owner.key")" == 600 ]] || fail "owner.key mode is not 600"
pub="$(tr -d '\n' < "$work/keys/owner.pub")"
[[ "$pub" =~ ^[0-9a-f]{64}$ ]] || fail "owner.pub is not 64 hex digits: $pub"
expect 1 "refusing to overwrite" -- "$eml" policy keygen --out-dir "$work/keys"
expect 2 "not a directory" -- "$eml" policy keygen --out-dir "$work/missing"
"$eml" policy keygen --out-dir "$work/other" > /dev/null || fail "second keygen"

# init
json="$work/policy.json"
expect 0 "1 root\(s\), 1 measurement tuple\(s\), 1 model\(s\)" -- \
  "$eml" policy init --out "$json" --root "nitro:$aws_root" --measurements "$work/release.json" \
  --model "minilm:$model_hash" --max-age 120 --valid-days 10 --id demo --version 3
checked="$(/usr/bin/python3 - "$json" "$model_hash" <<'PY'
import json, sys, time
p = json.load(open(sys.argv[1]))
assert p["policy_id"] == "demo" and p["version"] == 3, p
assert p["max_evidence_age_s"] == 120 and p["allow_evaluation"] is False
assert abs(p["created_at"] - time.time()) < 60 and p["expires_at"] - p["created_at"] == 10 * 86400
assert p["roots"][0]["name"] == "aws_nitro_root_ca" and p["roots"][0]["evaluation"] is False
assert p["measurements"][0]["name"] == "release"
assert p["measurements"][0]["values"]["pcr0"].startswith("e72a46ca")
assert p["models"] == [{"model_id": "minilm", "model_hash": sys.argv[2]}]
print("ok")
PY
)"
[[ "$checked" == ok ]] || fail "init JSON content: $checked"
expect 1 "refusing to overwrite" -- "$eml" policy init --out "$json" --any-model
hex96() { printf "$1%.0s" {1..96}; }
echo "{\"pcr0\":\"$(hex96 0)\",\"pcr1\":\"$(hex96 1)\",\"pcr2\":\"$(hex96 2)\"}" > "$work/debug.json"
echo "{\"pcr0\":\"$(hex96 a)\",\"pcr1\":\"$(hex96 b)\"}" > "$work/two.json"
expect 1 "needs allow_evaluation" -- "$eml" policy init --out "$work/dbg.json" \
  --root "nitro:$aws_root" --measurements "$work/debug.json"
expect 0 "1 measurement tuple" -- "$eml" policy init --out "$work/dbg.json" \
  --root "nitro:$aws_root" --measurements "$work/debug.json" --allow-evaluation --any-model
expect 1 "pcr2 missing" -- "$eml" policy init --out "$work/bad.json" --measurements "$work/two.json"
expect 1 "not a known platform" -- "$eml" policy init --out "$work/bad.json" --root "sgx:$aws_root"
expect 0 "1 root" -- "$eml" policy init --out "$work/tdx.json" --root "tdx:$aws_root" --any-model
expect 2 "cannot open" -- "$eml" policy init --out "$work/bad.json" --root "nitro:$work/none.der"
expect 0 "1 root" -- "$eml" policy init --out "$work/dev.json" --dev-root "nitro:$testdata/dev_root_ca.pem" \
  --allow-evaluation --any-model

# sign: twice gives identical bytes
cose="$work/policy.cose"
expect 0 "signed policy demo version 3" -- \
  "$eml" policy sign --in "$json" --key "$work/keys/owner.key" --out "$cose"
"$eml" policy sign --in "$json" --key "$work/keys/owner.key" --out "$work/again.cose" > /dev/null
cmp -s "$cose" "$work/again.cose" || fail "signing twice gave different bytes"
chmod 644 "$work/other/owner.key"
expect 1 "chmod 600" -- "$eml" policy sign --in "$json" --key "$work/other/owner.key" --out "$work/x.cose"
chmod 600 "$work/other/owner.key"

# verify
expect 0 "policy OK: demo version 3" -- "$eml" policy verify "$cose" --owner-pubkey "$pub"
expect 0 "policy OK" -- "$eml" policy verify "$cose" --owner-pubkey "@$work/keys/owner.pub"
cp "$cose" "$work/tampered.cose"
size="$(stat -c %s "$cose")"
printf '\x01' | dd of="$work/tampered.cose" bs=1 seek=$((size / 2)) conv=notrunc status=none
cmp -s "$cose" "$work/tampered.cose" && fail "tampering changed nothing"
expect 1 "error" -- "$eml" policy verify "$work/tampered.cose" --owner-pubkey "$pub"
expect 1 "signature does not verify" -- \
  "$eml" policy verify "$cose" --owner-pubkey "@$work/other/owner.pub"
expect 2 "cannot open" -- "$eml" policy verify "$work/missing.cose" --owner-pubkey "$pub"
expect 2 "cannot open" -- "$eml" policy verify "$cose" --owner-pubkey "@$work/missing.pub"
expect 2 "64 hex digits" -- "$eml" policy verify "$cose" --owner-pubkey abcd
expect 2 "required" -- "$eml" policy verify "$cose"
expires="$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["expires_at"])' "$json")"
expect 0 "policy OK" -- "$eml" policy verify "$cose" --owner-pubkey "$pub" --now $((expires - 1))
expect 1 "expired" -- "$eml" policy verify "$cose" --owner-pubkey "$pub" --now "$expires"
expect 1 "error" -- "$eml" policy verify "$json" --owner-pubkey "$pub"

# show
expect 0 "NOT VERIFIED" -- "$eml" policy show "$cose"
expect 0 "verified with owner key $pub" -- "$eml" policy show "$cose" --owner-pubkey "$pub"
expect 0 "pcr1=0343b056" -- "$eml" policy show "$cose"
expect 1 "signature does not verify" -- \
  "$eml" policy show "$cose" --owner-pubkey "@$work/other/owner.pub"
shown="$("$eml" policy show "$cose" --format json 2>/dev/null)" || fail "show --format json"
[[ "$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["policy_id"])' <<<"$shown")" == demo ]] \
  || fail "show json: $shown"
# The shown JSON is the editable form: signing it again gives the same file.
echo "$shown" > "$work/shown.json"
"$eml" policy sign --in "$work/shown.json" --key "$work/keys/owner.key" --out "$work/resigned.cose" \
  > /dev/null || fail "re-sign shown JSON"
cmp -s "$cose" "$work/resigned.cose" || fail "show --format json | sign did not reproduce the file"
expect 2 "xml" -- "$eml" policy show "$cose" --format xml
expect 2 "cannot open" -- "$eml" policy show "$work/missing.cose"

finish policy_cli_test
