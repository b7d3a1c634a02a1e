"""TF Auto classes: the TensorFlow twin of each Auto class, picked by config.model_type through the manifest
(the `tf_module` and `tf_heads` an architecture declares)."""

from importlib import import_module

from ..manifest import architecture, architectures
from ..models.auto import _AutoModel


class _TFAutoModel(_AutoModel):
    @classmethod
    def model_class(cls, config):
        arch = architecture(config.model_type, f"{cls.__name__}: the config")
        name = arch.tf_heads.get(cls.head)
        if name is None:
            known = ", ".join(sorted(a.model_type for a in architectures() if cls.head in a.tf_heads)) or "none"
            raise ValueError(f"{cls.__name__} has no TensorFlow model for model_type {config.model_type!r} (known: "
                             f"{known}). Use the PyTorch Auto class, or a checkpoint of a supported architecture.")
        return getattr(import_module(arch.tf_module), name)


class TFAutoModel(_TFAutoModel):
    head = "model"


class TFAutoModelForSequenceClassification(_TFAutoModel):
    head = "sequence-classification"


class TFAutoModelForTokenClassification(_TFAutoModel):
    head = "token-classification"
