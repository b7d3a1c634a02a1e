"""DistilBERT: BERT with half the layers, no token types and no pooler, and its own parameter names.

The quicktour's sentiment model. Names match transformers' checkpoints
(q_lin, sa_layer_norm, pre_classifier, vocab_projector, ...).
"""

# read by leanformers/manifest.py from this source, without importing it
ARCHITECTURE = {
    "config": "DistilBertConfig",
    "heads": {"model": "DistilBertModel", "sequence-classification": "DistilBertForSequenceClassification",
              "token-classification": "DistilBertForTokenClassification", "masked-lm": "DistilBertForMaskedLM",
              "question-answering": "DistilBertForQuestionAnswering"},
    "tokenizers": {"BertTokenizer": "leanformers.tokenization.bert:BertTokenizer",
                   "DistilBertTokenizer": "leanformers.tokenization.bert:DistilBertTokenizer"},
    "tf_module": "leanformers.tf.distilbert",
    "tf_heads": {"model": "TFDistilBertModel", "sequence-classification": "TFDistilBertForSequenceClassification",
                 "token-classification": "TFDistilBertForTokenClassification"},
}


from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..configuration import PretrainedConfig
from ..conventions import check_heads, check_length, check_one_input
from ..modeling.base import PreTrainedModel
from ..modeling.layers import activate_fresh, activation, add_fresh, additive_mask, attend, embedding, run_layers
from ..modeling.losses import sequence_classification_loss, span_loss, token_loss
from ..outputs import (BaseModelOutput, MaskedLMOutput, QuestionAnsweringModelOutput, SequenceClassifierOutput,
                       TokenClassifierOutput)


@dataclass(init=False, repr=False)
class DistilBertConfig(PretrainedConfig):
    model_type = "distilbert"
    attribute_map = {"hidden_size": "dim", "num_attention_heads": "n_heads", "num_hidden_layers": "n_layers"}
    vocab_size: int = 30522
    max_position_embeddings: int = 512
    sinusoidal_pos_embds: bool = False
    n_layers: int = 6
    n_heads: int = 12
    dim: int = 768
    hidden_dim: int = 4 * 768
    dropout: float = 0.1
    attention_dropout: float = 0.1
    activation: str = "gelu"
    initializer_range: float = 0.02
    qa_dropout: float = 0.1
    seq_classif_dropout: float = 0.2
    pad_token_id: int | None = 0
    eos_token_id: int | list | None = None
    bos_token_id: int | None = None
    tie_word_embeddings: bool = True


class Embeddings(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.word_embeddings = embedding(config.vocab_size, config.dim, padding_idx=config.pad_token_id)
        self.position_embeddings = embedding(config.max_position_embeddings, config.dim)
        self.LayerNorm = nn.LayerNorm(config.dim, eps=1e-12)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, input_ids=None, inputs_embeds=None, position_ids=None):
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)  # (B, T, C)
        T = inputs_embeds.size(1)
        if position_ids is None:
            check_length(T, self.position_embeddings.num_embeddings)
            position_ids = torch.arange(T, device=inputs_embeds.device)[None, :]  # (1, T)
        return self.dropout(self.LayerNorm(inputs_embeds + self.position_embeddings(position_ids)))


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        check_heads("dim", config.dim, "n_heads", config.n_heads, fix="fix the config.")
        self.n_heads = config.n_heads
        self.q_lin = nn.Linear(config.dim, config.dim)
        self.k_lin = nn.Linear(config.dim, config.dim)
        self.v_lin = nn.Linear(config.dim, config.dim)
        self.out_lin = nn.Linear(config.dim, config.dim)
        self.dropout = nn.Dropout(config.attention_dropout)

    def forward(self, x, mask, output_attentions):
        B, T, C = x.shape
        q, k, v = (proj(x).view(B, T, self.n_heads, C // self.n_heads).transpose(1, 2)  # (B, H, T, D)
                   for proj in (self.q_lin, self.k_lin, self.v_lin))
        y, att = attend(q, k, v, mask, self.dropout.p if self.training else 0.0, output_attentions)
        return self.out_lin(y), att


class FFN(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.lin1 = nn.Linear(config.dim, config.hidden_dim)
        self.lin2 = nn.Linear(config.hidden_dim, config.dim)
        self.act = activation(config.activation)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(self.lin2(activate_fresh(self.act, self.lin1(x))))


class TransformerBlock(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.attention = MultiHeadSelfAttention(config)
        self.sa_layer_norm = nn.LayerNorm(config.dim, eps=1e-12)
        self.ffn = FFN(config)
        self.output_layer_norm = nn.LayerNorm(config.dim, eps=1e-12)

    def forward(self, x, mask, output_attentions):
        y, att = self.attention(x, mask, output_attentions)
        x = self.sa_layer_norm(add_fresh(y, x))
        return self.output_layer_norm(add_fresh(self.ffn(x), x)), att


class Transformer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.layer = nn.ModuleList(TransformerBlock(config) for _ in range(config.n_layers))

    def forward(self, x, mask, output_attentions, output_hidden_states):
        return run_layers(self.layer, x, mask, output_attentions, output_hidden_states)


def sinusoidal_positions(n_pos, dim):
    """(n_pos, dim) fixed sine/cosine table: even columns sin, odd columns cos."""
    position = torch.arange(n_pos, dtype=torch.float64)[:, None]
    freq = torch.pow(10000.0, 2 * (torch.arange(dim) // 2) / dim).to(torch.float64)
    angles = position / freq
    table = torch.empty(n_pos, dim, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angles[:, 0::2])
    table[:, 1::2] = torch.cos(angles[:, 1::2])
    return table


class DistilBertPreTrainedModel(PreTrainedModel):
    config_class = DistilBertConfig
    base_model_prefix = "distilbert"

    @torch.no_grad()
    def _init_weights(self, module, name, tensor):
        fixed = self.config.sinusoidal_pos_embds and module is self.base_model.embeddings.position_embeddings
        if fixed and tensor.device.type != "meta":
            tensor.copy_(sinusoidal_positions(*tensor.shape))
        else:
            super()._init_weights(module, name, tensor)


class DistilBertModel(DistilBertPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.embeddings = Embeddings(config)
        self.transformer = Transformer(config)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, inputs_embeds=None, position_ids=None,
                output_attentions=None, output_hidden_states=None, return_dict=None, token_type_ids=None):
        # token_type_ids is accepted and ignored: DistilBERT has no segment embeddings, but a BERT
        # tokenizer paired with it returns them and transformers ignores them the same way
        output_attentions, output_hidden_states, return_dict = self.config.forward_flags(
            output_attentions, output_hidden_states, return_dict)
        check_one_input(input_ids, inputs_embeds)
        x = self.embeddings(input_ids, inputs_embeds, position_ids)  # (B, T, C)
        x, hidden_states, attentions = self.transformer(
            x, additive_mask(attention_mask, x.dtype, self.config._attn_implementation), output_attentions,
            output_hidden_states)
        out = BaseModelOutput(last_hidden_state=x, hidden_states=hidden_states, attentions=attentions)
        return out if return_dict else out.to_tuple()


class DistilBertHeadModel(DistilBertPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.distilbert = DistilBertModel(config)

    def forward(self, input_ids=None, attention_mask=None, inputs_embeds=None, labels=None, position_ids=None,
                output_attentions=None, output_hidden_states=None, return_dict=None, token_type_ids=None):
        _, _, return_dict = self.config.forward_flags(output_attentions, output_hidden_states, return_dict)
        base = self.distilbert(input_ids, attention_mask, inputs_embeds, position_ids, output_attentions,
                               output_hidden_states, return_dict=True)
        out = self.head(base, labels)
        return out if return_dict else out.to_tuple()


class DistilBertForSequenceClassification(DistilBertHeadModel):
    def __init__(self, config):
        super().__init__(config)
        self.pre_classifier = nn.Linear(config.dim, config.dim)
        self.classifier = nn.Linear(config.dim, config.num_labels)
        self.dropout = nn.Dropout(config.seq_classif_dropout)
        self.post_init()

    def head(self, base, labels):
        pooled = F.relu(self.pre_classifier(base.last_hidden_state[:, 0]))  # (B, C) from the [CLS] token
        logits = self.classifier(self.dropout(pooled))  # (B, num_labels)
        loss = sequence_classification_loss(self.config, logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits, hidden_states=base.hidden_states,
                                        attentions=base.attentions)


class DistilBertForTokenClassification(DistilBertHeadModel):
    def __init__(self, config):
        super().__init__(config)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.dim, config.num_labels)
        self.post_init()

    def head(self, base, labels):
        logits = self.classifier(self.dropout(base.last_hidden_state))  # (B, T, num_labels)
        loss = token_loss(logits, labels) if labels is not None else None
        return TokenClassifierOutput(loss=loss, logits=logits, hidden_states=base.hidden_states,
                                     attentions=base.attentions)


class DistilBertForMaskedLM(DistilBertHeadModel):
    _tied_weights_keys = {"vocab_projector.weight": "distilbert.embeddings.word_embeddings.weight"}

    def __init__(self, config):
        super().__init__(config)
        self.act = activation(config.activation)
        self.vocab_transform = nn.Linear(config.dim, config.dim)
        self.vocab_layer_norm = nn.LayerNorm(config.dim, eps=1e-12)
        self.vocab_projector = nn.Linear(config.dim, config.vocab_size)
        self.post_init()

    def get_output_embeddings(self):
        return self.vocab_projector

    def head(self, base, labels):
        x = self.vocab_layer_norm(self.act(self.vocab_transform(base.last_hidden_state)))
        logits = self.vocab_projector(x)  # (B, T, vocab_size)
        loss = token_loss(logits, labels) if labels is not None else None
        return MaskedLMOutput(loss=loss, logits=logits, hidden_states=base.hidden_states, attentions=base.attentions)


class DistilBertForQuestionAnswering(DistilBertPreTrainedModel):
    def __init__(self, config):
        if config.num_labels != 2:
            raise ValueError(f"DistilBertForQuestionAnswering needs num_labels=2 (start and end), got "
                             f"{config.num_labels}; drop num_labels or set it to 2.")
        super().__init__(config)
        self.distilbert = DistilBertModel(config)
        self.qa_outputs = nn.Linear(config.dim, config.num_labels)
        self.dropout = nn.Dropout(config.qa_dropout)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, inputs_embeds=None, start_positions=None,
                end_positions=None, position_ids=None, output_attentions=None, output_hidden_states=None,
                return_dict=None, token_type_ids=None):
        _, _, return_dict = self.config.forward_flags(output_attentions, output_hidden_states, return_dict)
        base = self.distilbert(input_ids, attention_mask, inputs_embeds, position_ids, output_attentions,
                               output_hidden_states, return_dict=True)
        logits = self.qa_outputs(self.dropout(base.last_hidden_state))  # (B, T, 2)
        start_logits, end_logits = (t.squeeze(-1).contiguous() for t in logits.split(1, dim=-1))
        loss = None
        if start_positions is not None and end_positions is not None:
            loss = span_loss(start_logits, end_logits, start_positions, end_positions)
        out = QuestionAnsweringModelOutput(loss=loss, start_logits=start_logits, end_logits=end_logits,
                                           hidden_states=base.hidden_states, attentions=base.attentions)
        return out if return_dict else out.to_tuple()
