#!/usr/bin/env bash
# s3_storage_e2e: eml-host's storage proxy against a real S3-compatible server
# (s3rver, pinned in package.json / package-lock.json) on loopback.
#
#   run_s3_test.sh EML_HOST EML_STORAGE_PROBE WORK_DIR
#
# Installs s3rver with `npm ci` into WORK_DIR (never into the source tree) if
# it is not there yet, starts it on 127.0.0.1 (port picked by the kernel),
# uploads objects with the curl CLI (--aws-sigv4), starts eml-host with
# --storage-s3, and reads through the proxy with eml_storage_probe (the
# enclave's StorageClient): sizes and ranges must match byte for byte, a
# missing object must be NotFound, and an unknown access key must fail.
# s3rver checks the access key id but not the V4 signature itself; the
# signature is checked in proxy_test (StorageS3Test.WrongSecretFails).
#
# Exit status: 0 pass, 77 skip (node or npm missing: printed, counted as
# skipped by ctest, never as passed), anything else fails.
set -euo pipefail
host_bin="$1"
probe="$2"
work="$3"
here="$(cd "$(dirname "$0")" && pwd)"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: node and npm are needed for s3rver (scripts/install_deps.sh installs them)"
  exit 77
fi
command -v curl >/dev/null || { echo "FAIL: the curl CLI is needed"; exit 1; }

mkdir -p "$work"
if [[ ! -x "$work/node_modules/.bin/s3rver" ]] || ! cmp -s "$here/package-lock.json" "$work/package-lock.json"; then
  cp "$here/package.json" "$here/package-lock.json" "$work/"
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error) || { echo "FAIL: npm ci"; exit 1; }
fi

run="$(mktemp -d "${TMPDIR:-/tmp}/eml-s3-test.XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$run"
}
trap cleanup EXIT

# ---- s3rver ------------------------------------------------------------------
mkdir -p "$run/s3data"
"$work/node_modules/.bin/s3rver" -d "$run/s3data" -a 127.0.0.1 -p 0 \
  --configure-bucket eml-bucket >"$run/s3rver.log" 2>&1 &
pids+=($!)
port=""
for _ in $(seq 1 300); do
  port="$(grep -o 'listening on 127.0.0.1:[0-9]*' "$run/s3rver.log" | sed 's/.*://' || true)"
  [[ -n "$port" ]] && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "FAIL: s3rver exited"; cat "$run/s3rver.log"; exit 1; }
  sleep 0.1
done
[[ -n "$port" ]] || { echo "FAIL: s3rver did not start"; cat "$run/s3rver.log"; exit 1; }
s3="http://127.0.0.1:$port"
echo "s3rver on $s3"

# s3rver's built-in account.
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
put() {  # put KEY FILE
  curl -sS -f --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -T "$2" "$s3/eml-bucket/$1" -o /dev/null
}
head -c 3000017 /dev/urandom >"$run/weights.bin"
printf 'manifest bytes' >"$run/manifest.cose"
put "pkg/files/0.enc" "$run/weights.bin"
put "pkg/manifest.cose" "$run/manifest.cose"

# ---- eml-host ------------------------------------------------------------------
start_host() {  # start_host NAME -> sets host_port
  "$host_bin" --listen 127.0.0.1:0 --enclave 127.0.0.1:1 --admin 127.0.0.1:0 \
    --storage-proxy 127.0.0.1:0 --storage-s3 "$s3/eml-bucket/pkg" --s3-region us-east-1 \
    --ready-file "$run/$1.ready" 2>"$run/$1.log" &
  pids+=($!)
  for _ in $(seq 1 100); do
    [[ -s "$run/$1.ready" ]] && break
    sleep 0.1
  done
  [[ -s "$run/$1.ready" ]] || { echo "FAIL: eml-host $1 did not start"; cat "$run/$1.log"; exit 1; }
  host_port="$(sed 's/.*"storage_proxy":\([0-9]*\).*/\1/' "$run/$1.ready")"
}
start_host good
proxy="127.0.0.1:$host_port"

fail=0
check() {  # check WHAT CMD...
  local what="$1"; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=1; fi
}
expect_range() {  # expect_range OFFSET LENGTH EXPECTED_LENGTH
  "$probe" "$proxy" read files/0.enc "$1" "$2" "$run/out.bin" || return 1
  [[ "$(stat -c %s "$run/out.bin")" == "$3" ]] || return 1
  cmp -s "$run/out.bin" <(tail -c +"$(($1 + 1))" "$run/weights.bin" | head -c "$3")
}
check "size of files/0.enc" test "$("$probe" "$proxy" size files/0.enc)" = 3000017
check "size of manifest.cose" test "$("$probe" "$proxy" size manifest.cose)" = 14
check "range at 0" expect_range 0 65536 65536
check "range in the middle" expect_range 1234567 1000000 1000000
check "range over the end" expect_range 2999000 5000 1017
check "one byte at the end" expect_range 3000016 1 1
check "range past the end is empty" expect_range 3000017 10 0
"$probe" "$proxy" read manifest.cose 0 100 "$run/m.bin" && cmp -s "$run/m.bin" "$run/manifest.cose" \
  && echo "ok: manifest bytes" || { echo "FAIL: manifest bytes"; fail=1; }
set +e
"$probe" "$proxy" read files/9.enc 0 10 "$run/x.bin" 2>/dev/null; rc=$?
set -e
check "missing object is NotFound (3)" test "$rc" = 3

# Unknown access key: s3rver refuses (403), the proxy answers 502, the client fails.
export AWS_ACCESS_KEY_ID=NOT-A-KEY
start_host wrong
set +e
"$probe" "127.0.0.1:$host_port" read files/0.enc 0 10 "$run/x.bin" 2>/dev/null; rc=$?
set -e
check "wrong credentials fail (VerificationFailed, 4)" test "$rc" = 4
grep -q "S3 HEAD answered 403" "$run/wrong.log" && echo "ok: host log shows S3's 403" \
  || { echo "FAIL: no 403 in the host log"; fail=1; }
# Nothing secret in the host logs.
if grep -q "S3RVER\|NOT-A-KEY" "$run/good.log" "$run/wrong.log"; then
  echo "FAIL: credentials in the host log"; fail=1
fi
exit $fail
