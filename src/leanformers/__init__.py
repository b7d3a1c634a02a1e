"""leanformers: the Hugging Face Transformers API, with less waiting.

Public names are resolved lazily (PEP 562): `import leanformers` loads nothing
heavy, and `from leanformers import BertTokenizer` loads only the tokenizer
modules. torch is imported by the modules that need it, when they are first used.

A name whose optional backend (torch, TensorFlow) is not installed is a placeholder class instead, as
transformers' dummy objects are: help(), pydoc, `from leanformers import *` and inspect.getmembers work,
and using it (calling it, from_pretrained, any attribute) raises an ImportError saying what to install.
"""

import importlib.util
import sys
from importlib import import_module

__version__ = "0.1.0"

# public names that belong to no one architecture -> the module that defines them; the architectures'
# configs, models, TF models and tokenizers come from the manifest (leanformers/manifest.py)
_CORE_NAMES = {
    "AutoTokenizer": "leanformers.tokenization.auto",
    "BatchEncoding": "leanformers.tokenization.batch_encoding",
    "PreTrainedTokenizer": "leanformers.tokenization.base",
    "PreTrainedTokenizerFast": "leanformers.tokenization.fast",
    "PretrainedConfig": "leanformers.configuration",
    "PreTrainedConfig": "leanformers.configuration",
    "AutoConfig": "leanformers.configuration",
    "PreTrainedModel": "leanformers.modeling.base",
    **{name: "leanformers.models.auto" for name in (
        "AutoModel", "AutoModelForSequenceClassification", "AutoModelForTokenClassification", "AutoModelForMaskedLM",
        "AutoModelForQuestionAnswering", "AutoModelForCausalLM", "AutoModelForSeq2SeqLM", "AutoModelForPreTraining")},
    # training helpers of the task guides (torch is imported when a batch is made)
    **{name: "leanformers.data_collator" for name in (
        "DataCollatorWithPadding", "DataCollatorForTokenClassification", "DataCollatorForLanguageModeling",
        "DataCollatorForSeq2Seq", "DefaultDataCollator", "default_data_collator", "set_seed")},
    "GenerationConfig": "leanformers.generation",
    "GenerationMixin": "leanformers.generation",
    "TextStreamer": "leanformers.generation.streamers",
    # TensorFlow (imported when first used)
    "TFAutoModel": "leanformers.tf.auto",
    "TFAutoModelForSequenceClassification": "leanformers.tf.auto",
    "TFAutoModelForTokenClassification": "leanformers.tf.auto",
    "TFPreTrainedModel": "leanformers.tf.modeling",
    # pipelines
    "pipeline": "leanformers.pipelines",
    "OfflineFallbackWarning": "leanformers.pipelines",
    "TextClassificationPipeline": "leanformers.pipelines.text_classification",
    "FillMaskPipeline": "leanformers.pipelines.fill_mask",
    "TokenClassificationPipeline": "leanformers.pipelines.token_classification",
    "NerPipeline": "leanformers.pipelines.token_classification",
    "QuestionAnsweringPipeline": "leanformers.pipelines.question_answering",
    "TextGenerationPipeline": "leanformers.pipelines.text_generation",
    "Text2TextGenerationPipeline": "leanformers.pipelines.text2text_generation",
    "SummarizationPipeline": "leanformers.pipelines.text2text_generation",
    "ZeroShotClassificationPipeline": "leanformers.pipelines.zero_shot_classification",
    "FeatureExtractionPipeline": "leanformers.pipelines.feature_extraction",
    # sentence embeddings of sentence-transformers models
    "SentenceEncoder": "leanformers.embeddings",
    # fine-tuning
    "Trainer": "leanformers.trainer",
    "TrainingArguments": "leanformers.training_args",
    "EvalPrediction": "leanformers.trainer",
}
# public names that are modules: `leanformers.logging.set_verbosity_error()`, as in transformers
_SUBMODULES = {"logging": "leanformers.logging"}

# the optional packages a public name needs, by the start of the name of the module defining it (the manifest
# puts every architecture's configs and models in leanformers.models, its TF twins in leanformers.tf).
# "leanformers.pipelines." takes the task modules, not the package: pipeline() names the extra when it is called.
_BACKENDS = {
    "leanformers.tf": ("torch", "tensorflow"),
    "leanformers.models": ("torch",),
    "leanformers.modeling": ("torch",),
    "leanformers.generation": ("torch",),
    "leanformers.pipelines.": ("torch",),
    "leanformers.trainer": ("torch",),
    "leanformers.embeddings": ("torch",),
}


def _public_names():
    """Every public name -> "module:attribute"; the architectures' part is read from the manifest on first use."""
    from .manifest import architectures

    names = {name: f"{module}:{name}" for name, module in _CORE_NAMES.items()}
    names.update(_SUBMODULES)
    for arch in architectures():
        for name, where in arch.public_names().items():
            names.setdefault(name, where)
    return names


def _installed(package):
    """Whether `package` can be imported, found without importing it (TensorFlow takes seconds)."""
    return sys.modules.get(package) is not None or importlib.util.find_spec(package) is not None


def _missing_backends(module):
    needed = next((backends for start, backends in _BACKENDS.items() if module.startswith(start)), ())
    return [backend for backend in needed if not _installed(backend)]


class _Placeholder(type):
    """The type of the stand-in for a public class whose backend is missing: the class can be named, documented
    and subclassed, but calling it or reading a public attribute (from_pretrained, ...) raises the ImportError."""

    def __call__(cls, *args, **kwargs):
        raise ImportError(cls._missing)

    def __getattr__(cls, attribute):
        if attribute.startswith("_"):  # what help(), pydoc and copy look for on every class
            raise AttributeError(attribute)
        raise ImportError(cls._missing)


def _placeholder(name, missing):
    from .utils.backends import missing_message

    message = missing_message(name, missing)
    return _Placeholder(name, (), {"__module__": __name__, "__doc__": f"Not available: {message}",
                                   "_missing": message})


def __getattr__(name):
    if name == "__all__":  # `from leanformers import *`
        return sorted(_public_names())
    where = _CORE_NAMES.get(name)
    where = f"{where}:{name}" if where is not None else _public_names().get(name)
    if where is None:
        raise AttributeError(f"module 'leanformers' has no attribute {name!r}")
    module, _, attribute = where.partition(":")
    if missing := _missing_backends(module):
        value = _placeholder(name, missing)
    else:
        value = getattr(import_module(module), attribute) if attribute else import_module(module)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted({*globals(), *_public_names()})
