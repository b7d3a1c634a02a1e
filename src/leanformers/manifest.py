"""The architecture manifest: every model_type leanformers knows, and the module that implements it.

Each of those modules (in leanformers/models/) holds one architecture (config, layers, heads) and declares
it at its top in a literal `ARCHITECTURE = {...}`:

    ARCHITECTURE = {
        "config": "BertConfig",                                   # its PretrainedConfig subclass
        "heads": {"model": "BertModel", "masked-lm": "BertForMaskedLM", ...},   # head -> class (HEADS)
        "tokenizers": {"BertTokenizer": "leanformers.tokenization.bert:BertTokenizer"},  # default first
        "tf_module": "leanformers.tf.bert",                       # optional: its TensorFlow twin
        "tf_heads": {"model": "TFBertModel", ...},
    }

Everything that maps names to classes reads it: AutoConfig, the AutoModel... and TFAutoModel...
classes, AutoTokenizer, the top-level lazy names of `leanformers` and the pipeline's task inference.
The literal is read from the module's source, not by importing it: a model module imports torch,
and AutoTokenizer or `from leanformers import BertTokenizer` must not. Only the declaration is
parsed (it ends at the first line that is a lone "}"), which takes about 0.1 ms a module.
"""

import ast
import functools
import importlib.util
from dataclasses import dataclass, field

# model_type -> the module that implements it. A new architecture is one new module in models/ and one line here.
MANIFEST = {
    "bert": "leanformers.models.bert",
    "distilbert": "leanformers.models.distilbert",
    "roberta": "leanformers.models.roberta",
    "gpt2": "leanformers.models.gpt2",
    "bart": "leanformers.models.bart",
    "electra": "leanformers.models.electra",
    "modernbert": "leanformers.models.modernbert",
    "deberta-v2": "leanformers.models.deberta_v2",
    "xlm-roberta": "leanformers.models.xlm_roberta",
    "albert": "leanformers.models.albert",
    # tokenizer-only so far: the tokenizer module declares the family (no "config", no "heads") until its model
    # module lands, and then this line points there instead
    "t5": "leanformers.tokenization.t5",
    "mt5": "leanformers.tokenization.t5",
    "llama": "leanformers.tokenization.llama",
    "mistral": "leanformers.tokenization.fast",  # the reference loads its checkpoints with TokenizersBackend
    "gemma": "leanformers.tokenization.gemma",
    "qwen2": "leanformers.tokenization.qwen2",
    "xlnet": "leanformers.tokenization.xlnet",
}

# models shipped inside leanformers, which the Auto classes load by name with no hub: name -> the module that
# loads them (its auto_config, auto_tokenizer and auto_model answer AutoConfig, AutoTokenizer and AutoModel...)
EMBEDDED_NAME = "leanformers/embedded-sentiment"
SHIPPED_MODELS = {EMBEDDED_NAME: "leanformers.embedded"}

# the heads an architecture may declare; each is loaded by the Auto class in models/auto.py that names it
HEADS = ("model", "sequence-classification", "token-classification", "masked-lm", "question-answering", "causal-lm",
         "seq2seq-lm", "pretraining")
_KEYS = {"config", "heads", "tokenizers", "tf_module", "tf_heads"}


@dataclass(frozen=True)
class Architecture:
    model_type: str
    module: str
    tokenizers: dict  # tokenizer class name -> "module:Class" defining it; the first is AutoTokenizer's default
    config: str | None = None  # name of the config class in `module`; None for a tokenizer-only family
    heads: dict = field(default_factory=dict)  # head (one of HEADS) -> class name in `module`
    tf_module: str | None = None
    tf_heads: dict = field(default_factory=dict)  # head -> class name in `tf_module`

    def public_names(self):
        """Top-level name -> "module:Class" for everything this architecture makes public."""
        names = {self.config: f"{self.module}:{self.config}"} if self.config else {}
        names.update({name: f"{self.module}:{name}" for name in self.heads.values()})
        names.update({name: f"{self.tf_module}:{name}" for name in self.tf_heads.values()})
        names.update(self.tokenizers)
        names.update({name + "Fast": where for name, where in self.tokenizers.items()})  # the same classes
        return names


def architecture(model_type, source="model_type"):
    """The declaration of `model_type`; `source` (where the type was read) goes into the error."""
    if model_type not in MANIFEST:
        raise ValueError(
            f"{source} has model_type {model_type!r}, which leanformers does not know. Known model types: "
            f"{', '.join(sorted(MANIFEST))}. Check the \"model_type\" key of config.json."
        )
    return _declaration(model_type)


def architectures():
    return [_declaration(model_type) for model_type in MANIFEST]


@functools.cache
def _declaration(model_type):
    module = MANIFEST[model_type]
    path = importlib.util.find_spec(module).origin
    with open(path, encoding="utf-8") as f:
        source = f.read()
    start = source.find("\nARCHITECTURE = {")
    end = source.find("\n}\n", start)
    if start < 0 or end < 0:
        raise ImportError(f"{path} declares no ARCHITECTURE literal (a dict ending at a lone '}}' line), which "
                          f"the manifest entry {model_type!r} needs; see leanformers/models/__init__.py.")
    value = ast.literal_eval(source[start + len("\nARCHITECTURE = "):end + 2])
    unknown = set(value) - _KEYS
    heads = set(value.get("heads", {})) | set(value.get("tf_heads", {}))
    if unknown or heads - set(HEADS) or ("config" not in value and heads) or "tokenizers" not in value:
        raise ImportError(f"{path}: the ARCHITECTURE literal has unknown keys {sorted(unknown)} or heads "
                          f"{sorted(heads - set(HEADS))}, or heads without a config, or no tokenizers; keys are "
                          f"{sorted(_KEYS)}, heads {list(HEADS)}.")
    return Architecture(model_type=model_type, module=module, **value)
