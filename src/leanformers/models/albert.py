"""ALBERT: BERT's post-LayerNorm encoder layer, shared across depth, behind factorised embeddings.

What differs from BERT, all here:
1. The embeddings are `embedding_size` wide (BERT's word + position + token type, LayerNorm, dropout);
   `encoder.embedding_hidden_mapping_in` always projects them to hidden_size, so hidden_states[0] is
   hidden_size wide, as in transformers.
2. There are `num_hidden_groups` groups of `inner_group_num` layers each, and the encoder runs
   num_hidden_layers steps, step i through group i * num_hidden_groups // num_hidden_layers (ALBERT's
   parameter sharing: one group of one layer, repeated). hidden_states holds the embeddings' projection and
   then the output of every layer run (num_hidden_layers * inner_group_num of them); attentions, one per run.
3. One layer is attention (query/key/value, `dense`, LayerNorm over the residual, as BERT's attention block)
   and a feed-forward `ffn` -> activation -> `ffn_output` whose residual sum goes through
   `full_layer_layer_norm`; transformers applies no dropout to the feed-forward output, nor does this.
4. The pooler is a bare Linear (`albert.pooler`) and tanh. The MLM head (`predictions`) is dense ->
   activation -> LayerNorm, embedding_size wide, then `decoder`, tied to the word embeddings, with
   `predictions.bias` as its bias. ForPreTraining adds the sentence-order head (`sop_classifier`).
Sequence and token classification and question answering are BERT's heads (the classifiers' dropout is
classifier_dropout_prob). Parameter names match transformers' checkpoints in both directions.
"""

# read by leanformers/manifest.py from this source, without importing it
ARCHITECTURE = {
    "config": "AlbertConfig",
    "heads": {"model": "AlbertModel", "sequence-classification": "AlbertForSequenceClassification",
              "token-classification": "AlbertForTokenClassification", "masked-lm": "AlbertForMaskedLM",
              "question-answering": "AlbertForQuestionAnswering", "pretraining": "AlbertForPreTraining"},
    "tokenizers": {"AlbertTokenizer": "leanformers.tokenization.albert:AlbertTokenizer"},
}


import typing
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..configuration import PretrainedConfig
from ..conventions import check_one_input
from ..modeling.layers import activate_fresh, activation, add_fresh, additive_mask, run_layers
from ..modeling.losses import token_loss
from ..outputs import MaskedLMOutput, ModelOutput
from .bert import (BertEmbeddings, BertForQuestionAnswering, BertForSequenceClassification,
                   BertForTokenClassification, BertHeadModel, BertPreTrainedModel, BertSelfAttention)


@dataclass(init=False, repr=False)
class AlbertConfig(PretrainedConfig):
    model_type = "albert"
    # ALBERT is an encoder only: BertPreTrainedModel's check reads these, and they are not written to config.json
    is_decoder: typing.ClassVar[bool] = False
    add_cross_attention: typing.ClassVar[bool] = False
    vocab_size: int = 30000
    embedding_size: int = 128
    hidden_size: int = 4096
    num_hidden_layers: int = 12
    num_hidden_groups: int = 1
    num_attention_heads: int = 64
    intermediate_size: int = 16384
    inner_group_num: int = 1
    hidden_act: str = "gelu_new"
    hidden_dropout_prob: float = 0.0
    attention_probs_dropout_prob: float = 0.0
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-12
    classifier_dropout_prob: float = 0.1
    pad_token_id: int | None = 0
    bos_token_id: int | None = 2
    eos_token_id: int | list | None = 3
    tie_word_embeddings: bool = True


@dataclass
class BaseModelOutputWithPooling(ModelOutput):
    last_hidden_state: Any = None  # (B, T, C)
    pooler_output: Any = None  # (B, C), None without the pooler
    hidden_states: Any = None
    attentions: Any = None


@dataclass
class AlbertForPreTrainingOutput(ModelOutput):
    loss: Any = None
    prediction_logits: Any = None  # (B, T, vocab_size)
    sop_logits: Any = None  # (B, num_labels): sentence order, 0 = in order, 1 = swapped
    hidden_states: Any = None
    attentions: Any = None


class AlbertEmbeddings(BertEmbeddings):
    def __init__(self, config):
        super().__init__(config, width=config.embedding_size)


class AlbertAttention(BertSelfAttention):
    """BERT's self-attention (query, key, value) and, under the same module, its output block (dense, dropout,
    LayerNorm over the residual sum)."""

    def __init__(self, config):
        super().__init__(config)
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.output_dropout = nn.Dropout(config.hidden_dropout_prob)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, x, mask, output_attentions):
        y, att = super().forward(x, mask, output_attentions)  # (B, T, C)
        return self.LayerNorm(add_fresh(self.output_dropout(self.dense(y)), x)), att


class AlbertLayer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.full_layer_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.attention = AlbertAttention(config)
        self.ffn = nn.Linear(config.hidden_size, config.intermediate_size)
        self.ffn_output = nn.Linear(config.intermediate_size, config.hidden_size)
        self.activation = activation(config.hidden_act)

    def forward(self, x, mask, output_attentions):
        x, att = self.attention(x, mask, output_attentions)  # (B, T, C)
        y = self.ffn_output(activate_fresh(self.activation, self.ffn(x)))  # (B, T, C) through intermediate_size
        return self.full_layer_layer_norm(add_fresh(y, x)), att


class AlbertLayerGroup(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.albert_layers = nn.ModuleList(AlbertLayer(config) for _ in range(config.inner_group_num))


class AlbertTransformer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.num_hidden_layers, self.num_hidden_groups = config.num_hidden_layers, config.num_hidden_groups
        self.embedding_hidden_mapping_in = nn.Linear(config.embedding_size, config.hidden_size)
        self.albert_layer_groups = nn.ModuleList(AlbertLayerGroup(config) for _ in range(config.num_hidden_groups))

    def layers_run(self):
        """Every layer in the order the encoder runs them: each step's group, that group's layers in turn."""
        for step in range(self.num_hidden_layers):
            group = self.albert_layer_groups[step * self.num_hidden_groups // self.num_hidden_layers]
            yield from group.albert_layers

    def forward(self, x, mask, output_attentions, output_hidden_states):
        x = self.embedding_hidden_mapping_in(x)  # (B, T, embedding_size) -> (B, T, C)
        return run_layers(self.layers_run(), x, mask, output_attentions, output_hidden_states)


class AlbertPreTrainedModel(BertPreTrainedModel):
    config_class = AlbertConfig
    base_model_prefix = "albert"


class AlbertModel(AlbertPreTrainedModel):
    def __init__(self, config, add_pooling_layer=True):
        super().__init__(config)
        self.embeddings = AlbertEmbeddings(config)
        self.encoder = AlbertTransformer(config)
        self.pooler = nn.Linear(config.hidden_size, config.hidden_size) if add_pooling_layer else None
        self.pooler_activation = nn.Tanh() if add_pooling_layer else None
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, output_attentions=None, output_hidden_states=None, return_dict=None):
        output_attentions, output_hidden_states, return_dict = self.config.forward_flags(
            output_attentions, output_hidden_states, return_dict)
        check_one_input(input_ids, inputs_embeds)
        x = self.embeddings(input_ids, token_type_ids, position_ids, inputs_embeds)  # (B, T, embedding_size)
        mask = additive_mask(attention_mask, x.dtype, self.config._attn_implementation)
        x, hidden_states, attentions = self.encoder(x, mask, output_attentions, output_hidden_states)
        pooled = self.pooler_activation(self.pooler(x[:, 0])) if self.pooler is not None else None  # (B, C)
        out = BaseModelOutputWithPooling(last_hidden_state=x, pooler_output=pooled, hidden_states=hidden_states,
                                         attentions=attentions)
        return out if return_dict else out.to_tuple()


class AlbertHeadModel(AlbertPreTrainedModel, BertHeadModel):
    model_class = AlbertModel


class AlbertClassifierDropout:
    """Mixed in before one of BERT's classifier heads: its dropout is ALBERT's classifier_dropout_prob."""

    def __init__(self, config):
        super().__init__(config)
        self.dropout = nn.Dropout(config.classifier_dropout_prob)


class AlbertForSequenceClassification(AlbertClassifierDropout, AlbertHeadModel, BertForSequenceClassification):
    pass  # dropout and classifier on the pooled output


class AlbertForTokenClassification(AlbertClassifierDropout, AlbertHeadModel, BertForTokenClassification):
    pass  # dropout and classifier on every token


class AlbertForQuestionAnswering(AlbertHeadModel, BertForQuestionAnswering):
    pass


class AlbertMLMHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.LayerNorm = nn.LayerNorm(config.embedding_size, eps=config.layer_norm_eps)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.dense = nn.Linear(config.hidden_size, config.embedding_size)
        # the decoder's weight is the word embedding matrix and its bias is `self.bias` (both tied by the model)
        self.decoder = nn.Linear(config.embedding_size, config.vocab_size)
        self.activation = activation(config.hidden_act)

    def forward(self, x):
        return self.decoder(self.LayerNorm(self.activation(self.dense(x))))  # (B, T, vocab_size)


class AlbertSOPHead(nn.Module):
    """Sentence-order prediction from the pooled output."""

    def __init__(self, config):
        super().__init__()
        self.dropout = nn.Dropout(config.classifier_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, pooled):
        return self.classifier(self.dropout(pooled))  # (B, num_labels)


_MLM_TIES = {"predictions.decoder.weight": "albert.embeddings.word_embeddings.weight",
             "predictions.decoder.bias": "predictions.bias"}


class AlbertForMaskedLM(AlbertHeadModel):
    _tied_weights_keys = _MLM_TIES

    def __init__(self, config):
        super().__init__(config)
        self.predictions = AlbertMLMHead(config)
        self.post_init()

    def get_output_embeddings(self):
        return self.predictions.decoder

    def head(self, base, labels):
        logits = self.predictions(base.last_hidden_state)  # (B, T, vocab_size)
        loss = token_loss(logits, labels) if labels is not None else None
        return MaskedLMOutput(loss=loss, logits=logits, hidden_states=base.hidden_states, attentions=base.attentions)


class AlbertForPreTraining(AlbertHeadModel):
    """Masked-token prediction and sentence-order prediction; the loss (their sum) needs both label sets."""

    _tied_weights_keys = _MLM_TIES
    add_pooling_layer = True

    def __init__(self, config):
        super().__init__(config)
        self.predictions = AlbertMLMHead(config)
        self.sop_classifier = AlbertSOPHead(config)
        self.post_init()

    def get_output_embeddings(self):
        return self.predictions.decoder

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, labels=None, sentence_order_label=None, output_attentions=None,
                output_hidden_states=None, return_dict=None):
        targets = (labels, sentence_order_label) if labels is not None and sentence_order_label is not None else None
        return super().forward(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds, targets,
                               output_attentions, output_hidden_states, return_dict)

    def head(self, base, targets):
        prediction_logits = self.predictions(base.last_hidden_state)  # (B, T, vocab_size)
        sop_logits = self.sop_classifier(base.pooler_output)  # (B, num_labels)
        loss = None
        if targets is not None:
            labels, sentence_order_label = targets
            loss = token_loss(prediction_logits, labels) + F.cross_entropy(sop_logits.view(-1, 2),
                                                                          sentence_order_label.view(-1))
        return AlbertForPreTrainingOutput(loss=loss, prediction_logits=prediction_logits, sop_logits=sop_logits,
                                          hidden_states=base.hidden_states, attentions=base.attentions)
