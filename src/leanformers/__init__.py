"""leanformers: the Hugging Face Transformers API, with less waiting.

Public names are resolved lazily (PEP 562): `import leanformers` loads nothing
heavy, and `from leanformers import BertTokenizer` loads only the tokenizer
modules. torch is imported by the modules that need it, when they are first used.
"""

from importlib import import_module

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY_NAMES = {
    # tokenizers
    "AutoTokenizer": "leanformers.tokenization.auto",
    "BatchEncoding": "leanformers.tokenization.batch_encoding",
    "PreTrainedTokenizer": "leanformers.tokenization.base",
    "PreTrainedTokenizerFast": "leanformers.tokenization.base",
    "BertTokenizer": "leanformers.tokenization.bert",
    "BertTokenizerFast": "leanformers.tokenization.bert",
    "DistilBertTokenizer": "leanformers.tokenization.bert",
    "DistilBertTokenizerFast": "leanformers.tokenization.bert",
    "GPT2Tokenizer": "leanformers.tokenization.gpt2",
    "GPT2TokenizerFast": "leanformers.tokenization.gpt2",
    "RobertaTokenizer": "leanformers.tokenization.roberta",
    "RobertaTokenizerFast": "leanformers.tokenization.roberta",
    "BartTokenizer": "leanformers.tokenization.roberta",
    "BartTokenizerFast": "leanformers.tokenization.roberta",
    # models (configs, model core, architectures, auto classes)
    "PretrainedConfig": "leanformers.configuration",
    "PreTrainedConfig": "leanformers.configuration",
    "AutoConfig": "leanformers.configuration",
    "PreTrainedModel": "leanformers.modeling",
    "AutoModel": "leanformers.models.auto",
    "AutoModelForSequenceClassification": "leanformers.models.auto",
    "AutoModelForTokenClassification": "leanformers.models.auto",
    "AutoModelForMaskedLM": "leanformers.models.auto",
    "AutoModelForQuestionAnswering": "leanformers.models.auto",
    "BertConfig": "leanformers.models.bert",
    "BertModel": "leanformers.models.bert",
    "BertForSequenceClassification": "leanformers.models.bert",
    "BertForTokenClassification": "leanformers.models.bert",
    "BertForMaskedLM": "leanformers.models.bert",
    "BertForQuestionAnswering": "leanformers.models.bert",
    "DistilBertConfig": "leanformers.models.distilbert",
    "DistilBertModel": "leanformers.models.distilbert",
    "DistilBertForSequenceClassification": "leanformers.models.distilbert",
    "DistilBertForTokenClassification": "leanformers.models.distilbert",
    "DistilBertForMaskedLM": "leanformers.models.distilbert",
    "DistilBertForQuestionAnswering": "leanformers.models.distilbert",
    "RobertaConfig": "leanformers.models.roberta",
    "RobertaModel": "leanformers.models.roberta",
    "RobertaForSequenceClassification": "leanformers.models.roberta",
    "RobertaForTokenClassification": "leanformers.models.roberta",
    "RobertaForMaskedLM": "leanformers.models.roberta",
    "RobertaForQuestionAnswering": "leanformers.models.roberta",
    "AutoModelForCausalLM": "leanformers.models.auto",
    "AutoModelForSeq2SeqLM": "leanformers.models.auto",
    "GPT2Config": "leanformers.models.gpt2",
    "GPT2Model": "leanformers.models.gpt2",
    "GPT2LMHeadModel": "leanformers.models.gpt2",
    "GPT2ForSequenceClassification": "leanformers.models.gpt2",
    "BartConfig": "leanformers.models.bart",
    "BartModel": "leanformers.models.bart",
    "BartForConditionalGeneration": "leanformers.models.bart",
    "BartForSequenceClassification": "leanformers.models.bart",
    "GenerationConfig": "leanformers.generation",
    "GenerationMixin": "leanformers.generation",
    # TensorFlow models (import TensorFlow when first used)
    "TFAutoModel": "leanformers.models.tf_auto",
    "TFAutoModelForSequenceClassification": "leanformers.models.tf_auto",
    "TFAutoModelForTokenClassification": "leanformers.models.tf_auto",
    "TFPreTrainedModel": "leanformers.tf_modeling",
    "TFBertModel": "leanformers.models.tf_bert",
    "TFBertForSequenceClassification": "leanformers.models.tf_bert",
    "TFBertForTokenClassification": "leanformers.models.tf_bert",
    "TFDistilBertModel": "leanformers.models.tf_distilbert",
    "TFDistilBertForSequenceClassification": "leanformers.models.tf_distilbert",
    "TFDistilBertForTokenClassification": "leanformers.models.tf_distilbert",
    "TFRobertaModel": "leanformers.models.tf_roberta",
    "TFRobertaForSequenceClassification": "leanformers.models.tf_roberta",
    "TFRobertaForTokenClassification": "leanformers.models.tf_roberta",
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


def __getattr__(name):
    module_name = _LAZY_NAMES.get(name)
    if module_name is None:
        raise AttributeError(f"module 'leanformers' has no attribute {name!r}")
    value = getattr(import_module(module_name), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(list(globals()) + list(_LAZY_NAMES))


__all__ = list(_LAZY_NAMES)
