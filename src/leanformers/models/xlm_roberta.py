"""XLM-RoBERTa: RoBERTa's architecture (models/roberta.py) under its own names.

Only the names differ: the config is XLMRobertaConfig (model_type "xlm-roberta", transformers' default
vocab_size 30522), and the classes are XLMRoberta...; the layers, heads and checkpoint keys (roberta.*,
classifier.*, lm_head.*) are RoBERTa's, subclassed here. The tokenizer is the SentencePiece one of
leanformers/tokenization/xlm_roberta.py.
"""

# read by leanformers/manifest.py from this source, without importing it
ARCHITECTURE = {
    "config": "XLMRobertaConfig",
    "heads": {"model": "XLMRobertaModel", "sequence-classification": "XLMRobertaForSequenceClassification",
              "token-classification": "XLMRobertaForTokenClassification", "masked-lm": "XLMRobertaForMaskedLM",
              "question-answering": "XLMRobertaForQuestionAnswering"},
    "tokenizers": {"XLMRobertaTokenizer": "leanformers.tokenization.xlm_roberta:XLMRobertaTokenizer"},
    "tf_module": "leanformers.tf.xlm_roberta",
    "tf_heads": {"model": "TFXLMRobertaModel", "sequence-classification": "TFXLMRobertaForSequenceClassification",
                 "token-classification": "TFXLMRobertaForTokenClassification"},
}


from dataclasses import dataclass

from .roberta import (RobertaConfig, RobertaForMaskedLM, RobertaForQuestionAnswering,
                      RobertaForSequenceClassification, RobertaForTokenClassification, RobertaModel,
                      RobertaPreTrainedModel)


@dataclass(init=False, repr=False)
class XLMRobertaConfig(RobertaConfig):
    model_type = "xlm-roberta"
    vocab_size: int = 30522  # transformers' default (RoBERTa's is 50265); real checkpoints say 250002


class XLMRobertaPreTrainedModel(RobertaPreTrainedModel):
    config_class = XLMRobertaConfig


class XLMRobertaModel(XLMRobertaPreTrainedModel, RobertaModel):
    pass


class XLMRobertaHeadModel(XLMRobertaPreTrainedModel):
    """Mixed in before a RoBERTa head: the XLM-R config, and an XLMRobertaModel as `roberta`."""

    model_class = XLMRobertaModel


class XLMRobertaForSequenceClassification(XLMRobertaHeadModel, RobertaForSequenceClassification):
    pass


class XLMRobertaForTokenClassification(XLMRobertaHeadModel, RobertaForTokenClassification):
    pass


class XLMRobertaForMaskedLM(XLMRobertaHeadModel, RobertaForMaskedLM):
    def __init__(self, config):
        super().__init__(config)
        # transformers' XLM-R registers lm_head before roberta (its RoBERTa does not): in that order the state dict
        # lists the same keys in the same order, and named_parameters() names the shared word-embedding matrix
        # lm_head.decoder.weight, as transformers does
        self._modules["roberta"] = self._modules.pop("roberta")


class XLMRobertaForQuestionAnswering(XLMRobertaHeadModel, RobertaForQuestionAnswering):
    pass
