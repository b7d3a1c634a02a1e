"""TF Auto classes: the TensorFlow twin of each Auto class, picked by config.model_type through the manifest
(the `tf_module` and `tf_heads` an architecture declares)."""

from ..models.auto import _AutoModel


class _TFAutoModel(_AutoModel):
    heads_field, module_field, kind = "tf_heads", "tf_module", "TensorFlow model"
    fix = "Use the PyTorch Auto class, or a checkpoint of a supported architecture."


class TFAutoModel(_TFAutoModel):
    head = "model"


class TFAutoModelForSequenceClassification(_TFAutoModel):
    head = "sequence-classification"


class TFAutoModelForTokenClassification(_TFAutoModel):
    head = "token-classification"
