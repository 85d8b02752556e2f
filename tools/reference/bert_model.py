"""BERT sentence-embedding forward pass in PyTorch, from the BERT definition.

Independent of the C++ engine: weights come from safetensors_reader.py and
every step is written out with torch ops:

  x = LN(word[ids] + position[0..T) + token_type[0])
  per layer (post-LN):
    q, k, v = x Wq^T + bq, ...            split into heads of H/heads
    a = softmax(q k^T / sqrt(d) + mask) v  mask: -inf-like on padding keys
    x = LN(x + a Wo^T + bo)
    x = LN(x + GELU_erf(x Wi^T + bi) Wo2^T + bo2)
  embedding = L2-normalise(mean of x over the non-padding tokens)

LN is (x - mean) / sqrt(var + eps) * gamma + beta with the biased variance.
The module also serves as the ONNX export source for bench/. With
fused=True it computes the same function with PyTorch's fused library ops
(F.linear, F.layer_norm, F.gelu), as Hugging Face's BertModel does; the
benchmarks use that form so PyTorch and ONNX Runtime are not handicapped.
"""
import json
import math

import torch

PREFIX = "bert."


class BertEmbedder(torch.nn.Module):
    def __init__(self, config, tensors, dtype=torch.float32, fused=False):
        super().__init__()
        self.fused = fused
        self.hidden = config["hidden_size"]
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        if config.get("hidden_act", "gelu") != "gelu":
            raise ValueError("only erf GELU is supported")
        for name, array in tensors.items():
            key = name[len(PREFIX):] if name.startswith(PREFIX) else name
            param = torch.nn.Parameter(torch.from_numpy(array.copy()).to(dtype),
                                       requires_grad=False)
            self.register_parameter(key.replace(".", "__"), param)

    def w(self, name):
        return getattr(self, name.replace(".", "__"))

    def layer_norm(self, x, prefix):
        if self.fused:
            return torch.nn.functional.layer_norm(
                x, (self.hidden,), self.w(prefix + ".weight"), self.w(prefix + ".bias"), self.eps)
        mean = x.mean(dim=-1, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
        return (x - mean) / torch.sqrt(var + self.eps) * self.w(prefix + ".weight") + \
            self.w(prefix + ".bias")

    def linear(self, x, prefix):
        if self.fused:
            return torch.nn.functional.linear(x, self.w(prefix + ".weight"),
                                              self.w(prefix + ".bias"))
        return torch.matmul(x, self.w(prefix + ".weight").t()) + self.w(prefix + ".bias")

    def attention(self, x, key_bias, prefix):
        b, t, h = x.shape
        d = h // self.heads

        def split(y):
            return y.reshape(b, t, self.heads, d).permute(0, 2, 1, 3)

        q = split(self.linear(x, prefix + ".self.query"))
        k = split(self.linear(x, prefix + ".self.key"))
        v = split(self.linear(x, prefix + ".self.value"))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + key_bias
        probs = torch.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(b, t, h)
        return self.linear(ctx, prefix + ".output.dense")

    def forward(self, input_ids, attention_mask):
        t = input_ids.shape[1]
        positions = torch.arange(t, dtype=torch.long)
        x = (self.w("embeddings.word_embeddings.weight")[input_ids]
             + self.w("embeddings.position_embeddings.weight")[positions].unsqueeze(0)
             + self.w("embeddings.token_type_embeddings.weight")[0])
        x = self.layer_norm(x, "embeddings.LayerNorm")
        mask = attention_mask.to(x.dtype)
        # [b, 1, 1, t]: padding keys get a large negative score.
        key_bias = ((1.0 - mask) * -1e9).unsqueeze(1).unsqueeze(1)
        for i in range(self.layers):
            p = f"encoder.layer.{i}"
            x = self.layer_norm(x + self.attention(x, key_bias, p + ".attention"),
                                p + ".attention.output.LayerNorm")
            inner = self.linear(x, p + ".intermediate.dense")
            if self.fused:
                inner = torch.nn.functional.gelu(inner)  # erf form (approximate='none')
            else:
                inner = 0.5 * inner * (1.0 + torch.erf(inner / math.sqrt(2.0)))
            x = self.layer_norm(x + self.linear(inner, p + ".output.dense"),
                                p + ".output.LayerNorm")
        m = mask.unsqueeze(-1)
        pooled = (x * m).sum(dim=1) / torch.clamp(m.sum(dim=1), min=1e-9)
        norm = torch.sqrt((pooled * pooled).sum(dim=-1, keepdim=True))
        return pooled / torch.clamp(norm, min=1e-12)


def load_config(model_dir):
    with open(f"{model_dir}/config.json", encoding="utf-8") as f:
        return json.load(f)


def load_max_seq_length(model_dir, config):
    try:
        with open(f"{model_dir}/sentence_bert_config.json", encoding="utf-8") as f:
            limit = json.load(f)["max_seq_length"]
    except FileNotFoundError:
        limit = config["max_position_embeddings"]
    return min(limit, config["max_position_embeddings"])
