"""Model configurations: `PretrainedConfig` (config.json in and out) and `AutoConfig`.

Each architecture declares its hyper-parameters as dataclass fields on a subclass;
this module must stay free of torch so configs can be read without it.
"""

import json
import logging
import os
import types
import typing
from dataclasses import MISSING, dataclass, fields
from importlib import import_module

from .hub import pop_hub_kwargs, resolve_file
from .manifest import SHIPPED_MODELS, architecture
from .utils.files import json_text, make_save_directory, read_json, write_atomic

logger = logging.getLogger(__name__)

CONFIG_NAME = "config.json"
# config.json files carry the transformers version whose format they follow; readers use it for compatibility quirks
FORMAT_VERSION = "5.25.0"
# settings of generate() that config.json files from before generation_config.json (2023) hold, e.g. the
# summarization default distilbart-cnn-12-6's num_beams and length_penalty: a model config does not keep them
# (transformers 5 drops them too), and a model that generates takes them from config.json when the checkpoint
# has no generation_config.json (generation/mixin.py)
LEGACY_GENERATION_KEYS = (
    "max_length", "min_length", "do_sample", "early_stopping", "num_beams", "num_beam_groups", "diversity_penalty",
    "temperature", "top_k", "top_p", "typical_p", "repetition_penalty", "encoder_repetition_penalty",
    "length_penalty", "no_repeat_ngram_size", "encoder_no_repeat_ngram_size", "bad_words_ids",
    "num_return_sequences", "output_scores", "return_dict_in_generate", "forced_bos_token_id", "forced_eos_token_id",
    "remove_invalid_values", "exponential_decay_length_penalty", "suppress_tokens", "begin_suppress_tokens",
    "epsilon_cutoff", "eta_cutoff", "num_assistant_tokens", "num_assistant_tokens_schedule",
    "assistant_confidence_threshold", "assistant_lookbehind", "target_lookbehind", "use_cache",
)
PROBLEM_TYPES = ("regression", "single_label_classification", "multi_label_classification")
# the size fields of the architectures' configs: positive integers (None where the field allows it). Layer counts
# may be 0 (a model of embeddings only, which transformers builds too).
SIZE_FIELDS = frozenset({
    "vocab_size", "hidden_size", "intermediate_size", "num_attention_heads", "max_position_embeddings",
    "type_vocab_size", "embedding_size", "n_positions", "n_embd", "n_head", "n_inner", "dim", "n_heads",
    "hidden_dim", "d_model", "encoder_ffn_dim", "decoder_ffn_dim", "encoder_attention_heads",
    "decoder_attention_heads"})
LAYER_FIELDS = frozenset({"num_hidden_layers", "n_layer", "n_layers", "encoder_layers", "decoder_layers"})


@dataclass(init=False)
class PretrainedConfig:
    """Fields shared by every model. Keys of config.json that no field declares are kept as attributes.

    >>> import tempfile
    >>> from leanformers import BertConfig
    >>> folder = tempfile.mkdtemp()
    >>> BertConfig(num_labels=3, hidden_dropout_prob=0.2).save_pretrained(folder)   # writes config.json
    >>> config = BertConfig.from_pretrained(folder)
    >>> config.num_labels, config.hidden_dropout_prob
    (3, 0.2)
    """

    model_type: typing.ClassVar[str] = ""
    attribute_map: typing.ClassVar[dict] = {}  # alias -> field, e.g. DistilBERT's hidden_size -> dim
    # attn_implementation= of from_pretrained or the config; None is transformers' default ("sdpa"). Only
    # "eager" changes a number: see modeling/layers.py, masked_score
    _attn_implementation: typing.ClassVar[str | None] = None
    # size fields this config allows to be 0 (DeBERTa's type_vocab_size: no token type embeddings)
    _zero_sizes: typing.ClassVar[frozenset] = frozenset()

    transformers_version: str | None = None
    architectures: list | None = None
    output_hidden_states: bool = False
    output_attentions: bool = False
    return_dict: bool = True
    dtype: str | None = None
    chunk_size_feed_forward: int = 0
    is_encoder_decoder: bool = False
    id2label: dict | None = None
    label2id: dict | None = None
    problem_type: str | None = None

    def __init__(self, **kwargs):
        kwargs = {self.attribute_map.get(key, key): value for key, value in kwargs.items()}
        if "torch_dtype" in kwargs:  # the pre-v5 name of `dtype`
            torch_dtype = kwargs.pop("torch_dtype")
            kwargs.setdefault("dtype", torch_dtype)
        if kwargs.get("dtype") is not None and not isinstance(kwargs["dtype"], str):
            kwargs["dtype"] = str(kwargs["dtype"]).removeprefix("torch.")  # a torch.dtype given directly
        num_labels = kwargs.pop("num_labels", None)
        hints = typing.get_type_hints(type(self))
        for f in fields(self):
            value = kwargs.pop(f.name) if f.name in kwargs else _default(f)
            _check_type(type(self).__name__, f.name, value, hints[f.name])
            _check_size(type(self).__name__, f.name, value, f.name in self._zero_sizes)
            object.__setattr__(self, f.name, value)
        self.name_or_path = str(kwargs.pop("_name_or_path", kwargs.pop("name_or_path", "")))
        for key in ("attn_implementation", "_attn_implementation"):
            if key in kwargs:
                self._attn_implementation = kwargs.pop(key)
        for key in LEGACY_GENERATION_KEYS:  # unless a field above (use_cache, BART's forced_eos_token_id) took it
            kwargs.pop(key, None)
        # unknown keys (e.g. "gradient_checkpointing" in old files) survive a load/save round trip
        for key, value in kwargs.items():
            setattr(self, key, value)

        if self.id2label is None:
            self.num_labels = num_labels if num_labels is not None else 2
        else:
            self.id2label = {int(key): value for key, value in self.id2label.items()}  # JSON keys are strings
            if num_labels is not None:
                self.num_labels = num_labels
        if self.problem_type is not None and self.problem_type not in PROBLEM_TYPES:
            raise ValueError(f"problem_type={self.problem_type!r} is not supported; use one of {PROBLEM_TYPES} "
                             "or None.")
        if self.problem_type == "single_label_classification" and self.num_labels == 1:
            raise ValueError(
                'problem_type="single_label_classification" needs num_labels > 1; use num_labels=2 for binary '
                'classification or problem_type="regression" for a single output.'
            )

    # aliases resolve to the real field, so DistilBertConfig().hidden_size is its `dim`
    def __getattr__(self, name):
        alias = type(self).attribute_map.get(name)
        if alias is None:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
        return getattr(self, alias)

    def __setattr__(self, name, value):
        super().__setattr__(type(self).attribute_map.get(name, name), value)

    @property
    def num_labels(self):
        return len(self.id2label) if self.id2label is not None else None

    @num_labels.setter
    def num_labels(self, num_labels):
        # the label count is not stored: it is the length of id2label
        if self.id2label is None or len(self.id2label) != num_labels:
            self.id2label = {i: f"LABEL_{i}" for i in range(num_labels)}
            self.label2id = {label: i for i, label in self.id2label.items()}

    @property
    def max_sequence_length(self):
        """The longest input, in tokens, that the position embeddings admit; None where the config has none."""
        return getattr(self, "max_position_embeddings", None)

    def forward_flags(self, output_attentions, output_hidden_states, return_dict):
        """A forward's output_attentions, output_hidden_states and return_dict, each the config's when None."""
        return (self.output_attentions if output_attentions is None else output_attentions,
                self.output_hidden_states if output_hidden_states is None else output_hidden_states,
                self.return_dict if return_dict is None else return_dict)

    @property
    def use_return_dict(self):
        return self.return_dict

    # --- serialisation -------------------------------------------------------------------------------------------

    def to_dict(self):
        """Every attribute, as config.json would hold it with no keys left out."""
        out = {key: value for key, value in vars(self).items() if not key.startswith("_")}
        out.pop("name_or_path", None)
        out["model_type"] = self.model_type
        out["transformers_version"] = FORMAT_VERSION
        return json.loads(json.dumps(out))  # a deep copy with JSON types (int label keys become strings later)

    def to_diff_dict(self):
        """What save_pretrained writes: base fields only where they differ from a bare config, model fields always."""
        base_defaults = PretrainedConfig().to_dict()
        class_defaults = type(self)().to_dict()
        out = {}
        for key, value in self.to_dict().items():
            if (
                key not in base_defaults
                or key == "transformers_version"
                or value != base_defaults[key]
                or value != class_defaults.get(key, value)
            ):
                out[key] = value
        return out

    def to_json_string(self, use_diff=True):
        config = self.to_diff_dict() if use_diff else self.to_dict()
        return json_text(config)

    def save_pretrained(self, save_directory):
        text = self.to_json_string()  # a value that cannot be serialised fails here, before any file is made
        make_save_directory(save_directory)
        write_atomic(os.path.join(save_directory, CONFIG_NAME), text)

    @classmethod
    def from_dict(cls, config_dict, **kwargs):
        config_dict = dict(config_dict)
        model_type = config_dict.pop("model_type", None)
        if cls.model_type and model_type not in (None, cls.model_type):
            logger.warning(f"Building a {cls.__name__} (model_type {cls.model_type!r}) from a config of model_type "
                           f"{model_type!r}; this works only where the two share their fields. AutoConfig picks the "
                           "matching class.")
        return cls(**{**config_dict, **kwargs})  # keyword arguments override the file

    @classmethod
    def from_json_file(cls, json_file):
        return _from_file(cls, json_file)

    @classmethod
    def from_pretrained(cls, name_or_path, **kwargs):
        hub_kwargs = pop_hub_kwargs(kwargs)
        path = resolve_file(name_or_path, CONFIG_NAME, **hub_kwargs)
        config = _from_file(cls, path, **kwargs)
        config.name_or_path = str(name_or_path)
        return config

    def __repr__(self):
        return f"{type(self).__name__} {self.to_json_string(use_diff=False)}"


PreTrainedConfig = PretrainedConfig  # the transformers 5 spelling


def _default(f):
    return f.default_factory() if f.default_factory is not MISSING else f.default


def _check_type(owner, name, value, hint):
    allowed = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    allowed = tuple(typing.get_origin(t) or t for t in allowed)
    ok = isinstance(value, allowed) and not (isinstance(value, bool) and bool not in allowed and int in allowed)
    if not ok and float in allowed and isinstance(value, int) and not isinstance(value, bool):
        ok = True  # an integer where a float is expected, e.g. dropout 0
    if not ok:
        expected = " or ".join("None" if t is type(None) else t.__name__ for t in allowed)
        raise TypeError(
            f"{owner}: field {name!r} expects {expected}, got {type(value).__name__} ({value!r}). "
            f"Fix the value of {name!r} in config.json or in the keyword argument."
        )


def _check_size(owner, name, value, zero_allowed=False):
    lowest = 1 if name in SIZE_FIELDS and not zero_allowed else 0 if name in LAYER_FIELDS or zero_allowed else None
    if lowest is not None and value is not None and value < lowest:
        raise ValueError(f"{owner}: field {name!r} is {value}, but it is a {'count' if lowest == 0 else 'size'} and "
                         f"must be {'at least 0' if lowest == 0 else 'positive'}. Fix the value of {name!r} in "
                         "config.json (the one the checkpoint was saved with) or in the keyword argument.")


def read_config_file(path):
    """The object in a config.json; a damaged file is an error naming it."""
    return read_json(path, "re-save the model with save_pretrained.")


def _from_file(config_class, path, config_dict=None, **kwargs):
    """config_class built from the JSON file at `path` (read already: `config_dict`); a field it refuses is
    reported with the file's path."""
    config_dict = read_config_file(path) if config_dict is None else config_dict
    try:
        return config_class.from_dict(config_dict, **kwargs)
    except (TypeError, ValueError) as err:
        if type(err) not in (TypeError, ValueError):
            raise
        raise type(err)(f"{path}: {err}") from None


def config_class_for(model_type, source):
    arch = architecture(model_type, source)
    if arch.config is None:
        raise ValueError(f"{source} has model_type {model_type!r}: leanformers has its tokenizer "
                         f"({', '.join(arch.tokenizers)}) but not yet its config or models. Load the tokenizer with "
                         "AutoTokenizer; for the model, use transformers until leanformers supports it.")
    return getattr(import_module(arch.module), arch.config)


def embedded_model(name_or_path):
    """The module that loads the model shipped inside leanformers under `name_or_path` (manifest.SHIPPED_MODELS),
    else None: the hook every Auto class asks first. A folder of that name on disk wins, as it does over a hub
    name. The module is imported by its name in the manifest, as the architectures' modules are."""
    if not isinstance(name_or_path, (str, os.PathLike)):
        return None
    module = SHIPPED_MODELS.get(os.fspath(name_or_path))
    return None if module is None or os.path.isdir(name_or_path) else import_module(module)


class AutoConfig:
    """Picks the config class from the "model_type" key of config.json."""

    def __init__(self):
        raise EnvironmentError("AutoConfig is not meant to be instantiated; use AutoConfig.from_pretrained(path).")

    @staticmethod
    def for_model(model_type, **kwargs):
        return config_class_for(model_type, "for_model")(**kwargs)

    @staticmethod
    def from_pretrained(name_or_path, **kwargs):
        """The config of a folder or Hub name, of the class its "model_type" names; keyword arguments override it.

        >>> from leanformers import AutoConfig
        >>> config = AutoConfig.from_pretrained("leanformers/embedded-sentiment", output_hidden_states=True)
        >>> type(config).__name__, config.id2label, config.output_hidden_states
        ('BertConfig', {0: 'NEGATIVE', 1: 'POSITIVE'}, True)
        """
        if embedded := embedded_model(name_or_path):
            return embedded.auto_config(**kwargs)
        hub_kwargs = pop_hub_kwargs(kwargs)
        path = resolve_file(name_or_path, CONFIG_NAME, **hub_kwargs)
        config_dict = read_config_file(path)
        if "model_type" not in config_dict:
            raise ValueError(f"{path} has no \"model_type\" key; add it (e.g. \"bert\") or use the config class "
                             "directly.")
        config = _from_file(config_class_for(config_dict["model_type"], path), path, config_dict, **kwargs)
        config.name_or_path = str(name_or_path)
        return config
