#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test. Exits non-zero on any
# failure. Extra arguments go to ctest (e.g. -R crypto).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install_deps.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
