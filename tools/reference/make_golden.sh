#!/usr/bin/env bash
# Regenerates tests/data/engine/minilm_l6_synth_expected.json:
#   1. builds `eml` (build dir: $EML_BUILD_DIR, default build/),
#   2. writes the synthetic MiniLM-L6 model with `eml model synth`,
#   3. runs the independent PyTorch reference on it (Debian /usr/bin/python3),
#      after self-checking the Python WordPiece against llama.cpp's vectors.
# Usage: tools/reference/make_golden.sh [seed]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${EML_SHARED_DIR:-$root/../shared}"
build="${EML_BUILD_DIR:-$root/build}"
seed="${1:-1}"
python=/usr/bin/python3
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
ninja -C "$build" -j2 eml

"$python" "$root/tools/reference/wordpiece.py" \
  "$shared/models/all-MiniLM-L6-v2/vocab.txt" \
  "$shared/models/gguf-vocab/ggml-vocab-bert-bge.gguf.inp" \
  "$shared/models/gguf-vocab/ggml-vocab-bert-bge.gguf.out"

"$build/src/cli/eml" model synth --preset minilm-l6 --seed "$seed" \
  --tokenizer-dir "$shared/models/all-MiniLM-L6-v2" --out "$work/model"

"$python" "$root/tools/reference/bert_reference.py" --model-dir "$work/model" \
  --preset minilm-l6 --seed "$seed" \
  --out "$root/tests/data/engine/minilm_l6_synth_expected.json"
