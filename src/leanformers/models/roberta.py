"""RoBERTa: BERT's layers with two differences, both here.

1. Position ids count only real tokens and start after padding_idx, so a padded
   sequence gets the same positions as the unpadded one (fairseq's convention).
2. The classification and MLM heads have their own layout (classifier.dense /
   out_proj, lm_head.*). Token classification and QA heads are BERT's.
"""

# read by leanformers/manifest.py from this source, without importing it
ARCHITECTURE = {
    "config": "RobertaConfig",
    "heads": {"model": "RobertaModel", "sequence-classification": "RobertaForSequenceClassification",
              "token-classification": "RobertaForTokenClassification", "masked-lm": "RobertaForMaskedLM",
              "question-answering": "RobertaForQuestionAnswering"},
    "tokenizers": {"RobertaTokenizer": "leanformers.tokenization.roberta:RobertaTokenizer"},
    "tf_module": "leanformers.tf.roberta",
    "tf_heads": {"model": "TFRobertaModel", "sequence-classification": "TFRobertaForSequenceClassification",
                 "token-classification": "TFRobertaForTokenClassification"},
}


from dataclasses import dataclass

import torch
from torch import nn

from ..conventions import check_length
from ..modeling.layers import embedding
from ..modeling.losses import sequence_classification_loss, token_loss
from ..outputs import MaskedLMOutput, SequenceClassifierOutput
from .bert import (BertConfig, BertEmbeddings, BertForQuestionAnswering, BertForTokenClassification, BertHeadModel,
                   BertModel, BertPreTrainedModel, _dropout_p)


@dataclass(init=False, repr=False)
class RobertaConfig(BertConfig):
    model_type = "roberta"
    vocab_size: int = 50265
    pad_token_id: int | None = 1
    bos_token_id: int | None = 0
    eos_token_id: int | list | None = 2

    @property
    def max_sequence_length(self):
        return self.max_position_embeddings - (self.pad_token_id + 1)  # positions start after the padding index


class RobertaEmbeddings(BertEmbeddings):
    def __init__(self, config):
        super().__init__(config)
        self.padding_idx = config.pad_token_id
        self.position_embeddings = embedding(config.max_position_embeddings, config.hidden_size,
                                                padding_idx=config.pad_token_id)

    def make_position_ids(self, input_ids, B, T, device):
        # positions padding_idx+1 ... ; padding keeps padding_idx, whose embedding row is never trained
        check_length(T, self.position_embeddings.num_embeddings - self.padding_idx - 1)
        if input_ids is None:  # embeddings given directly: padding cannot be seen, count every token
            return torch.arange(self.padding_idx + 1, T + self.padding_idx + 1, device=device).expand(B, T)
        is_token = input_ids.ne(self.padding_idx).long()  # (B, T)
        return torch.cumsum(is_token, dim=1) * is_token + self.padding_idx


class RobertaPreTrainedModel(BertPreTrainedModel):
    config_class = RobertaConfig
    base_model_prefix = "roberta"


class RobertaModel(RobertaPreTrainedModel, BertModel):
    embeddings_class = RobertaEmbeddings


class RobertaHeadModel(RobertaPreTrainedModel, BertHeadModel):
    model_class = RobertaModel


class RobertaForTokenClassification(RobertaHeadModel, BertForTokenClassification):
    pass


class RobertaForQuestionAnswering(RobertaHeadModel, BertForQuestionAnswering):
    pass


class RobertaClassificationHead(nn.Module):
    """Sentence classification from the <s> token: dropout, dense + tanh, dropout, projection."""

    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(_dropout_p(config))
        self.out_proj = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, x):
        x = self.dropout(x[:, 0])  # (B, C)
        x = self.dropout(torch.tanh(self.dense(x)))
        return self.out_proj(x)


class RobertaForSequenceClassification(RobertaHeadModel):
    def __init__(self, config):
        super().__init__(config)
        self.classifier = RobertaClassificationHead(config)
        self.post_init()

    def head(self, base, labels):
        logits = self.classifier(base.last_hidden_state)  # (B, num_labels)
        loss = sequence_classification_loss(self.config, logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits, hidden_states=base.hidden_states,
                                        attentions=base.attentions)


class RobertaLMHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        # decoder weight = word embeddings, decoder bias = self.bias (tied by the model)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, x):
        return self.decoder(self.layer_norm(nn.functional.gelu(self.dense(x))))  # exact gelu, whatever hidden_act


class RobertaForMaskedLM(RobertaHeadModel):
    _tied_weights_keys = {
        "lm_head.decoder.weight": "roberta.embeddings.word_embeddings.weight",
        "lm_head.decoder.bias": "lm_head.bias",
    }

    def __init__(self, config):
        super().__init__(config)
        self.lm_head = RobertaLMHead(config)
        self.post_init()

    def get_output_embeddings(self):
        return self.lm_head.decoder

    def head(self, base, labels):
        logits = self.lm_head(base.last_hidden_state)  # (B, T, vocab_size)
        loss = token_loss(logits, labels) if labels is not None else None
        return MaskedLMOutput(loss=loss, logits=logits, hidden_states=base.hidden_states, attentions=base.attentions)
