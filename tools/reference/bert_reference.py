#!/usr/bin/python3
"""Independent PyTorch reference for the EphemeralML BERT engine.

Reads a model directory written by `eml model synth` with its own safetensors
reader, tokenizes a fixed list of varied inputs with its own WordPiece
tokenizer, runs its own BERT forward pass in float32 and float64, and writes
the expectations JSON that src/engine/bert_golden_test.cc checks:
token ids, truncation flag and the float32 384-d embedding (%.8g) per case,
plus the sha256 of model.safetensors, the preset and the seed.

Usage (Debian's torch; not the pyenv python on PATH):
  /usr/bin/python3 tools/reference/bert_reference.py --model-dir DIR \
      --preset minilm-l6 --seed 1 --out tests/data/engine/minilm_l6_synth_expected.json
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_model import BertEmbedder, load_config, load_max_seq_length  # noqa: E402
from safetensors_reader import read_safetensors  # noqa: E402
from wordpiece import WordPiece  # noqa: E402

LONG_TEXT = " ".join(
    f"Sentence number {i} talks about confidential inference inside an enclave."
    for i in range(40))

CASES = [
    ("empty", ""),
    ("punctuation_only", "?!...;:-- ()[]{}"),
    ("accents", "Crème brûlée à la café"),
    ("cjk", "機器學習很有趣"),
    ("emoji", "I love 🍕 and 🎉 parties 🦙!"),
    ("control_chars", "tab\there\x00nul\x07bell\r\nnew line\x1bescape"),
    ("single_token", "hello"),
    ("mixed_case", "ThIs Is MiXeD CaSe TeXt"),
    ("numbers", "In 2024, 3.14159 × 42 = 131.95 and 1,000,000 > 999"),
    ("url", "https://example.com/path/to/page?query=1&lang=en#section"),
    ("long_truncated", LONG_TEXT),
    ("repeated_whitespace", "  spaces   \t\t tabs \n\n\n newlines    end  "),
    ("greek", "Η γρήγορη καφέ αλεπού πηδάει"),
    ("cyrillic", "Съешь же ещё этих мягких французских булок"),
    ("long_word", "x" * 60 + "supercalifragilistic" + "y" * 40),
    ("quickstart_1", "The weather is lovely today."),
    ("quickstart_2", "It's so sunny outside!"),
    ("quickstart_3", "He drove to the stadium."),
    ("subwords", "unbelievably tokenization embeddings"),
    ("code", "int main() { return a[i] + b->c; }"),
    ("mixed_scripts", "Paris Париж 巴黎 Παρίσι"),
    ("unknown_chars", "⌘ ☃ ∑ ∫"),
    ("apostrophes", "don't won't it's o'clock"),
    ("unicode_spaces", "non\u00a0breaking\u3000ideographic\u2003em space"),
]


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def embed_each(model, token_lists, dtype):
    out = []
    with torch.no_grad():
        for ids in token_lists:
            ids_t = torch.tensor([ids], dtype=torch.long)
            mask = torch.ones_like(ids_t)
            out.append(model(ids_t, mask)[0].to(torch.float64).numpy())
    return np.stack(out)


def embed_padded(model, token_lists):
    """One padded batch: checks that the attention mask isolates padding."""
    t = max(len(ids) for ids in token_lists)
    ids_t = torch.zeros((len(token_lists), t), dtype=torch.long)
    mask = torch.zeros_like(ids_t)
    for i, ids in enumerate(token_lists):
        ids_t[i, :len(ids)] = torch.tensor(ids)
        mask[i, :len(ids)] = 1
    with torch.no_grad():
        return model(ids_t, mask).to(torch.float64).numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--preset", required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    torch.manual_seed(0)
    config = load_config(args.model_dir)
    max_length = load_max_seq_length(args.model_dir, config)
    tokenizer = WordPiece(os.path.join(args.model_dir, "vocab.txt"))
    tensors, _ = read_safetensors(os.path.join(args.model_dir, "model.safetensors"))

    encoded = [tokenizer.encode(text, max_length) for _, text in CASES]
    token_lists = [ids for ids, _ in encoded]
    m32 = BertEmbedder(config, tensors, torch.float32)
    m64 = BertEmbedder(config, tensors, torch.float64)
    e32 = embed_each(m32, token_lists, torch.float32)
    e64 = embed_each(m64, token_lists, torch.float64)
    f32_vs_f64 = float(np.abs(e32 - e64).max())
    padded_vs_single = float(np.abs(embed_padded(m64, token_lists) - e64).max())
    if padded_vs_single > 1e-9:
        raise SystemExit(f"padding leaks through the mask: {padded_vs_single}")
    if not any(trunc for _, trunc in encoded):
        raise SystemExit("no case exercises truncation")

    cases = []
    for (name, text), (ids, trunc), emb in zip(CASES, encoded, e32):
        cases.append({"name": name, "text": text, "token_ids": ids, "truncated": trunc,
                      "embedding": [float("%.8g" % v) for v in emb]})
    doc = {
        "description": "Expected token ids and sentence embeddings of the synthetic "
                       "MiniLM-L6 model, computed by tools/reference/bert_reference.py "
                       "(independent Python WordPiece + PyTorch BERT forward, float32).",
        "generator": "tools/reference/make_golden.sh",
        "preset": args.preset,
        "seed": args.seed,
        "model_safetensors_sha256": sha256_file(os.path.join(args.model_dir,
                                                             "model.safetensors")),
        "max_length": max_length,
        "hidden_size": config["hidden_size"],
        "torch_version": torch.__version__,
        "f32_vs_f64_max_abs_diff": f32_vs_f64,
        "padded_batch_vs_single_max_abs_diff_f64": padded_vs_single,
        "cases": cases,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {args.out}; "
          f"f32 vs f64 max |diff| = {f32_vs_f64:.3e}; "
          f"padded batch vs single (f64) = {padded_vs_single:.3e}")


if __name__ == "__main__":
    main()
