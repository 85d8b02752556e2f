#!/usr/bin/env bash
# Runs libFuzzer targets. Usage:
#   scripts/fuzz.sh <target|all> <seconds>
# Targets: cbor_decode_fuzz, cose_sign1_fuzz (and any other fuzz/*_fuzz
# target built in build-fuzz/). Builds with `scripts/build.sh --fuzz` first
# unless EML_FUZZ_SKIP_BUILD=1. Each target runs for <seconds> on a temporary
# copy of fuzz/corpus/<corpus>/ so the repository is never modified; crash
# artifacts are kept in the temporary directory, whose path is printed.
# Exits non-zero if any target finds a crash, leak, timeout or OOM. The RSS
# limit is 4 GiB: with ASan's quarantine and libFuzzer's corpus, the CBOR
# target's RSS grows to ~1.9 GB in 10 minutes without any per-input leak
# (libFuzzer's leak check, on by default, reported none).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -ne 2 ]]; then
  echo "usage: $0 <target|all> <seconds>" >&2
  exit 2
fi
target="$1"
seconds="$2"

# target -> corpus folder under fuzz/corpus/
declare -A corpus_of=(
  [cbor_decode_fuzz]=cbor
  [cose_sign1_fuzz]=cose
  [safetensors_fuzz]=safetensors
  [wordpiece_fuzz]=wordpiece
  [cms_fuzz]=cms
  [nitro_document_fuzz]=nitro
  [air_receipt_fuzz]=air_receipt_fuzz
  [air_claims_diff_fuzz]=air_claims_diff
  [frame_fuzz]=frame
  [policy_fuzz]=policy
  [admin_request_fuzz]=admin
  [http_fuzz]=http
  [tdx_quote_fuzz]=tdx
  [snp_report_fuzz]=snp
  [snp_cert_table_fuzz]=snp_cert_table
  [tee_envelope_fuzz]=tee_envelope
  [nsm_message_fuzz]=nsm
  [kms_request_fuzz]=kms_request
  [package_manifest_fuzz]=package_manifest
)

if [[ "$target" == all ]]; then
  targets=("${!corpus_of[@]}")
elif [[ -n "${corpus_of[$target]:-}" ]]; then
  targets=("$target")
else
  echo "unknown target '$target' (known: ${!corpus_of[*]} all)" >&2
  exit 2
fi

if [[ "${EML_FUZZ_SKIP_BUILD:-0}" != 1 ]]; then
  bash scripts/build.sh --fuzz
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/eml-fuzz.XXXXXX")"
echo "fuzz work directory: $work"
status=0
for t in "${targets[@]}"; do
  bin="build-fuzz/fuzz/$t"
  if [[ ! -x "$bin" ]]; then
    echo "missing $bin (build failed?)" >&2
    status=1
    continue
  fi
  corpus="$work/$t-corpus"
  mkdir -p "$corpus" "$work/$t-artifacts"
  cp -r "fuzz/corpus/${corpus_of[$t]}/." "$corpus/" 2>/dev/null || true
  echo "== $t for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=25 -print_final_stats=1 \
      -artifact_prefix="$work/$t-artifacts/" "$corpus" > "$work/$t.log" 2>&1; then
    echo "!! $t failed; log: $work/$t.log, artifacts: $work/$t-artifacts/" >&2
    tail -n 40 "$work/$t.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$work/$t.log" | tail -n 2
  fi
done
exit "$status"
