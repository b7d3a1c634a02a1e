"""TensorFlow twin of models/xlm_roberta.py: TF RoBERTa (tf/roberta.py) under XLM-RoBERTa's names and config;
the layers and weight names ("roberta/...", "classifier/...") are RoBERTa's."""

from ..models.xlm_roberta import XLMRobertaConfig
from .roberta import TFRobertaForSequenceClassification, TFRobertaForTokenClassification, TFRobertaModel


class TFXLMRobertaModel(TFRobertaModel):
    config_class = XLMRobertaConfig


class TFXLMRobertaForSequenceClassification(TFRobertaForSequenceClassification):
    config_class = XLMRobertaConfig


class TFXLMRobertaForTokenClassification(TFRobertaForTokenClassification):
    config_class = XLMRobertaConfig
