"""AutoTokenizer: picks the tokenizer class of a saved folder.

tokenizer_config.json's `tokenizer_class` wins; otherwise config.json's `model_type` is looked
up. Both answers come from the architecture manifest (leanformers/manifest.py): each architecture
declares the tokenizer classes its checkpoints use, the default first. Reading it imports no torch.
"""

from importlib import import_module

from .. import hub
from ..configuration import embedded_model
from ..manifest import MANIFEST, architecture, architectures
from ..utils.files import read_json
from .fast import GENERIC_CLASS_NAMES, TokenizersBackend

# model types whose checkpoints name a tokenizer class the reference does not trust: their own class wins
# (transformers' MODELS_WITH_INCORRECT_HUB_TOKENIZER_CLASS, the ones leanformers knows)
INCORRECT_HUB_CLASS = {"qwen2"}
# model types the reference maps to no tokenizer class of their own: named by model_type alone they load the
# generic TokenizersBackend (their checkpoints name LlamaTokenizer in tokenizer_config.json)
GENERIC_BY_MODEL_TYPE = {"llama"}


def tokenizer_classes():
    """Tokenizer class name -> "module:Class" defining it, over every architecture."""
    return {name: where for arch in architectures() for name, where in arch.tokenizers.items()}


def tokenizer_class_from_name(class_name):
    if class_name in GENERIC_CLASS_NAMES:
        return TokenizersBackend
    name = class_name[:-4] if class_name.endswith("Fast") else class_name
    where = tokenizer_classes().get(name)
    if where is None:
        raise ValueError(f"Tokenizer class {class_name!r} is not supported by leanformers; supported: "
                         f"{sorted(tokenizer_classes())}.")
    module, _, attribute = where.partition(":")
    return getattr(import_module(module), attribute)


class AutoTokenizer:
    def __init__(self):
        raise EnvironmentError("AutoTokenizer is instantiated with AutoTokenizer.from_pretrained(folder).")

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *inputs, **kwargs):
        """The tokenizer saved with `pretrained_model_name_or_path` (a hub name, a folder, or
        "leanformers/embedded-sentiment", the offline sentiment model shipped with leanformers), of the class
        that tokenizer_config.json or the architecture names. Hub arguments (`revision`, `token`, `cache_dir`,
        `local_files_only`, `force_download`) find the files; other keyword arguments go to the class.

        >>> from leanformers import AutoTokenizer
        >>> tokenizer = AutoTokenizer.from_pretrained("leanformers/embedded-sentiment")
        >>> tokenizer("Hello world!")["input_ids"]
        [101, 7592, 2088, 999, 102]
        """
        if embedded := embedded_model(pretrained_model_name_or_path):
            return embedded.auto_tokenizer(*inputs, **kwargs)
        hub_kwargs = {k: kwargs[k] for k in hub.HUB_KWARGS if k in kwargs}
        path = pretrained_model_name_or_path
        class_name = pick_class_name(path, hub_kwargs)
        return tokenizer_class_from_name(class_name).from_pretrained(path, *inputs, **kwargs)


def pick_class_name(path, hub_kwargs):
    """The tokenizer class name AutoTokenizer loads for `path`, by the reference's rules: tokenizer_config.json's
    `tokenizer_class`, weighed against config.json's `model_type`; a LlamaTokenizer whose tokenizer.json is
    byte-level, a model type whose declared class is the generic one (mistral), or a folder with nothing but
    tokenizer.json give the generic TokenizersBackend."""
    config_file = hub.resolve_file(path, "tokenizer_config.json", required=False, **hub_kwargs)
    hub_class = _read_name(config_file, "tokenizer_class", '"BertTokenizer"')
    model_config = hub.resolve_file(path, "config.json", required=False, **hub_kwargs)
    model_type = _read_name(model_config, "model_type", '"bert"')
    registered = None
    if model_type in GENERIC_BY_MODEL_TYPE:
        registered = "TokenizersBackend" if hub_class is None else None
    elif model_type is not None and model_type in MANIFEST:
        registered = next(iter(architecture(model_type).tokenizers))
    elif model_type is not None and hub_class is None:
        raise ValueError(f"AutoTokenizer: model_type {model_type!r} in {model_config!r} has no "
                         f"tokenizer in leanformers; supported model types: {sorted(MANIFEST)}.")
    strip = (lambda name: name[:-4] if name and name.endswith("Fast") else name)
    if (hub_class is not None and strip(hub_class) == "LlamaTokenizer" and registered != "TokenizersBackend"
            and model_type not in INCORRECT_HUB_CLASS and _byte_level_json(path, hub_kwargs)):
        return "TokenizersBackend"
    if hub_class is not None and registered is not None and strip(registered) != strip(hub_class):
        if registered in GENERIC_CLASS_NAMES:
            return "TokenizersBackend"
        return registered if model_type in INCORRECT_HUB_CLASS else hub_class
    if hub_class is not None:
        return hub_class
    if registered is not None:
        return registered
    if hub.resolve_file(path, "tokenizer.json", required=False, **hub_kwargs) is not None:
        return "TokenizersBackend"
    raise ValueError(f"AutoTokenizer cannot tell the tokenizer class of {str(path)!r}: neither "
                     "tokenizer_config.json (tokenizer_class) nor config.json (model_type) names it, and there is "
                     "no tokenizer.json. Use the tokenizer class directly, e.g. BertTokenizer.from_pretrained(path).")


def _byte_level_json(path, hub_kwargs):
    """Whether the folder's tokenizer.json has a ByteLevel pre-tokenizer (alone or in a Sequence)."""
    file = hub.resolve_file(path, "tokenizer.json", required=False, **hub_kwargs)
    if file is None:
        return False
    pre = _read(file).get("pre_tokenizer") or {}
    items = pre.get("pretokenizers", []) if pre.get("type") == "Sequence" else [pre]
    return any(isinstance(p, dict) and p.get("type") == "ByteLevel" for p in items)


def _read_name(path, key, example):
    """The string under `key` in the JSON file `path` (None without the file or the key)."""
    if path is None:
        return None
    value = _read(path).get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{path!r}: {key} must be a name (a string such as {example}), found "
                         f"{type(value).__name__} {value!r}. Fix the file, or delete the key.")
    return value


def _read(path):
    return read_json(path, "it must be valid UTF-8 JSON holding one object; re-save the tokenizer with "
                           "save_pretrained.")
