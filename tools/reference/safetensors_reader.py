"""Minimal safetensors reader, written from the format description.

Independent of the C++ reader in src/model: an 8-byte little-endian header
length, a JSON header mapping tensor names to {dtype, shape, data_offsets}
(offsets relative to the end of the header), then the raw tensor bytes.
Only what the reference needs: F32, F16 and BF16, returned as numpy arrays.
"""
import json
import struct

import numpy as np


def _to_array(dtype, raw, shape):
    if dtype == "F32":
        return np.frombuffer(raw, dtype="<f4").reshape(shape)
    if dtype == "F16":
        return np.frombuffer(raw, dtype="<f2").astype(np.float32).reshape(shape)
    if dtype == "BF16":
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32).reshape(shape)
    raise ValueError(f"unsupported dtype {dtype}")


def read_safetensors(path):
    """Returns (tensors: dict name -> np.ndarray, metadata: dict)."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError("file shorter than the header length field")
    (header_len,) = struct.unpack("<Q", blob[:8])
    if 8 + header_len > len(blob):
        raise ValueError("header length past end of file")
    header = json.loads(blob[8:8 + header_len].decode("utf-8"))
    data = memoryview(blob)[8 + header_len:]
    metadata = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        if not 0 <= begin <= end <= len(data):
            raise ValueError(f"{name}: data_offsets out of range")
        tensors[name] = _to_array(info["dtype"], data[begin:end], info["shape"])
    return tensors, metadata
