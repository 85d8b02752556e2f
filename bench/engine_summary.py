#!/usr/bin/python3
"""Summarises engine_compare.sh's JSON lines (stdin) into a table and the
ENGINE_BENCH line.

Ratios are ours/peer median ms (below 1 means we are faster). GFLOP/s uses
bench_inputs.forward_flops; peak fraction divides by the sgemm peak that
engine_bench measured in the same run with the same BLAS and thread count.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_inputs import CONFIGS, forward_flops  # noqa: E402


def main():
    hidden, ffn, layers = (int(x) for x in sys.argv[1:4])
    rows, peak, rss = {}, None, None
    for line in sys.stdin:
        line = line.strip()
        if not line.startswith("{"):
            continue
        rec = json.loads(line)
        if rec.get("kind") == "peak":
            peak = rec
        elif rec.get("kind") == "rss":
            rss = rec
        else:
            rows[(rec["engine"], rec["batch"], rec["seq"])] = rec
    if peak is None or rss is None:
        raise SystemExit("engine_summary: engine_bench output incomplete")

    print(f"\nGEMM peak ({peak['n']}^3 sgemm, {peak['threads']} threads): "
          f"{peak['gflops']:.1f} GFLOP/s")
    print(f"{'batch':>5} {'seq':>4} {'ours ms':>9} {'torch ms':>9} {'ort ms':>9} "
          f"{'ours/torch':>10} {'ours/ort':>9} {'GFLOP/s':>8} {'of peak':>7} {'check':>6}")
    ratio, frac = {}, {}
    for batch, seq in CONFIGS:
        ours, torch_, ort = (rows.get((e, batch, seq)) for e in ("ours", "torch", "ort"))
        if ours is None or torch_ is None or ort is None:
            raise SystemExit(f"engine_summary: missing results for batch {batch} seq {seq}")
        gflops = forward_flops(batch, seq, hidden, ffn, layers) / (ours["median_ms"] * 1e6)
        sums = [ours["checksum"], torch_["checksum"], ort["checksum"]]
        agree = max(sums) - min(sums) < 1e-3
        ratio[("torch", batch, seq)] = ours["median_ms"] / torch_["median_ms"]
        ratio[("ort", batch, seq)] = ours["median_ms"] / ort["median_ms"]
        frac[(batch, seq)] = gflops / peak["gflops"]
        print(f"{batch:>5} {seq:>4} {ours['median_ms']:>9.2f} {torch_['median_ms']:>9.2f} "
              f"{ort['median_ms']:>9.2f} {ratio[('torch', batch, seq)]:>10.2f} "
              f"{ratio[('ort', batch, seq)]:>9.2f} {gflops:>8.1f} {frac[(batch, seq)]:>7.2f} "
              f"{'ok' if agree else 'DIFF':>6}")
    limit = rss["weights_bytes"] + (64 << 20)
    verdict = "within" if rss["peak_rss_bytes"] <= limit else "ABOVE"
    print(f"\npeak RSS of engine_bench: {rss['peak_rss_bytes'] / 2**20:.1f} MiB; weights "
          f"{rss['weights_bytes'] / 2**20:.1f} MiB + 64 MiB = {limit / 2**20:.1f} MiB "
          f"({verdict} budget)")
    torch_threads = {(r["batch"], r["seq"]): r.get("threads") for k, r in rows.items()
                     if k[0] == "torch"}
    print(f"torch best thread count per config: {torch_threads}")
    print(f"ENGINE_BENCH ratio_ort_t16={ratio[('ort', 1, 16)]:.3f} "
          f"ratio_ort_t128={ratio[('ort', 1, 128)]:.3f} "
          f"ratio_torch_t128={ratio[('torch', 1, 128)]:.3f} "
          f"peak_frac_b8_t128={frac[(8, 128)]:.3f}")


if __name__ == "__main__":
    main()
