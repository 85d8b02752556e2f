#!/usr/bin/env python3
"""Writes golden_policy.cose: a signed policy built WITHOUT our C++ code.

An independent implementation of docs/policy.md: a minimal deterministic CBOR
encoder (RFC 8949 section 4.2.1: shortest heads, map keys sorted by their
encoded bytes) and Ed25519 from python `cryptography`. signed_policy_test.cc
checks that SignPolicy reproduces these bytes exactly and that
VerifySignedPolicy decodes them to the same policy.

Inputs: owner seed 0x2a * 32; the AWS Nitro root from ../shared; PCR0..2 of
the real Nitro document in ../shared/vectors/nitro (index.json);
model_hash = SHA-256(b"golden-model").
Usage: make_golden.py SHARED_DIR   (run from anywhere; writes beside itself)
"""
import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def head(major, arg):
    if arg < 24:
        return bytes([major << 5 | arg])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if arg < 1 << (8 * size):
            return bytes([major << 5 | ai]) + arg.to_bytes(size, "big")
    raise ValueError("too large")


def enc(v):
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
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
        items = sorted((enc(k), enc(x)) for k, x in v.items())
        return head(5, len(items)) + b"".join(k + x for k, x in items)
    if isinstance(v, Tag):
        return head(6, v.tag) + enc(v.content)
    raise TypeError(type(v))


class Tag:
    def __init__(self, tag, content):
        self.tag, self.content = tag, content


def main():
    shared = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    root = open(os.path.join(shared, "vectors/nitro/aws_nitro_root_ca.der"), "rb").read()
    pcrs = json.load(open(os.path.join(shared, "vectors/nitro/index.json")))[0]["pcrs"]
    payload = {
        "version": 3,
        "policy_id": "golden",
        "created_at": 1700000000,
        "expires_at": 1900000000,
        "max_evidence_age_s": 300,
        "allow_evaluation": False,
        "any_model": False,
        "roots": [{"platform": "nitro", "name": "aws-nitro-root-g1", "der": root,
                   "evaluation": False}],
        "measurements": [{"platform": "nitro", "name": "blocky-2024-09-07",
                          "values": {i: bytes.fromhex(pcrs[str(i)]) for i in (0, 1, 2)}}],
        "models": [{"model_id": "golden-model",
                    "model_hash": hashlib.sha256(b"golden-model").digest()}],
    }
    protected = enc({1: -8, 3: "application/vnd.eml.policy.v1+cbor"})
    payload_bytes = enc(payload)
    to_be_signed = enc(["Signature1", protected, b"", payload_bytes])
    key = Ed25519PrivateKey.from_private_bytes(bytes([0x2A] * 32))
    signature = key.sign(to_be_signed)
    cose = enc(Tag(18, [protected, {}, payload_bytes, signature]))
    with open(os.path.join(here, "golden_policy.cose"), "wb") as f:
        f.write(cose)
    print(len(cose), hashlib.sha256(cose).hexdigest())


if __name__ == "__main__":
    main()
