#!/usr/bin/python3
"""PyTorch timing (and ONNX export) for engine_compare.sh.

Usage: /usr/bin/python3 torch_bench.py MODEL_DIR ONNX_OUT RUNS WARMUP
Builds the BERT module of tools/reference/bert_model.py with fused ops,
checks it against the unfused reference form, exports it to ONNX (opset 17,
dynamic batch/sequence axes), then times every (batch, seq) of
bench_inputs.CONFIGS with torch.set_num_threads(1) and (2), printing one JSON
line per configuration with the better of the two.
"""
import json
import os
import statistics
import sys
import time
import warnings

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tools", "reference"))
from bench_inputs import CONFIGS, token_ids  # noqa: E402
from bert_model import BertEmbedder, load_config  # noqa: E402
from safetensors_reader import read_safetensors  # noqa: E402


def time_config(model, batch, seq, runs, warmup):
    ids = torch.tensor(token_ids(batch, seq), dtype=torch.long)
    mask = torch.ones_like(ids)
    with torch.no_grad():
        for _ in range(warmup):
            out = model(ids, mask)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            out = model(ids, mask)
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), float(out[0, :8].sum())


def main():
    model_dir, onnx_out, runs, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    config = load_config(model_dir)
    tensors, _ = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    model = BertEmbedder(config, tensors, fused=True).eval()
    plain = BertEmbedder(config, tensors, fused=False).eval()
    ids = torch.tensor(token_ids(2, 32), dtype=torch.long)
    mask = torch.ones_like(ids)
    with torch.no_grad():
        diff = float((model(ids, mask) - plain(ids, mask)).abs().max())
    if diff > 1e-5:
        raise SystemExit(f"fused and reference forms disagree: {diff}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (ids, mask), onnx_out, opset_version=17,
                          input_names=["input_ids", "attention_mask"],
                          output_names=["embedding"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "seq"},
                                        "attention_mask": {0: "batch", 1: "seq"},
                                        "embedding": {0: "batch"}})
    for batch, seq in CONFIGS:
        best = None
        for threads in (1, 2):
            torch.set_num_threads(threads)
            ms, checksum = time_config(model, batch, seq, runs, warmup)
            if best is None or ms < best[0]:
                best = (ms, threads, checksum)
        print(json.dumps({"engine": "torch", "batch": batch, "seq": seq, "median_ms": best[0],
                          "threads": best[1], "runs": runs, "checksum": best[2]}), flush=True)


if __name__ == "__main__":
    main()
