"""AutoTokenizer: picks the tokenizer class of a saved folder.

tokenizer_config.json's `tokenizer_class` wins; otherwise config.json's `model_type`
is looked up. Both tables are registries other modules extend with `register`.
"""

import json
from importlib import import_module

from .. import hub

# class name -> module defining it (imported only when used)
TOKENIZER_CLASSES = {
    "BertTokenizer": "leanformers.tokenization.bert",
    "DistilBertTokenizer": "leanformers.tokenization.bert",
    "GPT2Tokenizer": "leanformers.tokenization.gpt2",
    "RobertaTokenizer": "leanformers.tokenization.roberta",
    "BartTokenizer": "leanformers.tokenization.roberta",
}
# config.json model_type -> class name (transformers' mapping)
MODEL_TYPES = {"bert": "BertTokenizer", "distilbert": "BertTokenizer", "gpt2": "GPT2Tokenizer",
               "roberta": "RobertaTokenizer", "bart": "RobertaTokenizer"}


def register(class_name, module, model_types=()):
    """Make AutoTokenizer know `class_name` (defined in `module`) and, optionally,
    the model types that use it."""
    TOKENIZER_CLASSES[class_name] = module
    for model_type in model_types:
        MODEL_TYPES[model_type] = class_name


def tokenizer_class_from_name(class_name):
    name = class_name[:-4] if class_name.endswith("Fast") else class_name
    module = TOKENIZER_CLASSES.get(name)
    if module is None:
        raise ValueError(f"Tokenizer class {class_name!r} is not supported by leanformers; supported: "
                         f"{sorted(TOKENIZER_CLASSES)}.")
    return getattr(import_module(module), name)


class AutoTokenizer:
    def __init__(self):
        raise EnvironmentError("AutoTokenizer is instantiated with AutoTokenizer.from_pretrained(folder).")

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *inputs, **kwargs):
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
                class_name = MODEL_TYPES.get(model_type)
                if class_name is None:
                    raise ValueError(f"AutoTokenizer: model_type {model_type!r} in {model_config!r} has no "
                                     f"tokenizer in leanformers; supported model types: {sorted(MODEL_TYPES)}.")
        if class_name is None:
            raise ValueError(f"AutoTokenizer cannot tell the tokenizer class of {str(path)!r}: neither "
                             "tokenizer_config.json (tokenizer_class) nor config.json (model_type) names it. "
                             "Use the tokenizer class directly, e.g. BertTokenizer.from_pretrained(path).")
        return tokenizer_class_from_name(class_name).from_pretrained(path, *inputs, **kwargs)


def _read(path):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"Could not read {path!r} ({error}); it must be valid UTF-8 JSON.") from error
    return data if isinstance(data, dict) else {}
