"""leanformers: the Hugging Face Transformers API, with less waiting.

Public names are resolved lazily (PEP 562): `import leanformers` loads nothing
heavy, and `from leanformers import BertTokenizer` loads only the tokenizer
modules. torch is imported by the modules that need it, when they are first used.
"""

from importlib import import_module

__version__ = "0.1.0"

# public names that belong to no one architecture -> the module that defines them; the architectures'
# configs, models, TF models and tokenizers come from the manifest (leanformers/manifest.py)
_CORE_NAMES = {
    "AutoTokenizer": "leanformers.tokenization.auto",
    "BatchEncoding": "leanformers.tokenization.batch_encoding",
    "PreTrainedTokenizer": "leanformers.tokenization.base",
    "PreTrainedTokenizerFast": "leanformers.tokenization.base",
    "PretrainedConfig": "leanformers.configuration",
    "PreTrainedConfig": "leanformers.configuration",
    "AutoConfig": "leanformers.configuration",
    "PreTrainedModel": "leanformers.modeling.base",
    **{name: "leanformers.models.auto" for name in (
        "AutoModel", "AutoModelForSequenceClassification", "AutoModelForTokenClassification", "AutoModelForMaskedLM",
        "AutoModelForQuestionAnswering", "AutoModelForCausalLM", "AutoModelForSeq2SeqLM", "AutoModelForPreTraining")},
    "GenerationConfig": "leanformers.generation",
    "GenerationMixin": "leanformers.generation",
    # TensorFlow (imported when first used)
    "TFAutoModel": "leanformers.tf.auto",
    "TFAutoModelForSequenceClassification": "leanformers.tf.auto",
    "TFAutoModelForTokenClassification": "leanformers.tf.auto",
    "TFPreTrainedModel": "leanformers.tf.modeling",
    # pipelines
    "pipeline": "leanformers.pipelines",
    "TextClassificationPipeline": "leanformers.pipelines.text_classification",
    "FillMaskPipeline": "leanformers.pipelines.fill_mask",
    "TokenClassificationPipeline": "leanformers.pipelines.token_classification",
    "NerPipeline": "leanformers.pipelines.token_classification",
    "QuestionAnsweringPipeline": "leanformers.pipelines.question_answering",
    "TextGenerationPipeline": "leanformers.pipelines.text_generation",
    "Text2TextGenerationPipeline": "leanformers.pipelines.text2text_generation",
    "SummarizationPipeline": "leanformers.pipelines.text2text_generation",
}


def _public_names():
    """Every public name -> "module:attribute"; the architectures' part is read from the manifest on first use."""
    from .manifest import architectures

    names = {name: f"{module}:{name}" for name, module in _CORE_NAMES.items()}
    for arch in architectures():
        for name, where in arch.public_names().items():
            names.setdefault(name, where)
    return names


def __getattr__(name):
    if name == "__all__":  # `from leanformers import *`
        return sorted(_public_names())
    where = _CORE_NAMES.get(name)
    where = f"{where}:{name}" if where is not None else _public_names().get(name)
    if where is None:
        raise AttributeError(f"module 'leanformers' has no attribute {name!r}")
    module, _, attribute = where.partition(":")
    value = getattr(import_module(module), attribute)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted({*globals(), *_public_names()})
