#!/usr/bin/python3
"""Independent computation of the worked example in docs/model-package.md.

Written from docs/model-package.md, RFC 5869 (HKDF), RFC 8949 (deterministic
CBOR) and RFC 9052 (COSE_Sign1) with Python's hashlib/hmac and the
`cryptography` package (AES-GCM, Ed25519); it shares no code with src/. The
C++ test src/model/package_example_test.cc pins the values this prints.
Usage: /usr/bin/python3 tools/reference/package_example.py
"""
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives import serialization

# ---- The example's inputs (docs/model-package.md "Worked example") ---------
OWNER_SEED = b"\x2a" * 32
DATA_KEY = bytes(range(32))
WRAPPED_DATA_KEY = b"example-wrapped-data-key"
KMS_KEY_ID = "arn:aws:kms:eu-west-1:111122223333:key/example"
MODEL_ID = "example-model"
MODEL_VERSION = "1"
MODEL_FORMAT = "bert-safetensors"
CHUNK_SIZE = 4096
CREATED = 1767225600
FILES = [
    ("config.json", b'{"hidden_size": 4}\n'),
    ("weights.bin", bytes(i % 251 for i in range(5000))),
]

CHUNK_KEY_INFO = b"EML model package v1: chunk key"
CHUNK_AAD_DOMAIN = b"EML model package v1: chunk"
CONTENT_TYPE = "application/vnd.eml.model-manifest.v1+cbor"


# ---- HKDF-SHA256 (RFC 5869) -------------------------------------------------
def hkdf(salt, ikm, info, length):
    prk = hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


# ---- Deterministic CBOR (RFC 8949 section 4.2.1), the subset used ----------
def head(major, n):
    if n < 24:
        return bytes([(major << 5) | n])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < (1 << (8 * struct.calcsize(fmt))):
            return bytes([(major << 5) | info]) + struct.pack(fmt, n)
    raise ValueError("too large")


def enc(v):
    if isinstance(v, bool):
        raise ValueError("unused")
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return head(3, len(b)) + b
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(enc(x) for x in v)
    if isinstance(v, dict):
        items = sorted((enc(k), enc(x)) for k, x in v.items())  # bytewise order of encoded keys
        return head(5, len(items)) + b"".join(k + x for k, x in items)
    if isinstance(v, Tag):
        return head(6, v.tag) + enc(v.content)
    raise ValueError(type(v))


class Tag:
    def __init__(self, tag, content):
        self.tag, self.content = tag, content


# ---- The format ---------------------------------------------------------------
def lp(b):
    return struct.pack(">I", len(b)) + b


def chunk_aad(file_name, index, last):
    return (lp(CHUNK_AAD_DOMAIN) + lp(MODEL_ID.encode()) + lp(MODEL_VERSION.encode()) +
            lp(file_name.encode()) + struct.pack(">Q", index) + bytes([1 if last else 0]))


def chunk_nonce(file_index, chunk_index):
    return struct.pack(">IQ", file_index, chunk_index)


def chunk_count(size):
    return max(1, -(-size // CHUNK_SIZE))


def main():
    chunk_key = hkdf(b"", DATA_KEY, CHUNK_KEY_INFO, 32)
    aead = AESGCM(chunk_key)
    print("chunk_key =", chunk_key.hex())
    objects, entries = [], []
    for i, (name, data) in enumerate(FILES):
        count = chunk_count(len(data))
        sealed = b""
        for c in range(count):
            piece = data[c * CHUNK_SIZE:(c + 1) * CHUNK_SIZE]
            last = c + 1 == count
            sealed += aead.encrypt(chunk_nonce(i, c), piece, chunk_aad(name, c, last))
        objects.append(sealed)
        entries.append({"name": name, "size": len(data), "sha256": hashlib.sha256(data).digest(),
                        "chunks": count})
    print("nonce_1_1 =", chunk_nonce(1, 1).hex())
    print("aad_1_1 =", chunk_aad("weights.bin", 1, True).hex())
    print("files_0_enc =", objects[0].hex())
    print("files_1_enc_size =", len(objects[1]))
    print("files_1_enc_sha256 =", hashlib.sha256(objects[1]).hexdigest())
    manifest = {
        "format": 1,
        "model_id": MODEL_ID,
        "model_version": MODEL_VERSION,
        "model_format": MODEL_FORMAT,
        "chunk_size": CHUNK_SIZE,
        "files": entries,
        "kms_key_id": KMS_KEY_ID,
        "wrapped_data_key": WRAPPED_DATA_KEY,
        "encryption_context": {"model_id": MODEL_ID, "version": MODEL_VERSION},
        "created": CREATED,
    }
    payload = enc(manifest)
    print("manifest_payload =", payload.hex())
    protected = enc({1: -8, 3: CONTENT_TYPE})
    to_be_signed = enc(["Signature1", protected, b"", payload])
    owner = Ed25519PrivateKey.from_private_bytes(OWNER_SEED)
    signature = owner.sign(to_be_signed)
    cose = enc(Tag(18, [protected, {}, payload, signature]))
    print("owner_public_key =", owner.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex())
    print("manifest_cose =", cose.hex())
    print("model_hash =", hashlib.sha256(payload).hexdigest())


if __name__ == "__main__":
    main()
