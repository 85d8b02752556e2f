#!/usr/bin/env bash
# Starts the EphemeralML enclave on a Nitro parent instance and watches it.
# Run by eml-enclave.service. NOT RUN HERE (written without a Nitro parent
# instance or nitro-cli): read it before use.
#
#   eml-enclave-launch.sh CONFIG.json EXPECTED_PCRS.json
#
# CONFIG.json      `nitro-cli run-enclave --config` file (deploy/nitro/enclave.json)
# EXPECTED_PCRS    {"pcr0","pcr1","pcr2"} of the release being deployed, the
#                  same file the signed client policy and the KMS key policy
#                  were made from (build-eif.sh writes it as release-<commit>.json)
#
# Refuses to start when
#   - the config asks for debug mode (a debug enclave's PCRs read as all zero;
#     clients and KMS refuse it, and its memory is readable from the parent);
#   - the EIF's measurements differ from EXPECTED_PCRS (a wrong image would
#     only fail later, at key release, with a less helpful error).
# Then it stays in the foreground and exits non-zero as soon as the enclave
# is gone, so systemd can restart it (Restart=on-failure).
set -euo pipefail

config="${1:?usage: eml-enclave-launch.sh CONFIG.json EXPECTED_PCRS.json}"
expected="${2:?usage: eml-enclave-launch.sh CONFIG.json EXPECTED_PCRS.json}"
poll_s="${EML_ENCLAVE_POLL_S:-10}"

log() { echo "eml-enclave-launch: $*" >&2; }
die() { log "$*"; exit 1; }

command -v nitro-cli >/dev/null || die "nitro-cli not found"
command -v jq >/dev/null || die "jq not found"

name="$(jq -er '.enclave_name' "$config")" || die "$config: enclave_name missing"
eif="$(jq -er '.eif_path' "$config")" || die "$config: eif_path missing"
debug="$(jq -r '.debug_mode // false' "$config")"
[ "$debug" = "false" ] || die "$config: debug_mode must be false in production"
jq -e '.attach_console // false | not' "$config" >/dev/null \
  || die "$config: attach_console needs debug mode; remove it"

# The image on disk must be the release the policies name.
actual="$(nitro-cli describe-eif --eif-path "$eif" |
  jq -c '{pcr0: (.Measurements.PCR0 | ascii_downcase),
          pcr1: (.Measurements.PCR1 | ascii_downcase),
          pcr2: (.Measurements.PCR2 | ascii_downcase)}')"
want="$(jq -c '{pcr0: (.pcr0 | ascii_downcase), pcr1: (.pcr1 | ascii_downcase),
                pcr2: (.pcr2 | ascii_downcase)}' "$expected")"
[ "$actual" = "$want" ] || die "$eif measures $actual, expected $want ($expected)"
log "$eif matches $expected"

# A stale enclave of the same name (a crashed launcher) would block the start.
nitro-cli terminate-enclave --enclave-name "$name" >/dev/null 2>&1 || true

nitro-cli run-enclave --config "$config" >&2

# Confirm what actually runs: not debug mode, and the expected CID.
info="$(nitro-cli describe-enclaves | jq -c --arg n "$name" '.[] | select(.EnclaveName == $n)')"
[ -n "$info" ] || die "enclave $name did not appear in describe-enclaves"
flags="$(jq -r '.Flags' <<<"$info")"
[ "$flags" = "NONE" ] || { nitro-cli terminate-enclave --enclave-name "$name" >&2 || true;
                           die "enclave $name runs with flags '$flags'; terminated"; }
log "enclave $name running: $(jq -c '{EnclaveID, EnclaveCID, NumberOfCPUs, MemoryMiB}' <<<"$info")"

stop() { nitro-cli terminate-enclave --enclave-name "$name" >&2 || true; exit 0; }
trap stop TERM INT

while sleep "$poll_s" & wait $!; do
  state="$(nitro-cli describe-enclaves |
    jq -r --arg n "$name" '[.[] | select(.EnclaveName == $n) | .State] | first // "GONE"')"
  [ "$state" = "RUNNING" ] || die "enclave $name is $state"
done
