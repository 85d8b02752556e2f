#!/usr/bin/env python3
"""Checks that what eml-host recorded holds no data key and no weight bytes.

The data key is recomputed independently of the C++ code: the manifest's
wrapped key is an eml-kms CiphertextBlob (docs/kms.md "CiphertextBlob
format"), opened here with the key material from eml-kms's state directory
(a white-box view that only a test has) and Python's `cryptography`.
The recordings (relay, KMS proxy, storage proxy) must contain neither the
32-byte key (raw, hex or base64) nor any 64-byte window taken every 1 MiB
of the plaintext weights. Exit status 0 when clean, 1 on a leak or an error.
"""
import argparse
import base64
import glob
import json
import os
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

BLOB_AAD_DOMAIN = b"eml-kms CiphertextBlob v1\x00"


def encode_context(context):
    out = struct.pack(">I", len(context))
    for k in sorted(context, key=lambda s: s.encode()):
        kb, vb = k.encode(), context[k].encode()
        out += struct.pack(">I", len(kb)) + kb + struct.pack(">I", len(vb)) + vb
    return out


def open_wrapped_key(manifest, kms_state, context):
    at = manifest.find(b"EKB1")
    if at < 0:
        raise ValueError("no eml-kms CiphertextBlob in the manifest")
    blob = manifest[at:]
    if blob[4] != 1:
        raise ValueError("unknown blob version")
    id_len = blob[5]
    key_id = blob[6:6 + id_len].decode()
    header_len = 18 + id_len
    nonce = blob[6 + id_len:header_len]
    sealed = blob[header_len:header_len + 32 + 16]  # a 32-byte data key and its tag
    with open(os.path.join(kms_state, "key-%s.json" % key_id)) as f:
        material = base64.b64decode(json.load(f)["Material"])
    aad = BLOB_AAD_DOMAIN + blob[:header_len] + encode_context(context)
    return AESGCM(material).decrypt(nonce, sealed, aad)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kms-state", required=True)
    p.add_argument("--manifest", required=True)
    p.add_argument("--model-id", required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--weights", required=True)
    p.add_argument("--recordings", required=True)
    a = p.parse_args()

    manifest = open(a.manifest, "rb").read()
    data_key = open_wrapped_key(manifest, a.kms_state,
                                {"model_id": a.model_id, "version": a.version})
    weights = open(a.weights, "rb").read()
    # A 64-byte window every 1 MiB past the header: any leaked run of 1 MiB
    # or more contains one. Runs of few distinct bytes prove nothing: skipped.
    windows = []
    for off in range(4096, len(weights) - 64, 1 << 20):
        w = weights[off:off + 64]
        if len(set(w)) > 8:
            windows.append(w)
    needles = {
        "data key (raw)": [data_key],
        "data key (hex)": [data_key.hex().encode(), data_key.hex().upper().encode()],
        "data key (base64)": [base64.b64encode(data_key)],
        "weights": windows,
    }
    files = sorted(glob.glob(os.path.join(a.recordings, "**", "*"), recursive=True))
    files = [f for f in files if os.path.isfile(f)]
    kinds = sorted({os.path.basename(f).split("-")[0] for f in files})
    total = sum(os.path.getsize(f) for f in files)
    leaks = 0
    for f in files:
        data = open(f, "rb").read()
        for what, values in needles.items():
            if any(v in data for v in values):
                print("LEAK: %s in %s" % (what, f))
                leaks += 1
    # The check must be able to fail: the manifest itself is public and its
    # bytes did cross the storage proxy.
    if not any(manifest[:256] in open(f, "rb").read() for f in files):
        print("control failed: the manifest is not in the recordings (are they complete?)")
        return 1
    if leaks:
        print("%d leak(s) in %d recorded files" % (leaks, len(files)))
        return 1
    print("recordings: %d files (%s), %d bytes; no data key, none of %d weight windows"
          % (len(files), ", ".join(kinds), total, len(windows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
