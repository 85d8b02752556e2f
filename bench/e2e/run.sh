#!/usr/bin/env bash
# Builds and runs the end-to-end gateway benchmark (bench/e2e/e2e_bench.cc).
# Usage: bash bench/e2e/run.sh   (after scripts/build.sh)
#        EML_BUILD_DIR=/path/to/build bash bench/e2e/run.sh   (another build directory)
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${EML_BUILD_DIR:-build}"
cmake --build "$build" -j2 --target e2e_bench eml-host >/dev/null
EML_HOST_BIN="$build/src/host/eml-host" "$build/bench/e2e_bench" "$@"
