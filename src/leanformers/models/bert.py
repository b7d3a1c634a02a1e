"""BERT: embeddings, a stack of post-LayerNorm encoder layers, a pooler, and the task heads.

Parameter names match transformers' checkpoints (including the historical
`LayerNorm` capitalisation), so state dicts load unchanged in both directions.
RoBERTa reuses everything here except the embeddings' positions and two heads.
"""

# read by leanformers/manifest.py from this source, without importing it
ARCHITECTURE = {
    "config": "BertConfig",
    "heads": {"model": "BertModel", "sequence-classification": "BertForSequenceClassification",
              "token-classification": "BertForTokenClassification", "masked-lm": "BertForMaskedLM",
              "question-answering": "BertForQuestionAnswering"},
    "tokenizers": {"BertTokenizer": "leanformers.tokenization.bert:BertTokenizer"},
    "tf_module": "leanformers.tf.bert",
    "tf_heads": {"model": "TFBertModel", "sequence-classification": "TFBertForSequenceClassification",
                 "token-classification": "TFBertForTokenClassification"},
}


from dataclasses import dataclass

import torch
from torch import nn

from ..configuration import PretrainedConfig
from ..conventions import check_heads, check_length, check_one_input
from ..modeling.base import PreTrainedModel
from ..modeling.layers import activate_fresh, activation, add_fresh, additive_mask, attend, embedding, run_layers
from ..modeling.losses import sequence_classification_loss, span_loss, token_loss
from ..outputs import (BaseModelOutputWithPoolingAndCrossAttentions, MaskedLMOutput, QuestionAnsweringModelOutput,
                       SequenceClassifierOutput, TokenClassifierOutput)


@dataclass(init=False, repr=False)
class BertConfig(PretrainedConfig):
    model_type = "bert"
    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-12
    pad_token_id: int | None = 0
    use_cache: bool = True
    classifier_dropout: float | None = None
    is_decoder: bool = False
    add_cross_attention: bool = False
    bos_token_id: int | None = None
    eos_token_id: int | list | None = None
    tie_word_embeddings: bool = True


class BertEmbeddings(nn.Module):
    def __init__(self, config, width=None):
        """`width`: that of the embeddings, when it is not hidden_size (ELECTRA's narrower ones)."""
        super().__init__()
        width = config.hidden_size if width is None else width
        self.word_embeddings = embedding(config.vocab_size, width, padding_idx=config.pad_token_id)
        self.position_embeddings = embedding(config.max_position_embeddings, width)
        self.token_type_embeddings = embedding(config.type_vocab_size, width)
        self.LayerNorm = nn.LayerNorm(width, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def make_position_ids(self, input_ids, B, T, device):
        check_length(T, self.position_embeddings.num_embeddings)
        return torch.arange(T, device=device)[None, :]  # (1, T)

    def forward(self, input_ids=None, token_type_ids=None, position_ids=None, inputs_embeds=None):
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)  # (B, T, C)
        B, T, _ = inputs_embeds.shape
        if position_ids is None:
            position_ids = self.make_position_ids(input_ids, B, T, inputs_embeds.device)
        if token_type_ids is None:
            token_type_ids = torch.zeros(B, T, dtype=torch.long, device=inputs_embeds.device)
        x = inputs_embeds + self.token_type_embeddings(token_type_ids) + self.position_embeddings(position_ids)
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        check_heads("hidden_size", config.hidden_size, "num_attention_heads", config.num_attention_heads)
        self.n_head = config.num_attention_heads
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

    def forward(self, x, mask, output_attentions):
        B, T, C = x.shape
        q, k, v = (proj(x).view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, H, T, D)
                   for proj in (self.query, self.key, self.value))
        dropout_p = self.dropout.p if self.training else 0.0
        return attend(q, k, v, mask, dropout_p, output_attentions)


class BertSelfOutput(nn.Module):
    """Projection, dropout, then LayerNorm over the residual sum (post-LN, as in the original BERT)."""

    def __init__(self, config, d_in):
        super().__init__()
        self.dense = nn.Linear(d_in, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, x, residual):
        return self.LayerNorm(add_fresh(self.dropout(self.dense(x)), residual))


BertOutput = BertSelfOutput  # the feed-forward output is the same block, reading intermediate_size features


class BertAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertSelfOutput(config, config.hidden_size)

    def forward(self, x, mask, output_attentions):
        y, att = self.self(x, mask, output_attentions)
        return self.output(y, x), att


class BertIntermediate(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.act = activation(config.hidden_act)

    def forward(self, x):
        return activate_fresh(self.act, self.dense(x))


class BertLayer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config, config.intermediate_size)

    def forward(self, x, mask, output_attentions):
        x, att = self.attention(x, mask, output_attentions)
        return self.output(self.intermediate(x), x), att


class BertEncoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(config) for _ in range(config.num_hidden_layers))

    def forward(self, x, mask, output_attentions, output_hidden_states):
        return run_layers(self.layer, x, mask, output_attentions, output_hidden_states)


class BertPooler(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, x):
        return torch.tanh(self.dense(x[:, 0]))  # the [CLS] token stands for the sequence


class BertPreTrainedModel(PreTrainedModel):
    config_class = BertConfig
    base_model_prefix = "bert"

    def __init__(self, config):
        if config.is_decoder or config.add_cross_attention:
            raise NotImplementedError(f"{type(self).__name__}: is_decoder / add_cross_attention are not supported; "
                                      "set both to false in the config (encoder use).")
        super().__init__(config)


class BertModel(BertPreTrainedModel):
    embeddings_class = BertEmbeddings

    def __init__(self, config, add_pooling_layer=True):
        super().__init__(config)
        self.embeddings = self.embeddings_class(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None
        self.post_init()

    def embed(self, input_ids, token_type_ids, position_ids, inputs_embeds):
        """What the encoder's first layer takes (an architecture with another input step overrides this)."""
        return self.embeddings(input_ids, token_type_ids, position_ids, inputs_embeds)  # (B, T, C)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, output_attentions=None, output_hidden_states=None, return_dict=None):
        output_attentions, output_hidden_states, return_dict = self.config.forward_flags(
            output_attentions, output_hidden_states, return_dict)
        check_one_input(input_ids, inputs_embeds)
        x = self.embed(input_ids, token_type_ids, position_ids, inputs_embeds)  # (B, T, C)
        mask = additive_mask(attention_mask, x.dtype, self.config._attn_implementation)
        x, hidden_states, attentions = self.encoder(x, mask, output_attentions, output_hidden_states)
        out = BaseModelOutputWithPoolingAndCrossAttentions(
            last_hidden_state=x,
            pooler_output=self.pooler(x) if self.pooler is not None else None,
            hidden_states=hidden_states,
            attentions=attentions,
            cross_attentions=() if output_attentions else None,  # an encoder has none; transformers returns ()
        )
        return out if return_dict else out.to_tuple()


class BertHeadModel(BertPreTrainedModel):
    """A task head on the bare model; RoBERTa's heads swap `model_class` and the prefix."""

    model_class = BertModel
    add_pooling_layer = False

    def __init__(self, config):
        super().__init__(config)
        setattr(self, self.base_model_prefix, self.model_class(config, add_pooling_layer=self.add_pooling_layer))

    def encode(self, input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds, output_attentions,
               output_hidden_states):
        return self.base_model(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                               output_attentions, output_hidden_states, return_dict=True)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, labels=None, output_attentions=None, output_hidden_states=None,
                return_dict=None):
        _, _, return_dict = self.config.forward_flags(output_attentions, output_hidden_states, return_dict)
        base = self.encode(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                           output_attentions, output_hidden_states)
        out = self.head(base, labels)
        return out if return_dict else out.to_tuple()


def _dropout_p(config):
    # a config without classifier_dropout (ALBERT's has classifier_dropout_prob, and its heads set their own)
    p = getattr(config, "classifier_dropout", None)
    return p if p is not None else config.hidden_dropout_prob


class BertForSequenceClassification(BertHeadModel):
    add_pooling_layer = True

    def __init__(self, config):
        super().__init__(config)
        self.dropout = nn.Dropout(_dropout_p(config))
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def head(self, base, labels):
        logits = self.classifier(self.dropout(base.pooler_output))  # (B, num_labels)
        loss = sequence_classification_loss(self.config, logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits, hidden_states=base.hidden_states,
                                        attentions=base.attentions)


class BertForTokenClassification(BertHeadModel):
    def __init__(self, config):
        super().__init__(config)
        self.dropout = nn.Dropout(_dropout_p(config))
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def head(self, base, labels):
        logits = self.classifier(self.dropout(base.last_hidden_state))  # (B, T, num_labels)
        loss = token_loss(logits, labels) if labels is not None else None
        return TokenClassifierOutput(loss=loss, logits=logits, hidden_states=base.hidden_states,
                                     attentions=base.attentions)


class BertForQuestionAnswering(BertHeadModel):
    def __init__(self, config):
        super().__init__(config)
        self.qa_outputs = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, start_positions=None, end_positions=None, output_attentions=None,
                output_hidden_states=None, return_dict=None):
        _, _, return_dict = self.config.forward_flags(output_attentions, output_hidden_states, return_dict)
        base = self.encode(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                           output_attentions, output_hidden_states)
        logits = self.qa_outputs(base.last_hidden_state)  # (B, T, 2)
        start_logits, end_logits = (t.squeeze(-1).contiguous() for t in logits.split(1, dim=-1))
        loss = None
        if start_positions is not None and end_positions is not None:
            loss = span_loss(start_logits, end_logits, start_positions, end_positions)
        out = QuestionAnsweringModelOutput(loss=loss, start_logits=start_logits, end_logits=end_logits,
                                           hidden_states=base.hidden_states, attentions=base.attentions)
        return out if return_dict else out.to_tuple()


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.act = activation(config.hidden_act)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, x):
        return self.LayerNorm(self.act(self.dense(x)))


class BertLMPredictionHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.transform = BertPredictionHeadTransform(config)
        # the decoder's weight is the word embedding matrix and its bias is `self.bias` (both tied by the model)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, x):
        return self.decoder(self.transform(x))


class BertOnlyMLMHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.predictions = BertLMPredictionHead(config)

    def forward(self, x):
        return self.predictions(x)


class BertForMaskedLM(BertHeadModel):
    _tied_weights_keys = {
        "cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
        "cls.predictions.decoder.bias": "cls.predictions.bias",
    }

    def __init__(self, config):
        super().__init__(config)
        self.cls = BertOnlyMLMHead(config)
        self.post_init()

    def get_output_embeddings(self):
        return self.cls.predictions.decoder

    def head(self, base, labels):
        logits = self.cls(base.last_hidden_state)  # (B, T, vocab_size)
        loss = token_loss(logits, labels) if labels is not None else None
        return MaskedLMOutput(loss=loss, logits=logits, hidden_states=base.hidden_states, attentions=base.attentions)
