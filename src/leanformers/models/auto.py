"""Auto classes: pick the model class from config.model_type, through the architecture manifest.

Each Auto class names the head it loads (a key of manifest.HEADS); the class comes from the
`heads` of the architecture that leanformers/manifest.py lists for the config's model_type.
"""

from importlib import import_module

from ..configuration import AutoConfig, PretrainedConfig, embedded_model
from ..hub import pop_hub_kwargs
from ..manifest import architecture, architectures


class _AutoModel:
    head = ""  # the key of manifest.HEADS this class loads
    # which of an Architecture's fields hold the classes (the TF Auto classes read tf_heads and tf_module)
    heads_field, module_field, kind = "heads", "module", "model"
    fix = "Use a checkpoint of a supported architecture or the model class directly."

    def __init__(self):
        raise EnvironmentError(f"{type(self).__name__} is not meant to be instantiated; use "
                               f"{type(self).__name__}.from_pretrained(path) or .from_config(config).")

    @classmethod
    def model_class(cls, config):
        arch = architecture(config.model_type, f"{cls.__name__}: the config")
        name = getattr(arch, cls.heads_field).get(cls.head)
        if name is None:
            known = ", ".join(sorted(a.model_type for a in architectures()
                                     if cls.head in getattr(a, cls.heads_field))) or "none"
            raise ValueError(f"{cls.__name__} has no {cls.kind} for model_type {config.model_type!r} "
                             f"(known: {known}). {cls.fix}")
        return getattr(import_module(getattr(arch, cls.module_field)), name)

    @classmethod
    def from_config(cls, config):
        return cls.model_class(config)(config)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *model_args, **kwargs):
        """The model with this class's head for the checkpoint `pretrained_model_name_or_path` (a hub name, a
        folder, or "leanformers/embedded-sentiment", the offline sentiment model shipped with leanformers). The
        class comes from config.json's model_type; `config=`, `dtype=`, hub arguments (`revision`, `token`,
        `cache_dir`, `local_files_only`, `force_download`) and config attributes (`num_labels=3`, ...) pass on
        to the class's from_pretrained.

        >>> from leanformers import AutoModelForSequenceClassification, AutoTokenizer
        >>> tokenizer = AutoTokenizer.from_pretrained("leanformers/embedded-sentiment")
        >>> model = AutoModelForSequenceClassification.from_pretrained("leanformers/embedded-sentiment")
        >>> logits = model(**tokenizer("What a delightful story.", return_tensors="pt")).logits
        >>> model.config.id2label[int(logits.argmax())]
        'POSITIVE'
        """
        if embedded := embedded_model(pretrained_model_name_or_path):
            return embedded.auto_model(cls.__name__, cls.head, *model_args, **kwargs)
        config = kwargs.pop("config", None)
        if not isinstance(config, PretrainedConfig):
            hub_kwargs = pop_hub_kwargs(kwargs)
            config = AutoConfig.from_pretrained(pretrained_model_name_or_path, **hub_kwargs)
            kwargs.update(hub_kwargs)
        return cls.model_class(config).from_pretrained(pretrained_model_name_or_path, *model_args, config=config,
                                                       **kwargs)


class AutoModel(_AutoModel):
    head = "model"


class AutoModelForSequenceClassification(_AutoModel):
    head = "sequence-classification"


class AutoModelForTokenClassification(_AutoModel):
    head = "token-classification"


class AutoModelForMaskedLM(_AutoModel):
    head = "masked-lm"


class AutoModelForQuestionAnswering(_AutoModel):
    head = "question-answering"


class AutoModelForCausalLM(_AutoModel):
    head = "causal-lm"


class AutoModelForSeq2SeqLM(_AutoModel):
    head = "seq2seq-lm"


class AutoModelForPreTraining(_AutoModel):
    head = "pretraining"
