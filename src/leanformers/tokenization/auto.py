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


def tokenizer_classes():
    """Tokenizer class name -> "module:Class" defining it, over every architecture."""
    return {name: where for arch in architectures() for name, where in arch.tokenizers.items()}


def tokenizer_class_from_name(class_name):
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
        class_name = None
        config_file = hub.resolve_file(path, "tokenizer_config.json", required=False, **hub_kwargs)
        if config_file is not None:
            class_name = _read(config_file).get("tokenizer_class")
        if class_name is None:
            model_config = hub.resolve_file(path, "config.json", required=False, **hub_kwargs)
            model_type = _read(model_config).get("model_type") if model_config is not None else None
            if model_type is not None:
                if model_type not in MANIFEST:
                    raise ValueError(f"AutoTokenizer: model_type {model_type!r} in {model_config!r} has no "
                                     f"tokenizer in leanformers; supported model types: {sorted(MANIFEST)}.")
                class_name = next(iter(architecture(model_type).tokenizers))
        if class_name is None:
            raise ValueError(f"AutoTokenizer cannot tell the tokenizer class of {str(path)!r}: neither "
                             "tokenizer_config.json (tokenizer_class) nor config.json (model_type) names it. "
                             "Use the tokenizer class directly, e.g. BertTokenizer.from_pretrained(path).")
        return tokenizer_class_from_name(class_name).from_pretrained(path, *inputs, **kwargs)


def _read(path):
    return read_json(path, "it must be valid UTF-8 JSON holding one object; re-save the tokenizer with "
                           "save_pretrained.")
