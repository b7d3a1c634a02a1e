"""PreTrainedModel: building a model from a checkpoint folder and writing one back.

Loading builds the module tree on the meta device (no memory, no random init),
memory-maps the safetensors file and makes its tensors the parameters, so the
weights exist once in RAM. Only weights the checkpoint lacks are initialised.
Also here: the few pieces every architecture shares (attention, activations, losses).
"""

import json
import logging
import math
import mmap
import os
import pickle
import re
import shutil
import sys
import zipfile

import torch
import torch.nn.functional as F
from torch import nn

from .configuration import CONFIG_NAME, _read_json
from .hub import pop_hub_kwargs, resolve_file

logger = logging.getLogger(__name__)

WEIGHTS_NAME = "model.safetensors"
WEIGHTS_INDEX_NAME = "model.safetensors.index.json"
PICKLE_WEIGHTS_NAME = "pytorch_model.bin"

# safetensors dtype codes
_ST_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}
# checkpoints written before LayerNorm weights were called weight/bias (TensorFlow names)
_LEGACY_RENAMES = (("LayerNorm.gamma", "LayerNorm.weight"), ("LayerNorm.beta", "LayerNorm.bias"))


class PreTrainedModel(nn.Module):
    config_class = None
    base_model_prefix = ""  # attribute holding the bare model inside a model with a head
    # tied parameter -> the parameter it shares storage with; the tied one is not saved
    _tied_weights_keys = {}
    # checkpoint keys that are neither loaded nor reported (old checkpoints stored position ids)
    _keys_to_ignore_on_load_unexpected = (r"(^|\.)position_ids$",)

    def __init__(self, config):
        super().__init__()
        self.config = config

    @property
    def base_model(self):
        return getattr(self, self.base_model_prefix, self)

    @property
    def device(self):
        return next(self.parameters()).device

    @property
    def dtype(self):
        return next(p.dtype for p in self.parameters() if p.is_floating_point())

    def _outputs(self, output_attentions, output_hidden_states, return_dict):
        """The forward flags, each falling back to the config's value when not given."""
        config = self.config
        return (config.output_attentions if output_attentions is None else output_attentions,
                config.output_hidden_states if output_hidden_states is None else output_hidden_states,
                config.return_dict if return_dict is None else return_dict)

    def get_input_embeddings(self):
        return self.base_model.embeddings.word_embeddings

    def num_parameters(self):
        return sum(p.numel() for p in self.parameters())

    # --- initialisation and tying ------------------------------------------------------------------------------------

    def post_init(self):
        """Initialise every parameter and tie the output embeddings; called at the end of each model's __init__."""
        for module in self.modules():
            for name, param in module.named_parameters(recurse=False):
                self._init_weights(module, name, param)
        self.tie_weights()

    @torch.no_grad()
    def _init_weights(self, module, name, tensor):
        """Fill one parameter `tensor` (= `module.<name>`) as transformers does for a fresh weight."""
        if tensor.is_meta:
            return  # built for loading: the checkpoint fills it
        if isinstance(module, nn.LayerNorm) and name == "weight":
            tensor.fill_(1.0)
        elif isinstance(module, (nn.Linear, nn.Embedding)) and name == "weight":
            tensor.normal_(mean=0.0, std=self.config.initializer_range)
            if isinstance(module, nn.Embedding) and module.padding_idx is not None:
                tensor[module.padding_idx].zero_()
        else:  # biases, including the output bias of the MLM heads
            tensor.zero_()

    def _active_tied_keys(self):
        if self.config.tie_word_embeddings:
            return dict(self._tied_weights_keys)
        return {}  # untied: every head parameter is its own weight, saved and loaded as such

    def tie_weights(self):
        for target, source in self._active_tied_keys().items():
            module_name, _, attr = target.rpartition(".")
            setattr(self.get_submodule(module_name), attr, self.get_parameter(source))

    # --- loading -----------------------------------------------------------------------------------------------------

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *model_args, config=None, dtype=None, torch_dtype=None,
                        ignore_mismatched_sizes=False, output_loading_info=False, **kwargs):
        path = pretrained_model_name_or_path
        hub_kwargs = pop_hub_kwargs(kwargs)
        from_tf = kwargs.pop("from_tf", False)
        if config is None or isinstance(config, (str, os.PathLike)):  # a folder (or hub name) holding config.json
            config_path = path if config is None else config
            config = cls.config_class.from_dict(_read_json(resolve_file(config_path, CONFIG_NAME, **hub_kwargs)))
            config.name_or_path = str(config_path)
        # keyword arguments naming a config attribute override it (num_labels=10, output_attentions=True, ...)
        model_kwargs = {}
        for key, value in kwargs.items():
            if hasattr(config, key) or key in ("attn_implementation",):
                setattr(config, "_attn_implementation" if key == "attn_implementation" else key, value)
            else:
                model_kwargs[key] = value

        if from_tf:  # tf_model.h5 as transformers 4.x wrote it; h5py reads it, TensorFlow is not needed
            from .tf_checkpoint import load_tf_checkpoint

            state_dict = {key: torch.from_numpy(a) for key, a in load_tf_checkpoint(path, hub_kwargs).items()}
        else:
            state_dict = load_checkpoint(path, hub_kwargs)
        dtype = _resolve_dtype(dtype if dtype is not None else torch_dtype, config, state_dict)
        default_dtype = torch.get_default_dtype()
        torch.set_default_dtype(dtype)
        try:
            with torch.device("meta"):  # shapes only: the checkpoint supplies the memory
                model = cls(config, *model_args, **model_kwargs)
        finally:
            torch.set_default_dtype(default_dtype)
        info = model._load_state_dict(state_dict, dtype, ignore_mismatched_sizes)
        config.dtype = str(dtype).removeprefix("torch.")
        model.eval()
        _log_load_report(model, path, info, ignore_mismatched_sizes)
        return (model, info) if output_loading_info else model

    def _load_state_dict(self, state_dict, dtype, ignore_mismatched_sizes):
        expected = dict(self.named_parameters(remove_duplicate=False))
        tied = self._active_tied_keys()
        ignore = re.compile("|".join(self._keys_to_ignore_on_load_unexpected))
        loaded, unexpected, mismatched = {}, [], []
        for key, checkpoint_key, tensor in self._rename_checkpoint_keys(state_dict):
            if key in tied:
                continue  # old checkpoints store a copy of the tied weight; the source is the truth
            if key not in expected:
                if not ignore.search(key):
                    unexpected.append(checkpoint_key)  # reported under its name in the checkpoint
            elif tensor.shape != expected[key].shape:
                mismatched.append((key, tensor.shape, expected[key].shape))
            else:
                loaded[key] = tensor
        present = {*loaded, *(m[0] for m in mismatched)}
        missing = [key for key in expected if key not in present and tied.get(key, key) not in present]

        for key, tensor in loaded.items():
            if tensor.is_floating_point() and tensor.dtype != dtype:
                tensor = tensor.to(dtype)
            self._set_parameter(key, tensor)
        for key in [*missing, *(m[0] for m in mismatched)]:
            if key in tied:
                continue  # tie_weights points it at its source below
            meta = self.get_parameter(key)
            self._set_parameter(key, torch.empty(meta.shape, dtype=meta.dtype))
            module_name, _, name = key.rpartition(".")
            self._init_weights(self.get_submodule(module_name), name, self.get_parameter(key))
        self.tie_weights()
        return {"missing_keys": missing, "unexpected_keys": unexpected, "mismatched_keys": mismatched}

    def _rename_checkpoint_keys(self, state_dict):
        """(our key, checkpoint key, tensor) for each tensor: TF LayerNorm names mapped, and the base-model prefix
        added (bare checkpoint into a model with a head) or removed (head checkpoint into the bare model)."""
        prefix = self.base_model_prefix + "."
        has_head = self.base_model is not self
        checkpoint_has_prefix = any(key.startswith(prefix) for key in state_dict)
        for checkpoint_key, tensor in state_dict.items():
            key = checkpoint_key
            for old, new in _LEGACY_RENAMES:
                key = key.replace(old, new)
            if has_head and not checkpoint_has_prefix:
                key = prefix + key
            elif not has_head and checkpoint_has_prefix:
                key = key.removeprefix(prefix)
            yield key, checkpoint_key, tensor

    def _set_parameter(self, key, tensor):
        module_name, _, name = key.rpartition(".")
        module = self.get_submodule(module_name)
        module._parameters[name] = nn.Parameter(tensor, requires_grad=module._parameters[name].requires_grad)

    # --- saving ------------------------------------------------------------------------------------------------------

    def save_pretrained(self, save_directory, max_shard_size="50GB", **kwargs):
        """Write config.json and model.safetensors (or shards plus an index); nothing replaces old files until all
        new ones are complete."""
        from safetensors.torch import save_file

        if kwargs.get("safe_serialization", True) is False:
            raise ValueError("leanformers only writes safetensors checkpoints; drop safe_serialization=False.")
        if os.path.isfile(save_directory):
            raise ValueError(f"save_directory {save_directory!r} is a file; pass the path of a folder.")
        os.makedirs(save_directory, exist_ok=True)
        self.config.architectures = [type(self).__name__]
        self.config.dtype = str(self.dtype).removeprefix("torch.")
        tied = self._active_tied_keys()
        state = {k: v.detach().contiguous() for k, v in self.state_dict().items() if k not in tied}

        shards = _split_shards(state, _parse_size(max_shard_size))
        files = {}  # final name -> temporary name
        try:
            files[CONFIG_NAME] = _tmp_name(save_directory, CONFIG_NAME)
            with open(files[CONFIG_NAME], "w", encoding="utf-8") as f:
                f.write(self.config.to_json_string())
            if len(shards) == 1:
                names = [WEIGHTS_NAME]
            else:
                names = [f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))]
                index = {
                    "metadata": {"total_parameters": sum(t.numel() for t in state.values()),
                                 "total_size": sum(t.numel() * t.element_size() for t in state.values())},
                    "weight_map": {key: name for name, shard in zip(names, shards) for key in sorted(shard)},
                }
                files[WEIGHTS_INDEX_NAME] = _tmp_name(save_directory, WEIGHTS_INDEX_NAME)
                with open(files[WEIGHTS_INDEX_NAME], "w", encoding="utf-8") as f:
                    f.write(json.dumps(index, indent=2, sort_keys=True) + "\n")
            for name, shard in zip(names, shards):
                files[name] = _tmp_name(save_directory, name)
                save_file(shard, files[name], metadata={"format": "pt"})
        except BaseException:
            for tmp in files.values():
                if os.path.exists(tmp):
                    os.remove(tmp)
            raise
        for name, tmp in files.items():
            os.replace(tmp, os.path.join(save_directory, name))
        # weights of an earlier save that the new files do not replace would be read instead of (or with) them
        for name in os.listdir(save_directory):
            stale = name == WEIGHTS_INDEX_NAME or name == WEIGHTS_NAME or re.fullmatch(
                r"model-\d{5}-of-\d{5}\.safetensors", name)
            if stale and name not in files:
                os.remove(os.path.join(save_directory, name))


# --- checkpoint files ----------------------------------------------------------------------------------------------


def load_checkpoint(path, hub_kwargs):
    """All tensors of the checkpoint in `path`: model.safetensors, else the sharded index, else pytorch_model.bin."""
    single = resolve_file(path, WEIGHTS_NAME, required=False, **hub_kwargs)
    if single is not None:
        return read_safetensors(single)
    index_file = resolve_file(path, WEIGHTS_INDEX_NAME, required=False, **hub_kwargs)
    if index_file is not None:
        weight_map = _read_json(index_file).get("weight_map")
        if not isinstance(weight_map, dict):
            raise ValueError(f"{index_file} has no \"weight_map\" object; re-save the model with save_pretrained.")
        state_dict = {}
        for shard in sorted(set(weight_map.values())):
            state_dict.update(read_safetensors(resolve_file(path, shard, **hub_kwargs)))
        return state_dict
    pickled = resolve_file(path, PICKLE_WEIGHTS_NAME, required=False, **hub_kwargs)
    if pickled is not None:
        return read_pickled_weights(pickled)
    raise FileNotFoundError(
        f"No weights found for {os.fspath(path)!r}: expected {WEIGHTS_NAME}, {WEIGHTS_INDEX_NAME} or "
        f"{PICKLE_WEIGHTS_NAME}. Save the model there with save_pretrained, or point at the folder that has them."
    )


def read_safetensors(filename):
    """Memory-map a safetensors file: each tensor is a view of the file's pages (copy-on-write), not a copy."""
    size = os.path.getsize(filename)

    def corrupt(why):
        return ValueError(f"{filename} is not a valid safetensors file ({why}). The file is truncated or damaged; "
                          "download or save it again.")

    with open(filename, "rb") as f:
        if size < 8:
            raise corrupt(f"only {size} bytes")
        header_len = int.from_bytes(f.read(8), "little")
        if 8 + header_len > size:
            raise corrupt(f"header of {header_len} bytes runs past the end of the {size}-byte file")
        try:
            header = json.loads(f.read(header_len))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise corrupt(f"header is not JSON: {err}") from None
        buffer = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY) if size > 8 + header_len else b""
    data_start = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype = _ST_DTYPES[info["dtype"]]
            shape = [int(d) for d in info["shape"]]
            begin, end = (int(x) for x in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise corrupt(f"bad header entry for {name!r}: {info!r}") from None
        numel = math.prod(shape)
        if end - begin != numel * dtype.itemsize or begin < 0 or data_start + end > size:
            raise corrupt(f"tensor {name!r} claims bytes {begin}..{end} but the file has {size - data_start} "
                          "data bytes")
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


def _resolve_dtype(dtype, config, state_dict):
    if dtype is None or dtype == "auto":  # transformers 5 loads in the checkpoint's dtype by default
        if config.dtype is not None:
            dtype = config.dtype
        else:
            dtype = next((t.dtype for t in state_dict.values() if t.is_floating_point()), torch.float32)
    if isinstance(dtype, str):
        if not isinstance(getattr(torch, dtype, None), torch.dtype):
            raise ValueError(f"dtype={dtype!r} is not a torch dtype; use e.g. 'float32', 'float16', 'bfloat16' "
                             "or 'auto'.")
        dtype = getattr(torch, dtype)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ValueError(f"dtype={dtype!r} must be a floating point torch dtype (or 'auto').")
    return dtype


def _parse_size(size):
    if isinstance(size, int):
        return size
    units = {"GIB": 2**30, "MIB": 2**20, "KIB": 2**10, "GB": 10**9, "MB": 10**6, "KB": 10**3, "B": 1}
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*", str(size))
    if match is None or match.group(2).upper() not in units:
        raise ValueError(f"max_shard_size={size!r} is not a size; use an int (bytes) or a string like '5GB' or "
                         "'500MB'.")
    return int(float(match.group(1)) * units[match.group(2).upper()])


def _split_shards(state, max_bytes):
    shards, current, current_size = [], {}, 0
    for key, tensor in state.items():
        nbytes = tensor.numel() * tensor.element_size()
        if current and current_size + nbytes > max_bytes:
            shards.append(current)
            current, current_size = {}, 0
        current[key] = tensor
        current_size += nbytes
    return shards + [current]


def _tmp_name(folder, name):
    return os.path.join(folder, f".{name}.{os.getpid()}.tmp")


# --- the load report -----------------------------------------------------------------------------------------------


def _log_load_report(model, path, info, ignore_mismatched_sizes):
    """Log weights the checkpoint had but the model did not use, and weights newly initialised, in the layout of
    transformers 5's load report (one warning), then refuse shape mismatches unless they were allowed."""
    notes, rows = "\n\nNotes:", []
    if info["unexpected_keys"]:
        notes += f"\n- {_style('UNEXPECTED:', 33)}\t" + _style(
            "can be ignored when loading from different task/architecture; not ok if you expect identical arch.", 3)
        rows += [[key, _style("UNEXPECTED", 33), "", ""] for key in _group_layers(info["unexpected_keys"])]
    if info["missing_keys"]:
        notes += f"\n- {_style('MISSING:', 31)}\t" + _style(
            "those params were newly initialized because missing from the checkpoint. Consider training on your "
            "downstream task.", 3)
        rows += [[key, _style("MISSING", 31), ""] for key in _group_layers(info["missing_keys"])]
    if info["mismatched_keys"]:
        notes += f"\n- {_style('MISMATCH:', 33)}\t" + _style(
            "ckpt weights were loaded, but they did not match the original empty weight shapes.", 3)
        shapes = {key: (ckpt, ours) for key, ckpt, ours in info["mismatched_keys"]}
        for key, (ckpt, ours) in _group_layers(shapes).items():
            rows.append([key, _style("MISMATCH", 33), f"Reinit due to size mismatch - ckpt: {ckpt} vs model:{ours}"])
    if rows:
        wide = shutil.get_terminal_size().columns > 200
        headers = ["Key", "Status", "Details"] if wide else ["Key", "Status", "", ""]
        prelude = f"\x1b[1m{type(model).__name__} LOAD REPORT\x1b[0m from: {path}\n"  # bold even off a terminal
        logger.warning(prelude + _table(rows, headers) + notes)
    if info["mismatched_keys"] and not ignore_mismatched_sizes:
        names = ", ".join(key for key, _, _ in info["mismatched_keys"])
        raise RuntimeError(
            f"The checkpoint at {path} does not fit {type(model).__name__} built from its config: {names} have other "
            "shapes (see the load report above). Fix config.json to match the weights, or pass "
            "ignore_mismatched_sizes=True to re-initialise those weights."
        )


def _group_layers(keys):
    """Merge keys that differ only in layer numbers: encoder.layer.0.x, encoder.layer.1.x -> encoder.layer.{0, 1}.x.
    A dict is grouped by equal values and keeps them; a list becomes a sorted list."""
    values = keys if isinstance(keys, dict) else dict.fromkeys(keys)
    groups = {}  # (pattern, value) -> list of the number sets at each position
    for key in sorted(values):
        numbers = re.findall(r"(?<=\.)(\d+)(?=\.|$)", key)
        slots = groups.setdefault((re.sub(r"(?<=\.)(\d+)(?=\.|$)", "*", key), values[key]), [set() for _ in numbers])
        for slot, number in zip(slots, numbers):
            slot.add(int(number))
    merged = {}
    for (pattern, value), slots in groups.items():
        parts = pattern.split("*")
        name = parts[0]
        for slot, part in zip(slots, parts[1:]):
            ordered = sorted(slot)
            if len(ordered) == 1:
                name += str(ordered[0])
            elif len(ordered) > 10:
                name += "{" + f"{ordered[0]}...{ordered[-1]}" + "}"
            else:
                name += "{" + ", ".join(map(str, ordered)) + "}"
            name += part
        merged[name] = value
    return merged if isinstance(keys, dict) else list(merged)


def _style(text, code):
    # colours only on a terminal, as transformers does
    return f"\x1b[{code}m{text}\x1b[0m" if sys.stdout is not None and sys.stdout.isatty() else text


def _table(rows, headers):
    # widths ignore colour codes; zip stops at the shortest row, so a 3-cell row trims every line to 3 columns
    plain = lambda s: re.sub(r"\x1b\[[0-9;]*m", "", s)  # noqa: E731
    widths = [max(len(plain(cell)) for cell in column) for column in zip(headers, *rows)]
    line = lambda cells: " | ".join(c + " " * (w - len(plain(c))) for c, w in zip(cells, widths))  # noqa: E731
    return "\n".join([line(headers), "-+-".join("-" * w for w in widths), *map(line, rows)])


# --- pieces every architecture uses --------------------------------------------------------------------------------

ACTIVATIONS = {
    "gelu": F.gelu,
    "relu": F.relu,
    "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "silu": F.silu,
    "swish": F.silu,
    "tanh": torch.tanh,
}


def activation(name):
    if name not in ACTIVATIONS:
        raise ValueError(f"Activation {name!r} from the config is not supported; use one of {sorted(ACTIVATIONS)}.")
    return ACTIVATIONS[name]


# Why in place: at batch 32 x 128 tokens each feed-forward activation is a fresh 25 MB tensor, and a fresh
# allocation that size comes from the kernel as new pages, faulted in and zeroed on first touch. Writing the
# activation and the residual sum into the tensor the layer just made halves those allocations; the numbers
# are the same. Only without autograd: backward needs the values an in-place op overwrites.
_IN_PLACE = {F.gelu: torch.ops.aten.gelu_, F.relu: F.relu_, F.silu: lambda x: F.silu(x, inplace=True),
             torch.tanh: torch.tanh_}


def activate_fresh(act, x):
    """act(x), where x is an activation the caller just made and holds no other reference to."""
    if act in _IN_PLACE and not torch.is_grad_enabled():
        return _IN_PLACE[act](x)
    return act(x)


def add_fresh(x, residual):
    """x + residual, where x is an activation the caller just made and holds no other reference to."""
    return x + residual if torch.is_grad_enabled() else x.add_(residual)


def embedding(num_embeddings, dim, padding_idx=None):
    """nn.Embedding without its own random init: post_init initialises every parameter anyway, and on the meta
    device (from_pretrained) nn.Embedding's normal_ would import torch's meta kernels, about 70 MiB of RAM."""
    return nn.Embedding(num_embeddings, dim, padding_idx=padding_idx, _weight=torch.empty(num_embeddings, dim))


def additive_mask(attention_mask, dtype):
    """(B, T) of 1 = token, 0 = padding -> (B, 1, 1, T) added to attention scores, or None when nothing is masked."""
    if attention_mask is None or bool(attention_mask.all()):
        return None
    return (1.0 - attention_mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


def attend(q, k, v, mask, dropout_p, output_attentions):
    """Scaled dot-product attention over heads. q, k, v: (B, H, T, D). Returns (B, T, H*D) and the probabilities
    (B, H, T, T) when asked for, which needs the explicit path; otherwise torch's fused kernel."""
    if output_attentions:
        att = (q @ k.transpose(-2, -1)) * q.size(-1) ** -0.5
        if mask is not None:
            att = att + mask
        att = F.softmax(att, dim=-1)
        if dropout_p > 0:  # the returned probabilities are the dropped-out ones, as in transformers
            att = F.dropout(att, p=dropout_p)
        y = att @ v
    else:
        att = None
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
    B, H, T, D = y.shape
    return y.transpose(1, 2).reshape(B, T, H * D), att


def run_layers(layers, x, mask, output_attentions, output_hidden_states):
    """Apply encoder layers in turn. Returns the last hidden state, the hidden states (embeddings first, then each
    layer's output) and the attention probabilities of each layer, the last two only when asked for."""
    hidden_states = (x,) if output_hidden_states else None  # kept only when asked: they hold memory
    attentions = () if output_attentions else None
    for layer in layers:
        x, att = layer(x, mask, output_attentions)
        if output_hidden_states:
            hidden_states += (x,)
        if output_attentions:
            attentions += (att,)
    return x, hidden_states, attentions


def check_length(seq_len, limit, name="input_ids"):
    if seq_len > limit:
        raise ValueError(
            f"{name} has sequence length {seq_len}, but the model has position embeddings for {limit} tokens "
            f"(max_position_embeddings). Truncate the input, e.g. tokenizer(..., truncation=True, max_length={limit})."
        )


def sequence_classification_loss(config, logits, labels):
    """The loss of a sequence classifier, chosen by config.problem_type and set on first use as transformers does."""
    num_labels = logits.size(-1)
    if config.problem_type is None:
        if num_labels == 1:
            config.problem_type = "regression"
        elif labels.dtype in (torch.long, torch.int):
            config.problem_type = "single_label_classification"
        else:
            config.problem_type = "multi_label_classification"
    if config.problem_type == "regression":
        return F.mse_loss(logits.squeeze(), labels.squeeze()) if num_labels == 1 else F.mse_loss(logits, labels)
    if config.problem_type == "single_label_classification":
        return F.cross_entropy(logits.view(-1, num_labels), labels.view(-1))
    return F.binary_cross_entropy_with_logits(logits, labels)


def token_loss(logits, labels):
    """Cross-entropy per token; label -100 marks tokens to ignore (padding, sub-words)."""
    return F.cross_entropy(logits.view(-1, logits.size(-1)), labels.view(-1))


def span_loss(start_logits, end_logits, start_positions, end_positions):
    """Question answering: mean of start and end cross-entropy; positions outside the input are clamped to T and
    ignored."""
    if start_positions.dim() > 1:
        start_positions = start_positions.squeeze(-1)
    if end_positions.dim() > 1:
        end_positions = end_positions.squeeze(-1)
    ignored = start_logits.size(1)
    start_positions = start_positions.clamp(0, ignored)
    end_positions = end_positions.clamp(0, ignored)
    start = F.cross_entropy(start_logits, start_positions, ignore_index=ignored)
    end = F.cross_entropy(end_logits, end_positions, ignore_index=ignored)
    return (start + end) / 2
