#!/usr/bin/env bash
# Installs dependencies, builds, and runs the demo: generate a deterministic
# synthetic all-MiniLM-L6-v2 (exact shapes, real tokenizer; genuine weights
# cannot be downloaded here) and embed a few sentences with the in-enclave
# engine. Pass a directory with genuine weights as $EML_MODEL_DIR to use it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install_deps.sh
bash scripts/build.sh

eml=./build/src/cli/eml
shared="${EML_SHARED_DIR:-../shared}"
model="${EML_MODEL_DIR:-}"
if [ -z "$model" ]; then
  model=build/demo-model
  if [ ! -f "$model/model.safetensors" ]; then
    echo "== eml model synth (deterministic synthetic MiniLM-L6 weights + real tokenizer)"
    "$eml" model synth --preset minilm-l6 --tokenizer-dir "$shared/models/all-MiniLM-L6-v2" --out "$model"
  fi
fi

echo
echo "== eml --help"
"$eml" --help
echo
echo "== eml embed (fast path, all cores)"
"$eml" embed --model-dir "$model" \
  --text "The weather is lovely today." \
  --text "It's so sunny outside!" \
  --text "He drove to the stadium."
if [ -z "${EML_MODEL_DIR:-}" ]; then
  echo "(synthetic weights: the similarities above are not semantic. Point EML_MODEL_DIR at a"
  echo " directory with the genuine all-MiniLM-L6-v2 files to see real ones.)"
fi
