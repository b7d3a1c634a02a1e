"""Reading checkpoint files: safetensors memory-mapped, torch pickles through the weights-only unpickler."""

import json
import math
import mmap
import os
import pickle
import zipfile

import torch

from ..hub import resolve_weights

# safetensors dtype codes
_ST_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}


def load_checkpoint(path, hub_kwargs):
    """All tensors of the checkpoint in `path`, from the files hub.resolve_weights picks (one file or the shards of
    an index; safetensors before torch pickles)."""
    state_dict = {}
    for filename in resolve_weights(path, **hub_kwargs):
        state_dict.update(read_safetensors(filename) if filename.endswith(".safetensors")
                          else read_pickled_weights(filename))
    return state_dict


def read_safetensors(filename):
    """Memory-map a safetensors file: each tensor is a view of the file's pages (copy-on-write), not a copy.

    The safetensors library validates the file first (its header is an object of well-formed entries, the
    tensors tile the data bytes exactly, with no overlap, gap or tail); only then are the views made."""
    from safetensors import SafetensorError, safe_open

    def corrupt(why):
        return ValueError(f"{filename} is not a valid safetensors file ({why}). The file is truncated or damaged; "
                          "download or save it again.")

    try:
        with safe_open(filename, framework="pt"):
            pass
    except SafetensorError as err:
        raise corrupt(str(err)) from None
    with open(filename, "rb") as f:
        data_start = 8 + int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(data_start - 8))
        has_data = os.fstat(f.fileno()).st_size > data_start
        buffer = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY) if has_data else b""
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _ST_DTYPES.get(info["dtype"])
        if dtype is None:
            raise corrupt(f"tensor {name!r} has dtype {info['dtype']}, which leanformers cannot load; supported: "
                          f"{', '.join(_ST_DTYPES)}")
        shape, (begin, _) = info["shape"], info["data_offsets"]
        numel = math.prod(shape)
        if numel == 0:
            tensors[name] = torch.empty(shape, dtype=dtype)
        else:
            tensors[name] = torch.frombuffer(buffer, dtype=dtype, count=numel, offset=data_start + begin).view(shape)
    return tensors


def read_pickled_weights(filename):
    """Read pytorch_model.bin with torch's weights-only unpickler: anything but tensors is refused, never run."""
    try:
        state_dict = torch.load(filename, map_location="cpu", weights_only=True, mmap=zipfile.is_zipfile(filename))
    except pickle.UnpicklingError as err:
        raise OSError(
            f"{filename} holds pickled Python objects other than tensors, so it was not loaded (its code was not "
            f"run). Only plain state dicts are accepted; convert the checkpoint to model.safetensors with the tool "
            f"that made it. Detail: {str(err).splitlines()[-1] if str(err) else err!r}"
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile) as err:
        raise OSError(f"{filename} could not be read as a torch checkpoint ({err}); it may be truncated.") from None
    if not isinstance(state_dict, dict) or not all(isinstance(v, torch.Tensor) for v in state_dict.values()):
        raise OSError(f"{filename} does not hold a dict of tensors; save the model with save_pretrained.")
    return state_dict
