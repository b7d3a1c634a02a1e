"""Auto classes: pick the model class from config.model_type.

Each registry maps model_type -> class name inside leanformers.models.<module>;
a new architecture adds one line per head it has.
"""

from importlib import import_module

from ..configuration import AutoConfig, PretrainedConfig
from ..hub import pop_hub_kwargs

MODEL_MODULES = {"bert": "bert", "distilbert": "distilbert", "roberta": "roberta", "gpt2": "gpt2", "bart": "bart"}


class _AutoModel:
    registry = {}  # model_type -> class name

    def __init__(self):
        raise EnvironmentError(f"{type(self).__name__} is not meant to be instantiated; use "
                               f"{type(self).__name__}.from_pretrained(path) or .from_config(config).")

    @classmethod
    def model_class(cls, config):
        name = cls.registry.get(config.model_type)
        if name is None:
            known = ", ".join(sorted(cls.registry)) or "none"
            raise ValueError(f"{cls.__name__} has no model for model_type {config.model_type!r} (known: {known}). "
                             "Use a checkpoint of a supported architecture or the model class directly.")
        return getattr(import_module(f"leanformers.models.{MODEL_MODULES[config.model_type]}"), name)

    @classmethod
    def from_config(cls, config):
        return cls.model_class(config)(config)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *model_args, **kwargs):
        config = kwargs.pop("config", None)
        if not isinstance(config, PretrainedConfig):
            hub_kwargs = pop_hub_kwargs(kwargs)
            config = AutoConfig.from_pretrained(pretrained_model_name_or_path, **hub_kwargs)
            kwargs.update(hub_kwargs)
        return cls.model_class(config).from_pretrained(pretrained_model_name_or_path, *model_args, config=config,
                                                       **kwargs)


class AutoModel(_AutoModel):
    registry = {"bert": "BertModel", "distilbert": "DistilBertModel", "roberta": "RobertaModel",
                "gpt2": "GPT2Model", "bart": "BartModel"}


class AutoModelForSequenceClassification(_AutoModel):
    registry = {"bert": "BertForSequenceClassification", "distilbert": "DistilBertForSequenceClassification",
                "roberta": "RobertaForSequenceClassification", "gpt2": "GPT2ForSequenceClassification",
                "bart": "BartForSequenceClassification"}


class AutoModelForTokenClassification(_AutoModel):
    registry = {"bert": "BertForTokenClassification", "distilbert": "DistilBertForTokenClassification",
                "roberta": "RobertaForTokenClassification"}


class AutoModelForMaskedLM(_AutoModel):
    registry = {"bert": "BertForMaskedLM", "distilbert": "DistilBertForMaskedLM", "roberta": "RobertaForMaskedLM",
                "bart": "BartForConditionalGeneration"}  # BART fills <mask> spans by generating them


class AutoModelForQuestionAnswering(_AutoModel):
    registry = {"bert": "BertForQuestionAnswering", "distilbert": "DistilBertForQuestionAnswering",
                "roberta": "RobertaForQuestionAnswering"}


class AutoModelForCausalLM(_AutoModel):
    registry = {"gpt2": "GPT2LMHeadModel"}


class AutoModelForSeq2SeqLM(_AutoModel):
    registry = {"bart": "BartForConditionalGeneration"}
