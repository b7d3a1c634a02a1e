"""DeBERTa-v2 (and DeBERTa-v3, whose checkpoints use it): BERT's post-LayerNorm encoder with disentangled attention.

What differs from BERT, all here:
1. Attention scores add relative-position terms: content-to-position (c2p: the query against the key's relative
   distance) and position-to-content (p2c: the key against the query's), per `pos_att_type`. Distances come from
   one shared table, `encoder.rel_embeddings` (2 * position_buckets rows, or 2 * max_relative_positions), with
   distances past position_buckets / 2 squeezed into log-spaced buckets, optionally LayerNormed (norm_rel_ebd).
   `share_att_key` projects that table with the content query/key projections instead of pos_key/pos_query_proj.
   Every term is divided by sqrt(head_dim * (1 + number of relative terms)).
2. The mask is (B, 1, T, T): a query that is padding sees no key at all, and as in transformers (which fills
   masked scores with finfo.min) such a row gets uniform weights. Embeddings are zeroed at padded positions.
3. Absolute positions are optional (position_biased_input; v3 has none); embeddings may be `embedding_size`
   wide, projected to hidden_size by `embed_proj` (no bias); a convolution (conv_kernel_size > 0) over the
   embeddings is added to the first layer's output.
4. Sentence classification goes through the ContextPooler (first token, dropout, dense, activation); with
   problem_type unset its loss is DeBERTa's own (negative labels ignored, soft labels for float targets).
5. Masked LM: `legacy` (the default) is BERT's layout under `cls.predictions` in embedding_size, tied to the word
   embeddings; `legacy=False` is `lm_predictions.lm_head` (dense, LayerNorm, bias) scoring against them.
StableDropout in the original code is plain dropout, which is all that matters at eval; transformers uses
nn.Dropout. Settings the original reads with defaults (position_buckets, share_att_key, norm_rel_ebd,
conv_kernel_size, conv_groups, conv_act, embedding_size, attention_head_size, cls_dropout) are not config fields,
as in transformers: they live in config.json only where set. Multiple choice is not here (no such head kind).
"""

# read by leanformers/manifest.py from this source, without importing it
ARCHITECTURE = {
    "config": "DebertaV2Config",
    "heads": {"model": "DebertaV2Model", "sequence-classification": "DebertaV2ForSequenceClassification",
              "token-classification": "DebertaV2ForTokenClassification", "masked-lm": "DebertaV2ForMaskedLM",
              "question-answering": "DebertaV2ForQuestionAnswering"},
    "tokenizers": {"DebertaV2Tokenizer": "leanformers.tokenization.deberta_v2:DebertaV2Tokenizer"},
}


import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..configuration import PretrainedConfig
from ..conventions import check_heads, check_length, check_one_input
from ..modeling.base import PreTrainedModel, _zero_padded
from ..modeling.layers import activation, embedding
from ..modeling.losses import sequence_classification_loss, token_loss
from ..outputs import BaseModelOutput, MaskedLMOutput, SequenceClassifierOutput
# the projection after attention and the feed-forward (BertSelfOutput, BertIntermediate) are BERT's
from .bert import (BertForQuestionAnswering, BertForTokenClassification, BertHeadModel, BertIntermediate,
                   BertSelfOutput)


@dataclass(init=False, repr=False)
class DebertaV2Config(PretrainedConfig):
    model_type = "deberta-v2"
    _zero_sizes = frozenset({"type_vocab_size"})  # 0: no token type embeddings (DeBERTa-v3)
    vocab_size: int = 128100
    hidden_size: int = 1536
    num_hidden_layers: int = 24
    num_attention_heads: int = 24
    intermediate_size: int = 6144
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 0
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-7
    relative_attention: bool = False
    max_relative_positions: int = -1
    pad_token_id: int | None = 0
    bos_token_id: int | None = None
    eos_token_id: int | list | None = None
    position_biased_input: bool = True
    pos_att_type: str | list | None = None
    pooler_dropout: float = 0.0
    pooler_hidden_act: str = "gelu"
    legacy: bool = True
    tie_word_embeddings: bool = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if isinstance(self.pos_att_type, str):  # the original's "p2c|c2p"
            self.pos_att_type = [part.strip() for part in self.pos_att_type.lower().split("|")]
        if not hasattr(self, "pooler_hidden_size"):  # transformers writes it to config.json
            self.pooler_hidden_size = self.hidden_size


def _setting(config, name, default):
    """A setting the original reads with a default (not a config field): config.json holds it only where set."""
    return getattr(config, name, default) if name in vars(config) else default


def relative_span(config):
    """Half the number of rows of the relative-position table: position_buckets, else max_relative_positions
    (max_position_embeddings when that is below 1)."""
    buckets = _setting(config, "position_buckets", -1)
    if buckets > 0:
        return buckets
    return config.max_relative_positions if config.max_relative_positions >= 1 else config.max_position_embeddings


def relative_positions(T, buckets, max_position, device):
    """(T, T) long: query position minus key position, squeezed into log-spaced buckets past buckets // 2 when
    both buckets and max_position are positive."""
    pos = torch.arange(T, device=device)
    rel = pos[:, None] - pos[None, :]
    if buckets <= 0 or max_position <= 0:
        return rel
    half = buckets // 2
    near = (rel > -half) & (rel < half)
    distance = torch.where(near, torch.full_like(rel, half - 1), rel.abs())  # kept off log(0); replaced below
    log_ratio = torch.log(distance / half) / torch.log(torch.tensor((max_position - 1) / half))
    far = torch.ceil(log_ratio * (half - 1)) + half
    return torch.where(distance <= half, rel.to(far.dtype), far * torch.sign(rel)).long()


class DebertaV2Embeddings(nn.Module):
    def __init__(self, config):
        super().__init__()
        width = _setting(config, "embedding_size", config.hidden_size)
        self.word_embeddings = embedding(config.vocab_size, width, padding_idx=config.pad_token_id)
        self.position_biased_input = config.position_biased_input
        self.position_embeddings = (embedding(config.max_position_embeddings, width)
                                    if config.position_biased_input else None)
        self.token_type_embeddings = (embedding(config.type_vocab_size, width)
                                      if config.type_vocab_size > 0 else None)
        self.embed_proj = nn.Linear(width, config.hidden_size, bias=False) if width != config.hidden_size else None
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids, token_type_ids, position_ids, mask, inputs_embeds):
        """mask: (B, T) of 1 = token, 0 = padding; padded positions come out 0."""
        x = self.word_embeddings(input_ids) if inputs_embeds is None else inputs_embeds  # (B, T, E)
        T = x.shape[1]
        if self.position_embeddings is not None:
            if position_ids is None:
                check_length(T, self.position_embeddings.num_embeddings)
                position_ids = torch.arange(T, device=x.device)[None, :]
            x = x + self.position_embeddings(position_ids.long())
        if self.token_type_embeddings is not None:
            if token_type_ids is None:
                token_type_ids = torch.zeros(x.shape[:2], dtype=torch.long, device=x.device)
            x = x + self.token_type_embeddings(token_type_ids)
        if self.embed_proj is not None:
            x = self.embed_proj(x)
        x = self.LayerNorm(x) * mask[:, :, None].to(x.dtype)
        return self.dropout(x)


class DisentangledSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        check_heads("hidden_size", config.hidden_size, "num_attention_heads", config.num_attention_heads)
        self.n_head = config.num_attention_heads
        self.head_dim = _setting(config, "attention_head_size", config.hidden_size // config.num_attention_heads)
        inner = self.n_head * self.head_dim
        self.query_proj = nn.Linear(config.hidden_size, inner)
        self.key_proj = nn.Linear(config.hidden_size, inner)
        self.value_proj = nn.Linear(config.hidden_size, inner)
        self.share_att_key = _setting(config, "share_att_key", False)
        self.relative_attention = config.relative_attention
        self.terms = [t for t in ("c2p", "p2c") if t in (config.pos_att_type or [])] if self.relative_attention \
            else []
        # the scale counts the relative terms the config names, used or not (as the original does)
        self.scale = math.sqrt(self.head_dim * (1 + sum(t in (config.pos_att_type or []) for t in ("c2p", "p2c"))))
        if self.relative_attention:
            self.span = relative_span(config)
            self.pos_dropout = nn.Dropout(config.hidden_dropout_prob)
            if not self.share_att_key:
                if "c2p" in self.terms:
                    self.pos_key_proj = nn.Linear(config.hidden_size, inner)
                if "p2c" in self.terms:
                    self.pos_query_proj = nn.Linear(config.hidden_size, inner)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

    def heads(self, x):
        """(..., L, H*D) -> (..., H, L, D)"""
        return x.unflatten(-1, (self.n_head, self.head_dim)).transpose(-3, -2)

    def relative_scores(self, q, k, rel_pos, rel_embeddings):
        """The c2p and p2c terms, (B, H, T, T), already scaled."""
        table = self.pos_dropout(rel_embeddings[:2 * self.span])  # (2S, C)
        score = 0
        if "c2p" in self.terms:
            pos_k = self.heads((self.key_proj if self.share_att_key else self.pos_key_proj)(table))  # (H, 2S, D)
            index = (rel_pos + self.span).clamp(0, 2 * self.span - 1)  # (T, T): query i, key j -> row of i - j
            c2p = torch.gather(q @ pos_k.transpose(-1, -2), -1, index.expand(*q.shape[:2], *index.shape))
            score = score + c2p / self.scale
        if "p2c" in self.terms:
            pos_q = self.heads((self.query_proj if self.share_att_key else self.pos_query_proj)(table))  # (H, 2S, D)
            index = (self.span - rel_pos).clamp(0, 2 * self.span - 1)  # (T, T): key j, query i -> row of i - j
            p2c = torch.gather(k @ pos_q.transpose(-1, -2), -1, index.expand(*k.shape[:2], *index.shape))
            score = score + p2c.transpose(-1, -2) / self.scale
        return score

    def forward(self, x, mask, rel_pos, rel_embeddings, output_attentions):
        """mask: (B, 1, T, T) bool, True where query i may see key j."""
        q, k, v = (self.heads(proj(x)) for proj in (self.query_proj, self.key_proj, self.value_proj))  # (B,H,T,D)
        att = q @ (k.transpose(-1, -2) / self.scale)
        if self.terms:
            att = att + self.relative_scores(q, k, rel_pos, rel_embeddings)
        # masked scores are finfo.min, not -inf: a padded query (it sees no key) gets uniform weights, as there
        att = F.softmax(att.masked_fill(~mask, torch.finfo(att.dtype).min), dim=-1)
        att = self.dropout(att)
        y = (att @ v).transpose(1, 2).flatten(2)  # (B, T, H*D)
        return y, (att if output_attentions else None)


class DebertaV2Attention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.self = DisentangledSelfAttention(config)
        self.output = BertSelfOutput(config, self.self.n_head * self.self.head_dim)

    def forward(self, x, mask, rel_pos, rel_embeddings, output_attentions):
        y, att = self.self(x, mask, rel_pos, rel_embeddings, output_attentions)
        return self.output(y, x), att


class DebertaV2Layer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.attention = DebertaV2Attention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertSelfOutput(config, config.intermediate_size)

    def forward(self, x, mask, rel_pos, rel_embeddings, output_attentions):
        x, att = self.attention(x, mask, rel_pos, rel_embeddings, output_attentions)
        return self.output(self.intermediate(x), x), att


class ConvLayer(nn.Module):
    """A convolution over the embeddings, added to the first layer's output before a LayerNorm."""

    def __init__(self, config):
        super().__init__()
        size = _setting(config, "conv_kernel_size", 3)
        self.conv = nn.Conv1d(config.hidden_size, config.hidden_size, size, padding=(size - 1) // 2,
                              groups=_setting(config, "conv_groups", 1))
        self.act = activation(_setting(config, "conv_act", "tanh"))
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, embeddings, residual, mask):
        keep = mask[:, :, None] != 0  # (B, T, 1)
        y = self.conv(embeddings.transpose(1, 2)).transpose(1, 2).masked_fill(~keep, 0)
        y = self.LayerNorm(residual + self.act(self.dropout(y)))
        return y * keep.to(y.dtype)


class DebertaV2Encoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.layer = nn.ModuleList(DebertaV2Layer(config) for _ in range(config.num_hidden_layers))
        self.relative_attention = config.relative_attention
        self.position_buckets = _setting(config, "position_buckets", -1)
        self.max_relative_positions = (config.max_relative_positions if config.max_relative_positions >= 1
                                       else config.max_position_embeddings)
        if self.relative_attention:
            self.rel_embeddings = embedding(2 * relative_span(config), config.hidden_size)
        norm = [part.strip() for part in _setting(config, "norm_rel_ebd", "none").lower().split("|")]
        if "layer_norm" in norm:
            self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.conv = ConvLayer(config) if _setting(config, "conv_kernel_size", 0) > 0 else None

    def forward(self, x, attention_mask, output_attentions, output_hidden_states):
        """attention_mask: (B, T) of 1 = token, 0 = padding."""
        keep = attention_mask != 0
        mask = (keep[:, None, :, None] & keep[:, None, None, :])  # (B, 1, T, T): both query and key are tokens
        rel_pos = rel_embeddings = None
        if self.relative_attention:
            rel_pos = relative_positions(x.shape[1], self.position_buckets, self.max_relative_positions, x.device)
            rel_embeddings = self.rel_embeddings.weight
            if hasattr(self, "LayerNorm"):
                rel_embeddings = self.LayerNorm(rel_embeddings)
        hidden_states = (x,) if output_hidden_states else None
        attentions = () if output_attentions else None
        embeddings = x
        for i, layer in enumerate(self.layer):
            x, att = layer(x, mask, rel_pos, rel_embeddings, output_attentions)
            if i == 0 and self.conv is not None:
                x = self.conv(embeddings, x, attention_mask)
            if output_hidden_states:
                hidden_states += (x,)
            if output_attentions:
                attentions += (att,)
        return x, hidden_states, attentions


class DebertaV2PreTrainedModel(PreTrainedModel):
    config_class = DebertaV2Config
    base_model_prefix = "deberta"
    # as transformers: absolute position tables in a checkpoint of a model without them are dropped silently
    _keys_to_ignore_on_load_unexpected = (*PreTrainedModel._keys_to_ignore_on_load_unexpected, "position_embeddings")

    @property
    def _input_id_limits(self):
        # without token type embeddings (type_vocab_size 0, DeBERTa-v3) the ids the tokenizer gives are ignored
        limits = dict(PreTrainedModel._input_id_limits)
        if self.config.type_vocab_size <= 0:
            limits.pop("token_type_ids")
        return limits

    @torch.no_grad()
    def _init_weights(self, module, name, tensor):
        if isinstance(module, nn.Conv1d) and name == "weight" and not tensor.is_meta:
            tensor.normal_(mean=0.0, std=self.config.initializer_range)  # as transformers' Linear and Conv init
        else:
            super()._init_weights(module, name, tensor)


class DebertaV2Model(DebertaV2PreTrainedModel):
    def __init__(self, config, add_pooling_layer=False):
        if add_pooling_layer:
            raise ValueError("DebertaV2Model has no pooler (the sequence classifier holds the ContextPooler); "
                             "build it without add_pooling_layer.")
        super().__init__(config)
        self.embeddings = DebertaV2Embeddings(config)
        self.encoder = DebertaV2Encoder(config)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, output_attentions=None, output_hidden_states=None, return_dict=None):
        output_attentions, output_hidden_states, return_dict = self.config.forward_flags(
            output_attentions, output_hidden_states, return_dict)
        check_one_input(input_ids, inputs_embeds)
        source = input_ids if input_ids is not None else inputs_embeds
        if attention_mask is None:
            attention_mask = torch.ones(source.shape[:2], dtype=torch.long, device=source.device)
        x = self.embeddings(input_ids, token_type_ids, position_ids, attention_mask, inputs_embeds)  # (B, T, C)
        x, hidden_states, attentions = self.encoder(x, attention_mask, output_attentions, output_hidden_states)
        out = BaseModelOutput(last_hidden_state=x, hidden_states=hidden_states, attentions=attentions)
        return out if return_dict else out.to_tuple()


class DebertaV2HeadModel(DebertaV2PreTrainedModel):
    """A task head on the bare model (under `deberta`); BERT's encode/forward, which call `head`."""

    def __init__(self, config):
        super().__init__(config)
        self.deberta = DebertaV2Model(config)

    encode = BertHeadModel.encode
    forward = BertHeadModel.forward


class ContextPooler(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.pooler_hidden_size, config.pooler_hidden_size)
        self.dropout = nn.Dropout(config.pooler_dropout)
        self.act = activation(config.pooler_hidden_act)

    def forward(self, x):
        return self.act(self.dense(self.dropout(x[:, 0])))  # the first token stands for the sequence


def deberta_sequence_loss(logits, labels):
    """DeBERTa's own loss with problem_type unset (it leaves problem_type unset). Returns (loss, logits): one
    label gives MSE and flattens the logits to (B,), as transformers returns them; integer labels give
    cross-entropy over the rows whose label is >= 0 (0 with none); other labels are soft targets."""
    num_labels = logits.size(-1)
    if num_labels == 1:
        logits = logits.view(-1).to(labels.dtype)
        return F.mse_loss(logits, labels.view(-1)), logits
    if labels.dim() == 1 or labels.size(-1) == 1:
        labels = labels.view(-1).long()
        kept = labels >= 0
        if not bool(kept.any()):
            return torch.tensor(0).to(logits), logits
        return F.cross_entropy(logits[kept].float(), labels[kept]), logits
    return -(F.log_softmax(logits, dim=-1) * labels).sum(-1).mean(), logits


class DebertaV2ForSequenceClassification(DebertaV2HeadModel):
    def __init__(self, config):
        super().__init__(config)
        self.pooler = ContextPooler(config)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        dropout = _setting(config, "cls_dropout", None)
        self.dropout = nn.Dropout(config.hidden_dropout_prob if dropout is None else dropout)
        self.post_init()

    def head(self, base, labels):
        logits = self.classifier(self.dropout(self.pooler(base.last_hidden_state)))  # (B, num_labels)
        loss = None
        if labels is not None:
            if self.config.problem_type is None:
                loss, logits = deberta_sequence_loss(logits, labels)
            else:
                loss = sequence_classification_loss(self.config, logits, labels)
        return SequenceClassifierOutput(loss=loss, logits=logits, hidden_states=base.hidden_states,
                                        attentions=base.attentions)


class DebertaV2ForTokenClassification(DebertaV2HeadModel):
    def __init__(self, config):
        super().__init__(config)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    head = BertForTokenClassification.head  # dropout, then classifier on every token


class DebertaV2ForQuestionAnswering(DebertaV2HeadModel):
    def __init__(self, config):
        super().__init__(config)
        self.qa_outputs = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    forward = BertForQuestionAnswering.forward


class LegacyDebertaV2PredictionHeadTransform(nn.Module):
    def __init__(self, config):
        super().__init__()
        width = _setting(config, "embedding_size", config.hidden_size)
        self.dense = nn.Linear(config.hidden_size, width)
        self.act = activation(config.hidden_act)
        self.LayerNorm = nn.LayerNorm(width, eps=config.layer_norm_eps)

    def forward(self, x):
        return self.LayerNorm(self.act(self.dense(x)))


class LegacyDebertaV2LMPredictionHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.transform = LegacyDebertaV2PredictionHeadTransform(config)
        # the decoder's weight is the word embedding matrix and its bias is `self.bias` (both tied by the model)
        self.decoder = nn.Linear(_setting(config, "embedding_size", config.hidden_size), config.vocab_size)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, x):
        return self.decoder(self.transform(x))


class LegacyDebertaV2OnlyMLMHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.predictions = LegacyDebertaV2LMPredictionHead(config)

    def forward(self, x):
        return self.predictions(x)


class DebertaV2LMPredictionHead(nn.Module):
    """legacy=False: dense, activation, LayerNorm, then scores against the word embeddings plus its own bias."""

    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.act = activation(config.hidden_act)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, x, word_embeddings):
        return self.LayerNorm(self.act(self.dense(x))) @ word_embeddings.weight.t() + self.bias


class DebertaV2OnlyMLMHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.lm_head = DebertaV2LMPredictionHead(config)

    def forward(self, x, word_embeddings):
        return self.lm_head(x, word_embeddings)


class DebertaV2ForMaskedLM(DebertaV2HeadModel):
    _tied_weights_keys = {
        "cls.predictions.decoder.weight": "deberta.embeddings.word_embeddings.weight",
        "cls.predictions.decoder.bias": "cls.predictions.bias",
    }
    _keys_to_ignore_on_load_unexpected = (*DebertaV2HeadModel._keys_to_ignore_on_load_unexpected,
                                          r"mask_predictions.*")

    def __init__(self, config):
        super().__init__(config)
        self.legacy = config.legacy
        if self.legacy:
            self.cls = LegacyDebertaV2OnlyMLMHead(config)
        else:
            self._tied_weights_keys = {}  # the new head reads the word embeddings directly; nothing is tied
            self.lm_predictions = DebertaV2OnlyMLMHead(config)
        self.post_init()

    def get_output_embeddings(self):
        # legacy=False has no output layer of its own (transformers answers its dense layer, not vocabulary-sized)
        return self.cls.predictions.decoder if self.legacy else None

    def resize_token_embeddings(self, new_num_tokens=None, pad_to_multiple_of=None, mean_resizing=True):
        """As every model; with legacy=False the head's vocabulary-sized bias is cut or zero-padded with the word
        embeddings. (transformers resizes that head's hidden-to-hidden dense layer instead, and the model then
        fails on its next call.)"""
        embeddings = super().resize_token_embeddings(new_num_tokens, pad_to_multiple_of, mean_resizing)
        if not self.legacy:
            head = self.lm_predictions.lm_head
            if head.bias.shape[0] != embeddings.num_embeddings:
                head.bias = nn.Parameter(_zero_padded(head.bias, embeddings.num_embeddings), head.bias.requires_grad)
        return embeddings

    def head(self, base, labels):
        x = base.last_hidden_state
        if self.legacy:
            logits = self.cls(x)  # (B, T, vocab_size)
        else:
            logits = self.lm_predictions(x, self.deberta.embeddings.word_embeddings)
        loss = token_loss(logits, labels) if labels is not None else None
        return MaskedLMOutput(loss=loss, logits=logits, hidden_states=base.hidden_states, attentions=base.attentions)
