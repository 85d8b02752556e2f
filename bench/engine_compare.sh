#!/usr/bin/env bash
# Compares our BERT engine with PyTorch and ONNX Runtime on the same synthetic
# MiniLM-L6 weights and the same token ids (bench/bench_inputs.py), in one run.
# See bench/README.md. Prints a table and, as its last line:
#   ENGINE_BENCH ratio_ort_t16=.. ratio_ort_t128=.. ratio_torch_t128=.. peak_frac_b8_t128=..
# Env: EML_BUILD_DIR (default build/), EML_SHARED_DIR, RUNS (7), WARMUP (2).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="${EML_BUILD_DIR:-$root/build}"
shared="${EML_SHARED_DIR:-$root/../shared}"
runs="${RUNS:-7}"
warmup="${WARMUP:-2}"
work="$here/.work"
python=/usr/bin/python3
mkdir -p "$work"

log() { echo "engine_compare: $*" >&2; }

# --- dependencies (installed only when missing) ---
need_apt=()
"$python" -c "import torch" 2>/dev/null || need_apt+=(python3-torch)
"$python" -c "import numpy" 2>/dev/null || need_apt+=(python3-numpy)
ldconfig -p | grep -q libopenblas || need_apt+=(libopenblas0-pthread)
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
if ((${#need_apt[@]})); then
  log "installing ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi
# torch 1.13's exporter serialises ONNX itself; the onnx package is not needed.
if [[ ! -d "$work/node_modules/onnxruntime-node" ]]; then
  log "installing onnxruntime-node into bench/.work"
  [[ -f "$work/package.json" ]] || echo '{"name":"eml-bench-work","private":true}' > "$work/package.json"
  (cd "$work" && npm install --ignore-scripts --no-audit --no-fund onnxruntime-node >&2)
fi

# --- build and model ---
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
fi
ninja -C "$build" -j2 eml engine_bench >&2
model="$work/minilm-l6-synth"
"$build/src/cli/eml" model synth --preset minilm-l6 --seed 1 \
  --tokenizer-dir "$shared/models/all-MiniLM-L6-v2" --out "$model" >&2

# --- the three engines, one after another on the same cores ---
results="$work/results.jsonl"
: > "$results"
log "our engine (2 threads)"
"$build/bench/engine_bench" --model-dir "$model" --threads 2 --runs "$runs" \
  --warmup "$warmup" | tee -a "$results" >&2
log "PyTorch $("$python" -c 'import torch; print(torch.__version__)') (1 and 2 threads) + ONNX export"
"$python" "$here/torch_bench.py" "$model" "$work/minilm-l6-synth.onnx" "$runs" "$warmup" \
  | tee -a "$results" >&2
log "ONNX Runtime $(node -p "require('$work/node_modules/onnxruntime-node/package.json').version") (CPU EP, 2 intra-op threads)"
node "$here/ort_bench.js" "$work/minilm-l6-synth.onnx" "$runs" "$warmup" | tee -a "$results" >&2

"$python" "$here/engine_summary.py" 384 1536 6 < "$results"
