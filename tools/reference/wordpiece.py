"""BERT WordPiece tokenizer in plain Python, written from the BERT definition.

Independent of the C++ tokenizer (src/engine/wordpiece.*): it follows the
Hugging Face `tokenizers` BertNormalizer / BertPreTokenizer / WordPiece
pipeline, using Python's unicodedata for NFD and character categories:

  1. clean text: drop U+0000, U+FFFD and control characters (category C*,
     except \\t \\n \\r); map whitespace (\\t \\n \\r, space, Zs) to ' '
  2. put spaces around CJK ideographs
  3. strip accents (NFD, drop Mn), then lowercase
  4. split on whitespace; every punctuation char (ASCII punctuation or
     Unicode category P*) is its own word
  5. greedy longest-match-first WordPiece with '##' continuations; a word
     longer than 100 chars, or one that cannot be fully matched, is [UNK]
  6. [CLS] pieces [SEP], truncated to max_length (pieces first)

Run as a script to self-check against llama.cpp's bert-bge test vectors:
  /usr/bin/python3 wordpiece.py VOCAB.txt VECTORS.inp VECTORS.out
"""
import sys
import unicodedata

_CJK_RANGES = (
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
)


def _is_whitespace(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def _is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


def _is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(ch):
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _CJK_RANGES)


def normalize(text):
    out = []
    for ch in text:
        if ch in "\x00\ufffd" or _is_control(ch):
            continue
        if _is_whitespace(ch):
            out.append(" ")
        elif _is_cjk(ch):
            out.append(" " + ch + " ")
        else:
            out.append(ch)
    text = unicodedata.normalize("NFD", "".join(out))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return text.lower()


def pre_tokenize(text):
    words, current = [], []
    for ch in text:
        # Rust's char::is_whitespace (HF BertPreTokenizer) is the White_Space
        # property; str.isspace() is the closest Python equivalent.
        if ch.isspace():
            if current:
                words.append("".join(current))
                current = []
        elif _is_punctuation(ch):
            if current:
                words.append("".join(current))
                current = []
            words.append(ch)
        else:
            current.append(ch)
    if current:
        words.append("".join(current))
    return words


class WordPiece:
    def __init__(self, vocab_path, max_chars_per_word=100):
        with open(vocab_path, encoding="utf-8") as f:
            tokens = f.read().split("\n")
        if tokens and tokens[-1] == "":
            tokens.pop()
        self.vocab = {}
        for i, tok in enumerate(tokens):
            self.vocab.setdefault(tok, i)
        self.max_chars_per_word = max_chars_per_word
        self.unk = self.vocab["[UNK]"]
        self.cls = self.vocab["[CLS]"]
        self.sep = self.vocab["[SEP]"]

    def _word_ids(self, word):
        if len(word) > self.max_chars_per_word:
            return [self.unk]
        ids, start = [], 0
        while start < len(word):
            end, found = len(word), None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    found = self.vocab[piece]
                    break
                end -= 1
            if found is None:
                return [self.unk]
            ids.append(found)
            start = end
        return ids

    def encode_plain(self, text):
        ids = []
        for word in pre_tokenize(normalize(text)):
            ids.extend(self._word_ids(word))
        return ids

    def encode(self, text, max_length):
        """Returns (ids with [CLS]/[SEP], truncated flag)."""
        pieces = self.encode_plain(text)
        truncated = len(pieces) > max_length - 2
        pieces = pieces[:max_length - 2]
        return [self.cls] + pieces + [self.sep], truncated


def self_check(vocab_path, inp_path, out_path):
    tok = WordPiece(vocab_path)
    with open(inp_path, encoding="utf-8") as f:
        texts = f.read().split("\n__ggml_vocab_test__\n")
    with open(out_path, encoding="utf-8") as f:
        expected = f.read().split("\n")
    if expected and expected[-1] == "":
        expected.pop()
    # Every text is followed by the separator, so the last piece is empty.
    if texts and texts[-1] == "":
        texts.pop()
    if len(texts) != len(expected):
        raise SystemExit(f"vector count mismatch: {len(texts)} texts, {len(expected)} outputs")
    failures = 0
    for text, line in zip(texts, expected):
        want = [int(x) for x in line.split()]
        got = tok.encode_plain(text)
        if got != want:
            failures += 1
            print(f"MISMATCH {text!r}: got {got} want {want}", file=sys.stderr)
    print(f"wordpiece self-check: {len(texts) - failures}/{len(texts)} vectors match")
    return failures == 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    sys.exit(0 if self_check(*sys.argv[1:]) else 1)
