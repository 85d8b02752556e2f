#!/usr/bin/python3
"""Independent computation of the worked example in docs/protocol.md section 8.

Written from RFC 9180 and docs/protocol.md with Python's hashlib/hmac and the
`cryptography` package (X25519, AES-GCM); it shares no code with src/. The C++
test src/protocol/worked_example_test.cc pins the values this prints.
Usage: /usr/bin/python3 tools/reference/protocol_example.py
"""
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives import serialization


def raw_public(private):
    return private.public_key().public_bytes(serialization.Encoding.Raw,
                                             serialization.PublicFormat.Raw)


def extract(salt, ikm):
    return hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()


def expand(prk, info, length):
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def labeled_extract(suite, salt, label, ikm):
    return extract(salt, b"HPKE-v1" + suite + label + ikm)


def labeled_expand(suite, prk, label, info, length):
    return expand(prk, struct.pack(">H", length) + b"HPKE-v1" + suite + label + info, length)


def frame(frame_type, payload):
    return b"EM\x01" + bytes([frame_type]) + struct.pack(">I", len(payload)) + payload


def cbor_head(major, n):
    if n < 24:
        return bytes([(major << 5) | n])
    if n < 256:
        return bytes([(major << 5) | 24, n])
    return bytes([(major << 5) | 25]) + struct.pack(">H", n)


def tstr(s):
    return cbor_head(3, len(s)) + s.encode()


def bstr(b):
    return cbor_head(2, len(b)) + b


def main():
    challenge = bytes(range(32))
    hello = frame(0x01, b"\x01\x01" + challenge)
    evidence = b"example evidence"
    model_hash = b"\x42" * 32
    server_map = (cbor_head(5, 6) + b"\x01" + tstr("nitro") + b"\x02" + bstr(evidence) +
                  b"\x03" + tstr("minilm-l6") + b"\x04" + tstr("1") + b"\x05" + bstr(model_hash) +
                  b"\x06" + tstr("sha256-manifest"))
    server = frame(0x02, server_map)
    transcript_hash = hashlib.sha256(hello + server).digest()
    info = b"eml/1 session" + transcript_hash

    sk_r = X25519PrivateKey.from_private_bytes(b"\x11" * 32)
    sk_e = X25519PrivateKey.from_private_bytes(b"\x22" * 32)
    pk_r, enc = raw_public(sk_r), raw_public(sk_e)
    dh = sk_e.exchange(X25519PublicKey.from_public_bytes(pk_r))
    kem_suite = b"KEM" + struct.pack(">H", 0x0020)
    eae_prk = labeled_extract(kem_suite, b"", b"eae_prk", dh)
    shared_secret = labeled_expand(kem_suite, eae_prk, b"shared_secret", enc + pk_r, 32)

    suite = b"HPKE" + struct.pack(">HHH", 0x0020, 0x0001, 0x0002)
    psk_id_hash = labeled_extract(suite, b"", b"psk_id_hash", b"")
    info_hash = labeled_extract(suite, b"", b"info_hash", info)
    context = b"\x00" + psk_id_hash + info_hash
    secret = labeled_extract(suite, shared_secret, b"secret", b"")
    exporter = labeled_expand(suite, secret, b"exp", context, 32)

    def export(label, length):
        return labeled_expand(suite, exporter, b"sec", label, length)

    keys = {name: export(("eml/1 " + name).encode(), 32 if name.endswith("key") else 12)
            for name in ("c2s key", "c2s iv", "s2c key", "s2c iv")}

    request = (cbor_head(5, 3) + b"\x01" + tstr("embed") + b"\x02" + bstr(b"\x33" * 16) +
               b"\x03" + cbor_head(4, 1) + tstr("hello world"))
    header = b"EM\x01\x10" + struct.pack(">I", len(request) + 16)
    nonce = keys["c2s iv"]  # sequence 0: iv XOR 0
    record = header + AESGCM(keys["c2s key"]).encrypt(nonce, request, header)
    # The same request again as record 1: the nonce is iv XOR the big-endian
    # sequence number in its last 8 bytes.
    nonce1 = keys["c2s iv"][:4] + (int.from_bytes(keys["c2s iv"][4:], "big") ^ 1).to_bytes(8, "big")
    record1 = header + AESGCM(keys["c2s key"]).encrypt(nonce1, request, header)

    rows = [("client_hello_frame", hello), ("server_evidence_frame", server),
            ("transcript_hash", transcript_hash), ("enclave_session_public_key", pk_r),
            ("enc", enc), ("shared_secret", shared_secret), ("exporter_secret", exporter)]
    rows += [(name.replace(" ", "_"), value) for name, value in keys.items()]
    rows += [("request_plaintext", request), ("first_request_record", record),
             ("second_request_record", record1)]
    for name, value in rows:
        print(f"{name} = {value.hex()}")


if __name__ == "__main__":
    main()
