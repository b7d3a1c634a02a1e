"""Crafted safetensors headers are refused with an error naming the file (issue 21: hand-written reader).

Each file is built here byte by byte; the safetensors library is the oracle for what is valid: what its own
loader refuses, leanformers refuses, and what it loads, leanformers loads to the same tensors.
"""

import json
import struct

import pytest
import torch
from safetensors.torch import load_file, save_file

from leanformers.modeling.checkpoint import read_safetensors

F32 = {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}


def safetensors_bytes(header, data, header_len=None):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text) if header_len is None else header_len) + text + data


CRAFTED = {
    "header is a JSON list": safetensors_bytes([F32], b"\0" * 4),
    "negative shape": safetensors_bytes({"a": {**F32, "shape": [-1]}}, b"\0" * 4),
    "two tensors over the same bytes": safetensors_bytes({"a": F32, "b": F32}, b"\0" * 4),
    "a gap before the tensor": safetensors_bytes({"a": {**F32, "data_offsets": [4, 8]}}, b"\0" * 8),
    "bytes after the last tensor": safetensors_bytes({"a": F32}, b"\0" * 8),
    "size disagrees with the shape": safetensors_bytes({"a": {**F32, "shape": [2]}}, b"\0" * 4),
    "metadata value not a string": safetensors_bytes({"__metadata__": {"format": 1}, "a": F32}, b"\0" * 4),
    "header length past the end": safetensors_bytes({"a": F32}, b"\0" * 4, header_len=10**6),
    "entry without dtype": safetensors_bytes({"a": {"shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4),
}


@pytest.mark.parametrize("damage", CRAFTED)
def test_crafted_header_is_refused_as_the_library_refuses_it(tmp_path, damage):
    path = tmp_path / "model.safetensors"
    path.write_bytes(CRAFTED[damage])
    with pytest.raises(Exception):
        load_file(path)  # the reference refuses it too
    with pytest.raises(ValueError, match=r"model\.safetensors is not a valid safetensors file \(.+\)\. The file is"):
        read_safetensors(path)


def test_dtype_leanformers_cannot_hold_is_named(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(safetensors_bytes({"a": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}}, b"\0"))
    with pytest.raises(ValueError, match="tensor 'a' has dtype F8_E4M3, which leanformers cannot load"):
        read_safetensors(path)


def test_valid_files_load_the_same_tensors_as_the_library(tmp_path):
    generator = torch.Generator().manual_seed(0)
    tensors = {"f32": torch.randn(3, 5, generator=generator), "f16": torch.randn(7, generator=generator).half(),
               "bf16": torch.randn(2, 2, generator=generator).bfloat16(), "i64": torch.arange(6).view(2, 3),
               "bool": torch.tensor([True, False, True]), "empty": torch.zeros(0, 4), "scalar": torch.tensor(2.5)}
    path = tmp_path / "model.safetensors"
    save_file(tensors, path, metadata={"format": "pt"})
    expected, ours = load_file(path), read_safetensors(path)
    assert ours.keys() == expected.keys()
    for name, tensor in expected.items():
        assert ours[name].dtype == tensor.dtype and ours[name].shape == tensor.shape and ours[name].equal(tensor), name
