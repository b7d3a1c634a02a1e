"""TF Auto classes: the TensorFlow twin of each Auto class, picked by config.model_type from
leanformers.models.tf_<module> (the PyTorch class's module with a tf_ prefix)."""

from importlib import import_module

from .auto import MODEL_MODULES, _AutoModel


class _TFAutoModel(_AutoModel):
    @classmethod
    def model_class(cls, config):
        name = cls.registry.get(config.model_type)
        if name is None:
            known = ", ".join(sorted(cls.registry)) or "none"
            raise ValueError(f"{cls.__name__} has no TensorFlow model for model_type {config.model_type!r} (known: "
                             f"{known}). Use the PyTorch Auto class, or a checkpoint of a supported architecture.")
        return getattr(import_module(f"leanformers.models.tf_{MODEL_MODULES[config.model_type]}"), name)


class TFAutoModel(_TFAutoModel):
    registry = {"bert": "TFBertModel", "distilbert": "TFDistilBertModel", "roberta": "TFRobertaModel"}


class TFAutoModelForSequenceClassification(_TFAutoModel):
    registry = {"bert": "TFBertForSequenceClassification", "distilbert": "TFDistilBertForSequenceClassification",
                "roberta": "TFRobertaForSequenceClassification"}


class TFAutoModelForTokenClassification(_TFAutoModel):
    registry = {"bert": "TFBertForTokenClassification", "distilbert": "TFDistilBertForTokenClassification",
                "roberta": "TFRobertaForTokenClassification"}
