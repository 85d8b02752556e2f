"""Benchmark inputs shared by every engine in engine_compare.sh.

Token ids are a fixed formula, so the C++ (engine_bench.cc), Python
(torch_bench.py) and JavaScript (ort_bench.js) runners feed identical inputs
without exchanging files: row i of a batch of sequence length T is
  [101] + [1000 + (j*7919 + i*104729 + T*13) % 29000 for j in 1..T-2] + [102]
"""

CONFIGS = [(1, 16), (8, 16), (1, 128), (8, 128), (1, 256), (8, 256)]  # (batch, seq)


def token_ids(batch, seq):
    rows = []
    for i in range(batch):
        middle = [1000 + (j * 7919 + i * 104729 + seq * 13) % 29000 for j in range(1, seq - 1)]
        rows.append([101] + middle + [102])
    return rows


def forward_flops(batch, seq, hidden, ffn, layers):
    """2*T*(4H^2 + 2*H*FFN)*L + 4*T^2*H*L per sequence."""
    per_seq = 2 * seq * (4 * hidden * hidden + 2 * hidden * ffn) * layers
    per_seq += 4 * seq * seq * hidden * layers
    return batch * per_seq
