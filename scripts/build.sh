#!/usr/bin/env bash
# Configures and builds. Usage:
#   scripts/build.sh                 # release-with-debug-info build in build/
#   scripts/build.sh --asan          # ASan+UBSan build in build-asan/
#   scripts/build.sh --tsan          # TSan build in build-tsan/
#   scripts/build.sh --fuzz          # clang libFuzzer build in build-fuzz/
set -euo pipefail
cd "$(dirname "$0")/.."

dir=build
args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
case "${1:-}" in
  "") ;;
  --asan) dir=build-asan; args+=(-DEML_SANITIZE=address -DCMAKE_BUILD_TYPE=Debug) ;;
  --tsan) dir=build-tsan; args+=(-DEML_SANITIZE=thread) ;;
  --fuzz) dir=build-fuzz
          args+=(-DEML_FUZZ=ON -DEML_BUILD_TESTS=OFF -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++) ;;
  --clang) dir=build-clang; args+=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++) ;;
  *) echo "unknown option $1" >&2; exit 2 ;;
esac

jobs="${EML_JOBS:-$(nproc)}"
cmake -S . -B "$dir" -G Ninja "${args[@]}" >/dev/null
cmake --build "$dir" -j "$jobs"
