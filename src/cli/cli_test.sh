#!/usr/bin/env bash
# End-to-end checks of the `eml` binary: help, synth, embed (text and JSON,
# both kernel paths), and the error paths (exit status and message).
# Usage: cli_test.sh PATH/TO/eml SHARED_DIR
set -uo pipefail
eml="$1"
shared="${EML_SHARED_DIR:-$2}"
source "$(dirname "$0")/../../tests/cli_lib.sh"

model="$work/tiny"
expect 0 "model.*embed" -- "$eml" --help
expect 0 "wrote synthetic tiny model" -- \
  "$eml" model synth --preset tiny --seed 3 --tokenizer-dir "$shared/models/all-MiniLM-L6-v2" \
  --out "$model"
expect 0 "dims=32 norm=1\.000000 tokens=3 truncated=false" -- \
  "$eml" embed --model-dir "$model" --text "hello" --threads 2
expect 0 "\[1\] dims=32 norm=1\.000000 tokens=8 truncated=false" -- \
  "$eml" embed --model-dir "$model" --text "a" --text "The weather is lovely today." --reference
# Identical texts have cosine 1; the pair line is printed once per pair.
expect 0 "cosine\[0,1\]=1\.0000" -- \
  "$eml" embed --model-dir "$model" --text "same words" --text "same words"
expect 0 "truncated=true" -- \
  "$eml" embed --model-dir "$model" --text "$(printf 'word %.0s' {1..300})"
json="$("$eml" embed --model-dir "$model" --text "hi" --format json)" || fail "json embed"
n="$(/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d[0]["embedding"]), d[0]["tokens"])' <<<"$json")"
[[ "$n" == "32 3" ]] || fail "json output: want '32 3', got '$n'"

expect 2 "model dir not found" -- "$eml" embed --model-dir "$work/missing" --text hi
expect 2 "config.json" -- "$eml" embed --model-dir "$work" --text hi
expect 1 "UTF-8" -- "$eml" embed --model-dir "$model" --text $'bad \xff byte'
expect 2 "unknown preset" -- "$eml" model synth --preset nope --out "$work/x"
expect 2 "vocab.txt" -- "$eml" model synth --preset tiny --tokenizer-dir "$work" --out "$work/y"
expect 2 "xml" -- "$eml" embed --model-dir "$model" --text hi --format xml
expect 2 "required" -- "$eml" embed --text hi
expect 2 "subcommand is required" -- "$eml"
# A corrupt weight file is an error, not a crash.
cp -r "$model" "$work/bad" && truncate -s 1000 "$work/bad/model.safetensors"
expect 1 "error" -- "$eml" embed --model-dir "$work/bad" --text hi

finish cli_test
