"""ELECTRA: BERT's encoder behind narrower embeddings, with a generator (MLM) and a discriminator head.

What differs from BERT, all here:
1. The embeddings are `embedding_size` wide; when that is not `hidden_size` (ELECTRA-small: 128 into 256),
   `embeddings_project` maps them to the encoder's width. There is no pooler.
2. Sentence classification uses RoBERTa's head layout (classifier.dense / out_proj on the first token)
   with exact gelu where RoBERTa has tanh.
3. The generator head (ElectraForMaskedLM) predicts through an embedding_size-wide bottleneck whose output
   matrix is the word embeddings; the discriminator (ElectraForPreTraining) scores each token as replaced
   or original, its loss binary cross-entropy over the real (unpadded) tokens.
Parameter names match transformers' checkpoints, so state dicts load unchanged in both directions.
The tokenizer is BERT's; transformers 5 names it ElectraTokenizer as well, one class under both names.
"""

# read by leanformers/manifest.py from this source, without importing it
ARCHITECTURE = {
    "config": "ElectraConfig",
    "heads": {"model": "ElectraModel", "sequence-classification": "ElectraForSequenceClassification",
              "token-classification": "ElectraForTokenClassification", "masked-lm": "ElectraForMaskedLM",
              "pretraining": "ElectraForPreTraining"},
    "tokenizers": {"BertTokenizer": "leanformers.tokenization.bert:BertTokenizer",
                   "ElectraTokenizer": "leanformers.tokenization.bert:BertTokenizer"},
}


from dataclasses import dataclass
from typing import Any

import torch.nn.functional as F
from torch import nn

from ..modeling.layers import activation
from ..modeling.losses import token_loss
from ..outputs import MaskedLMOutput, ModelOutput
from .bert import BertConfig, BertEmbeddings, BertForTokenClassification, BertHeadModel, BertModel, BertPreTrainedModel
from .roberta import RobertaClassificationHead, RobertaForSequenceClassification


@dataclass(init=False, repr=False)
class ElectraConfig(BertConfig):
    model_type = "electra"
    embedding_size: int = 128
    hidden_size: int = 256
    num_attention_heads: int = 4
    intermediate_size: int = 1024
    # read by no head here (transformers uses them for multiple choice); kept so config.json round-trips
    summary_type: str = "first"
    summary_use_proj: bool = True
    summary_activation: str = "gelu"
    summary_last_dropout: float = 0.1


@dataclass
class ElectraForPreTrainingOutput(ModelOutput):
    loss: Any = None
    logits: Any = None  # (B, T): > 0 means "this token was replaced"
    hidden_states: Any = None
    attentions: Any = None


class ElectraEmbeddings(BertEmbeddings):
    """BERT's embeddings (word + position + token type, LayerNorm, dropout), embedding_size wide."""

    def __init__(self, config):
        super().__init__(config, width=config.embedding_size)


class ElectraPreTrainedModel(BertPreTrainedModel):
    config_class = ElectraConfig
    base_model_prefix = "electra"


class ElectraModel(ElectraPreTrainedModel, BertModel):
    embeddings_class = ElectraEmbeddings

    def __init__(self, config, add_pooling_layer=False):
        if add_pooling_layer:
            raise ValueError("ELECTRA has no pooler; build ElectraModel without add_pooling_layer.")
        super().__init__(config, add_pooling_layer=False)
        # only where the widths differ (ELECTRA-small: 128-wide embeddings, a 256-wide encoder), as in transformers
        if config.embedding_size != config.hidden_size:
            self.embeddings_project = nn.Linear(config.embedding_size, config.hidden_size)
            self.post_init()  # initialise the layer added after BertModel's own post_init

    def embed(self, input_ids, token_type_ids, position_ids, inputs_embeds):
        x = super().embed(input_ids, token_type_ids, position_ids, inputs_embeds)  # (B, T, embedding_size)
        project = getattr(self, "embeddings_project", None)
        # projected before the encoder, so hidden_states[0] is hidden_size wide, as in transformers
        return x if project is None else project(x)  # (B, T, C)


class ElectraHeadModel(ElectraPreTrainedModel, BertHeadModel):
    model_class = ElectraModel


class ElectraForTokenClassification(ElectraHeadModel, BertForTokenClassification):
    pass  # BERT's head: dropout, then classifier on every token


class ElectraClassificationHead(RobertaClassificationHead):
    """RoBERTa's head on the first token (dropout, dense, activation, dropout, out_proj), with exact gelu."""

    def forward(self, x):
        x = self.dropout(x[:, 0])  # (B, C)
        return self.out_proj(self.dropout(F.gelu(self.dense(x))))


class ElectraForSequenceClassification(ElectraHeadModel, RobertaForSequenceClassification):
    def __init__(self, config):
        super().__init__(config)
        self.classifier = ElectraClassificationHead(config)  # same parameters as RoBERTa's, gelu for tanh
        self.post_init()


class ElectraGeneratorPredictions(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.embedding_size)
        self.LayerNorm = nn.LayerNorm(config.embedding_size, eps=config.layer_norm_eps)

    def forward(self, x):
        return self.LayerNorm(F.gelu(self.dense(x)))  # exact gelu, whatever hidden_act


class ElectraForMaskedLM(ElectraHeadModel):
    """The generator: masked-token prediction through the embedding_size-wide word embedding matrix."""

    _tied_weights_keys = {"generator_lm_head.weight": "electra.embeddings.word_embeddings.weight"}

    def __init__(self, config):
        super().__init__(config)
        self.generator_predictions = ElectraGeneratorPredictions(config)
        self.generator_lm_head = nn.Linear(config.embedding_size, config.vocab_size)  # its bias is its own
        self.post_init()

    def get_output_embeddings(self):
        return self.generator_lm_head

    def head(self, base, labels):
        logits = self.generator_lm_head(self.generator_predictions(base.last_hidden_state))  # (B, T, vocab_size)
        loss = token_loss(logits, labels) if labels is not None else None
        return MaskedLMOutput(loss=loss, logits=logits, hidden_states=base.hidden_states, attentions=base.attentions)


class ElectraDiscriminatorPredictions(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.act = activation(config.hidden_act)
        self.dense_prediction = nn.Linear(config.hidden_size, 1)

    def forward(self, x):
        return self.dense_prediction(self.act(self.dense(x))).squeeze(-1)  # (B, T)


def replaced_token_loss(logits, labels, attention_mask):
    """The discriminator's loss: binary cross-entropy of "replaced" (label 1) against "original" (0), averaged over
    the tokens the attention mask keeps (all of them without a mask)."""
    if attention_mask is not None:
        keep = attention_mask == 1  # (B, T)
        logits, labels = logits[keep], labels[keep]
    return F.binary_cross_entropy_with_logits(logits, labels.float())


class ElectraForPreTraining(ElectraHeadModel):
    """The discriminator: for each token, whether the generator replaced it."""

    def __init__(self, config):
        super().__init__(config)
        self.discriminator_predictions = ElectraDiscriminatorPredictions(config)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, labels=None, output_attentions=None, output_hidden_states=None,
                return_dict=None):
        # BertHeadModel.forward hands the head only the labels; this loss also needs the attention mask
        targets = (labels, attention_mask) if labels is not None else None
        return super().forward(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds, targets,
                               output_attentions, output_hidden_states, return_dict)

    def head(self, base, targets):
        logits = self.discriminator_predictions(base.last_hidden_state)  # (B, T)
        loss = replaced_token_loss(logits, *targets) if targets is not None else None
        return ElectraForPreTrainingOutput(loss=loss, logits=logits, hidden_states=base.hidden_states,
                                           attentions=base.attentions)
