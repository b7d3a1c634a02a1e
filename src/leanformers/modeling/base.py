"""PreTrainedModel: building a model from a checkpoint folder and writing one back.

Loading builds the module tree on the meta device (no memory, no random init),
memory-maps the safetensors file (checkpoint.py) and makes its tensors the parameters,
so the weights exist once in RAM. Only weights the checkpoint lacks are initialised;
report.py logs what was missing, unused or of another shape.
"""

import functools
import inspect
import logging
import os
import re

import torch
from torch import nn

from ..configuration import CONFIG_NAME
from ..conventions import IGNORED_CHECKPOINT_KEYS, LEGACY_RENAMES
from ..hub import pop_hub_kwargs, resolve_file
from ..utils.files import atomic_files, json_text, make_save_directory
from . import inputs
from .checkpoint import load_checkpoint
from .report import log_load_report

WEIGHTS_NAME = "model.safetensors"
WEIGHTS_INDEX_NAME = "model.safetensors.index.json"


class PreTrainedModel(nn.Module):
    """The base of every torch model: built from its config, saved and loaded as transformers does.

    >>> import tempfile
    >>> from leanformers import BertConfig, BertForSequenceClassification
    >>> config = BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37)
    >>> model = BertForSequenceClassification(config)   # random weights; from_pretrained gives trained ones
    >>> folder = tempfile.mkdtemp()
    >>> model.save_pretrained(folder)
    >>> BertForSequenceClassification.from_pretrained(folder).config.num_labels
    2
    """

    config_class = None
    base_model_prefix = ""  # attribute holding the bare model inside a model with a head
    # tied parameter -> the parameter it shares storage with; the tied one is not saved
    _tied_weights_keys = {}
    # checkpoint keys that are neither loaded nor reported (old checkpoints stored position ids)
    _keys_to_ignore_on_load_unexpected = (IGNORED_CHECKPOINT_KEYS,)
    # forward argument holding ids -> the config field its ids must lie below (a field the config lacks: unchecked)
    _input_id_limits = {"input_ids": "vocab_size", "decoder_input_ids": "vocab_size",
                        "token_type_ids": "type_vocab_size"}

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.name_or_path = config.name_or_path  # what from_pretrained loaded, as transformers names it

    def __call__(self, *args, **kwargs):
        """forward(), its inputs checked first (inputs.py) unless an outer model call checked them already."""
        if not inputs.checking():
            return super().__call__(*args, **kwargs)
        inputs.check_inputs(self, {**dict(zip(inputs.argument_names(type(self)), args)), **kwargs})
        with inputs.unchecked():
            return super().__call__(*args, **kwargs)

    @property
    def base_model(self):
        return getattr(self, self.base_model_prefix, self)

    @property
    def device(self):
        return next(self.parameters()).device

    @property
    def dtype(self):
        return next(p.dtype for p in self.parameters() if p.is_floating_point())

    @property
    def forward_input_names(self):
        """The argument names forward() accepts, or None when it takes any keyword (**kwargs)."""
        return forward_input_names(self)

    def unquantized_modules(self):
        """What int8 quantization keeps in float32: the head (the children other than the base model) and the base
        model's pooler. They cost almost nothing and their error would go straight into the logits."""
        base = self.base_model
        pooler = getattr(base, "pooler", None)
        return [module for module in self.children() if module is not base] + ([pooler] if pooler is not None else [])

    def get_input_embeddings(self):
        return self.base_model.embeddings.word_embeddings

    def get_output_embeddings(self):
        """The layer mapping hidden states to vocabulary logits, or None for a model without one."""
        head = getattr(self, "lm_head", None)
        return head if isinstance(head, nn.Linear) else None

    @property
    def num_labels(self):
        return self.config.num_labels

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

    def _unsaved_keys(self):
        """The tied parameters save_pretrained leaves out (loading ties them back)."""
        return self._active_tied_keys()

    def tie_weights(self):
        for target, source in self._active_tied_keys().items():
            module_name, _, attr = target.rpartition(".")
            setattr(self.get_submodule(module_name), attr, self.get_parameter(source))

    # --- resizing the vocabulary -------------------------------------------------------------------------------------

    # names of other tensors with one entry per token along their last axis, cut or zero-padded with the vocabulary
    _vocab_sized_tensors = ()

    @torch.no_grad()
    def resize_token_embeddings(self, new_num_tokens=None, pad_to_multiple_of=None, mean_resizing=True):
        """Give the model `new_num_tokens` tokens (rounded up to a multiple of `pad_to_multiple_of`), as transformers
        does: kept rows unchanged, new ones drawn around the old rows' mean and covariance (`mean_resizing`) or
        initialised as a fresh model's; the output layer, its bias and config.vocab_size follow. Returns the input
        embedding.

        >>> from leanformers import GPT2Config, GPT2LMHeadModel
        >>> model = GPT2LMHeadModel(GPT2Config(vocab_size=99, n_embd=16, n_layer=1, n_head=2))
        >>> model.resize_token_embeddings(101, pad_to_multiple_of=8)
        Embedding(104, 16)
        >>> model.config.vocab_size, model.lm_head.weight is model.transformer.wte.weight
        (104, True)
        """
        embeddings = self.get_input_embeddings()
        if pad_to_multiple_of is not None:
            if not isinstance(pad_to_multiple_of, int):
                raise ValueError(f"pad_to_multiple_of must be an integer, not {pad_to_multiple_of!r}.")
            size = embeddings.weight.shape[0] if new_num_tokens is None else new_num_tokens
            new_num_tokens = -(-size // pad_to_multiple_of) * pad_to_multiple_of
        if new_num_tokens is None:
            return embeddings
        head = self.get_output_embeddings()
        head_is_tied = head is not None and head.weight is embeddings.weight
        resized = self._resized_rows(embeddings, new_num_tokens, mean_resizing)
        if head is not None and not head_is_tied:
            resized.update(self._resized_rows(head, new_num_tokens, mean_resizing))
        elif head is not None and head.bias is not None:  # a tied head's own bias is cut or padded with zeros
            resized[head.bias] = nn.Parameter(_zero_padded(head.bias, new_num_tokens), head.bias.requires_grad)
        for name in self._vocab_sized_tensors:
            old = getattr(self, name)
            resized[old] = nn.Parameter(_zero_padded(old, new_num_tokens), old.requires_grad)
        self._replace_parameters(resized)
        embeddings.num_embeddings = new_num_tokens
        if embeddings.padding_idx is not None and embeddings.padding_idx >= new_num_tokens:
            embeddings.padding_idx = None
        if head is not None:
            head.out_features = new_num_tokens
        self.config.vocab_size = new_num_tokens
        self.tie_weights()
        return self.get_input_embeddings()

    def _resized_rows(self, module, num_tokens, mean_resizing):
        """{old parameter: new one} for an nn.Embedding or nn.Linear with one row per token given `num_tokens` rows.
        A fresh module of the new size is built as transformers builds it (so a seeded call draws the same numbers),
        its added rows initialised, then the kept rows copied in."""
        weight, bias = module.weight, getattr(module, "bias", None)
        old_num_tokens, dim = weight.shape
        if old_num_tokens == num_tokens:
            return {}
        where = dict(device=weight.device, dtype=weight.dtype)
        fresh = (nn.Embedding(num_tokens, dim, **where) if isinstance(module, nn.Embedding)
                 else nn.Linear(dim, num_tokens, bias=bias is not None, **where))
        added = num_tokens - old_num_tokens
        if added > 0 and not mean_resizing:
            for name, param in fresh.named_parameters():
                self._init_weights(fresh, name, param)
        elif added > 0:
            _say_mean_resizing()
            fresh.weight[old_num_tokens:] = _drawn_around_mean(weight, added)
            if bias is not None:
                fresh.bias[old_num_tokens:].normal_(mean=bias.float().mean().item(),
                                                    std=1e-9 * bias.std().float().item())
        kept = min(old_num_tokens, num_tokens)
        fresh.weight[:kept] = weight[:kept]
        resized = {weight: nn.Parameter(fresh.weight.data, weight.requires_grad)}
        if bias is not None:
            fresh.bias[:kept] = bias[:kept]
            resized[bias] = nn.Parameter(fresh.bias.data, bias.requires_grad)
        return resized

    def _replace_parameters(self, resized):
        """Put each new parameter wherever its old one was (tied places included). A declared twin that is not tied
        (an untied MLM head's `bias` beside its decoder's) gets a copy, so the two stay equal and saved apart."""
        declared = {**self._tied_weights_keys, **self._active_tied_keys()}
        twins = {}
        for target, source in declared.items():
            old_target, old_source = self.get_parameter(target), self.get_parameter(source)
            if old_target in resized and old_source is not old_target and old_source not in resized:
                twins[old_source] = nn.Parameter(resized[old_target].detach().clone(), old_source.requires_grad)
        resized = {**resized, **twins}
        for module in self.modules():
            for name, param in module._parameters.items():
                if param is not None and param in resized:
                    module._parameters[name] = resized[param]

    # --- loading -----------------------------------------------------------------------------------------------------

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *model_args, config=None, dtype=None, torch_dtype=None,
                        ignore_mismatched_sizes=False, output_loading_info=False, device_map=None, **kwargs):
        """The model in a folder, or on the Hub by name ("distilbert-base-uncased", cached after the first download).

        Keyword arguments that name a config field override it (num_labels=3); weights of the wrong shape raise
        unless ignore_mismatched_sizes=True; from_tf=True reads tf_model.h5; `device_map` names the one device the
        model goes to (see `single_device`). Missing, unexpected and re-initialised weights are logged in a load
        report, as transformers does.

        >>> import tempfile
        >>> from leanformers import BertConfig, BertModel
        >>> folder = tempfile.mkdtemp()
        >>> BertModel(BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2)).save_pretrained(folder)
        >>> BertModel.from_pretrained(folder, output_attentions=True).config.output_attentions
        True
        """
        path = pretrained_model_name_or_path
        hub_kwargs = pop_hub_kwargs(kwargs)
        from_tf = kwargs.pop("from_tf", False)
        if config is None or isinstance(config, (str, os.PathLike)):  # a folder (or hub name) holding config.json
            config_path = path if config is None else config
            config = cls.config_class.from_json_file(resolve_file(config_path, CONFIG_NAME, **hub_kwargs))
        config.name_or_path = str(path)  # the model's name or folder, also when the config came from elsewhere
        # keyword arguments naming a config attribute override it (num_labels=10, output_attentions=True, ...)
        model_kwargs = {}
        for key, value in kwargs.items():
            if hasattr(config, key) or key in ("attn_implementation",):
                setattr(config, "_attn_implementation" if key == "attn_implementation" else key, value)
            else:
                model_kwargs[key] = value

        if from_tf:  # tf_model.h5 as transformers 4.x wrote it; h5py reads it, TensorFlow is not needed
            from .h5_weights import load_tf_checkpoint

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
        if device_map is not None:
            model.to(single_device(device_map))
        log_load_report(model, path, info, ignore_mismatched_sizes)
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
            for old, new in LEGACY_RENAMES:
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
        """Write config.json and model.safetensors (or shards of at most `max_shard_size`, plus an index) to
        `save_directory`, made if missing; from_pretrained(save_directory) loads them back.

        >>> import os, tempfile
        >>> from leanformers import BertConfig, BertModel
        >>> folder = tempfile.mkdtemp()
        >>> BertModel(BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2)).save_pretrained(folder)
        >>> sorted(os.listdir(folder))
        ['config.json', 'model.safetensors']
        """
        from safetensors.torch import save_file

        if kwargs.get("safe_serialization", True) is False:
            raise ValueError("leanformers only writes safetensors checkpoints; drop safe_serialization=False.")
        make_save_directory(save_directory)
        self.config.architectures = [type(self).__name__]
        self.config.dtype = str(self.dtype).removeprefix("torch.")
        unsaved, seen, state = self._unsaved_keys(), set(), {}
        for key, tensor in self.state_dict().items():
            if key not in unsaved:  # a table saved under two names (untied BART's) is written twice, as transformers
                shared = tensor.data_ptr() in seen
                seen.add(tensor.data_ptr())
                state[key] = tensor.detach().clone() if shared else tensor.detach().contiguous()

        shards = _split_shards(state, _parse_size(max_shard_size))
        if len(shards) == 1:
            names = [WEIGHTS_NAME]
        else:
            names = [f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))]
        files = {CONFIG_NAME, *names, *([WEIGHTS_INDEX_NAME] if len(shards) > 1 else [])}
        # weights of an earlier save that the new files do not replace would be read instead of (or with) them
        stale = [name for name in os.listdir(save_directory) if name not in files and (
            name in (WEIGHTS_INDEX_NAME, WEIGHTS_NAME) or re.fullmatch(r"model-\d{5}-of-\d{5}\.safetensors", name))]
        # nothing replaces an old file until every new one is complete; then all are switched at once
        with atomic_files(save_directory, remove=stale) as stage:
            for name, text in {CONFIG_NAME: self.config.to_json_string(), **self._companion_files()}.items():
                with open(stage(name), "w", encoding="utf-8") as f:
                    f.write(text)
            if len(shards) > 1:
                index = {
                    "metadata": {"total_parameters": sum(t.numel() for t in state.values()),
                                 "total_size": sum(t.numel() * t.element_size() for t in state.values())},
                    "weight_map": {key: name for name, shard in zip(names, shards) for key in sorted(shard)},
                }
                with open(stage(WEIGHTS_INDEX_NAME), "w", encoding="utf-8") as f:
                    f.write(json_text(index))
            for name, shard in zip(names, shards):
                save_file(shard, stage(name), metadata={"format": "pt"})

    def _companion_files(self):
        """{file name: text} that save_pretrained writes beside config.json and the weights, in the same atomic save."""
        return {}


@functools.cache  # once a process, as transformers warns
def _say_mean_resizing():
    logging.getLogger("leanformers.modeling").warning(
        "resize_token_embeddings: the new rows are drawn from a normal distribution around the mean of the old "
        "embeddings, with their covariance (https://nlp.stanford.edu/~johnhew/vocab-expansion.html); pass "
        "mean_resizing=False to initialise them as a fresh model's.")


def _drawn_around_mean(weight, count):
    """`count` rows from a normal around the mean of `weight`'s rows with 1e-9 times their covariance (transformers'
    mean_resizing; the rows' mean itself where that covariance is not positive definite)."""
    rows = weight.float()
    mean = rows.mean(dim=0)
    centred = rows - mean
    covariance = centred.T @ centred / rows.shape[0] * 1e-9  # transformers' order of operations
    if torch.distributions.constraints.positive_definite.check(covariance).all():
        drawn = torch.distributions.MultivariateNormal(mean, covariance_matrix=covariance).sample((count,))
    else:
        drawn = mean.expand(count, -1)
    return drawn.to(weight.dtype)


def _zero_padded(tensor, size):
    """`tensor` cut or padded with zeros to `size` entries along its last axis."""
    return nn.functional.pad(tensor.detach(), (0, size - tensor.shape[-1]))


def single_device(device_map):
    """The device a `device_map` (as transformers' guides pass it) puts the whole model on. "auto" (or "balanced",
    "sequential") is the first GPU when there is one, else the CPU; a device name, index or torch.device is that
    device; a dict is taken when it names one device for everything ({"": 0}). leanformers does not split a model
    over devices: a map that would is refused."""
    if isinstance(device_map, str) and device_map in ("auto", "balanced", "balanced_low_0", "sequential"):
        return torch.device("cuda:0") if torch.cuda.is_available() else torch.device("cpu")
    if isinstance(device_map, dict):
        devices = set(device_map.values())
        if len(devices) != 1:
            raise ValueError(f"device_map={device_map!r} spreads the model over {len(devices) or 'no'} devices; "
                             "leanformers puts a model on one device: pass device_map='auto', a device such as "
                             "'cuda:0', or {'': device}.")
        device_map = devices.pop()
    if isinstance(device_map, int) and not isinstance(device_map, bool):
        return torch.device("cuda", device_map)
    if isinstance(device_map, (str, torch.device)):
        return torch.device(device_map)
    raise ValueError(f"device_map must be 'auto', a device ('cpu', 'cuda:0', an index, a torch.device) or a dict "
                     f"naming one device, got {device_map!r}.")


def forward_input_names(model):
    """The argument names `model.forward` accepts, or None when it takes any keyword (**kwargs). Any module
    answers, so that a wrapper around a model (a module that is no PreTrainedModel) is asked the same way."""
    parameters = inspect.signature(model.forward).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters}


def unquantized_modules(model):
    """The modules of `model` that int8 quantization keeps in float32: those a PreTrainedModel names (its head).
    Any other module does not say which part of it is a head, so all of it stays float."""
    return model.unquantized_modules() if isinstance(model, PreTrainedModel) else [model]


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
