// Deterministic synthetic BERT sentence-embedding models.
//
// Genuine all-MiniLM-L6-v2 weights cannot be obtained here, so the engine is
// proven against an independent PyTorch reference (tools/reference/) on
// synthetic weights with the exact tensor names, shapes and dtype (F32) of
// sentence-transformers/all-MiniLM-L6-v2. WriteSyntheticBert writes a Hugging
// Face-style model directory: config.json, model.safetensors, modules.json,
// 1_Pooling/config.json, sentence_bert_config.json, an (empty) 2_Normalize
// module, and the tokenizer files copied from `tokenizer_dir` when given.
//
// Determinism: weights come from our own xoshiro256** generator seeded with
// splitmix64, and an Irwin-Hall sum of four uniforms stands in for a normal
// distribution. Only integer arithmetic and one correctly rounded multiply per
// value are used (no libm, no <random> distributions), so the same preset and
// seed give byte-identical files on every compiler and C library.
//
// Presets: "minilm-l6" (hidden 384, 6 layers, 12 heads, FFN 1536, vocab
// 30522) and "tiny" (hidden 32, 2 layers, 4 heads, FFN 64, vocab 30522, for
// fast tests; it still fits the real WordPiece vocabulary).
//
// Thread-safety: pure function of its options; writes only under out_dir.
#ifndef EML_ENGINE_SYNTH_H_
#define EML_ENGINE_SYNTH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/bert_config.h"

namespace eml::engine {

struct SynthOptions {
  std::string preset = "minilm-l6";
  uint64_t seed = 1;
  // Directory holding vocab.txt (required) and tokenizer.json,
  // tokenizer_config.json, special_tokens_map.json (copied when present).
  // Empty: no tokenizer files are written.
  std::string tokenizer_dir;
  std::string out_dir;  // created if missing; existing files are replaced
};

// A synthetic preset: a BERT shape plus the sentence-transformers truncation.
struct SynthPreset {
  std::string name;
  BertConfig config;       // layer_norm_eps stays at BERT's 1e-12
  int max_seq_length = 0;  // sentence-transformers truncation, incl. [CLS]/[SEP]
};

// NotFound for an unknown preset name.
StatusOr<SynthPreset> FindSynthPreset(const std::string& name);
std::vector<std::string> SynthPresetNames();

Status WriteSyntheticBert(const SynthOptions& options);

}  // namespace eml::engine

#endif  // EML_ENGINE_SYNTH_H_
