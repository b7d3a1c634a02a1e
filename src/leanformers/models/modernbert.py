"""ModernBERT: a pre-LayerNorm encoder with rotary positions, alternating global and sliding-window attention,
a fused query/key/value projection and a gated GELU feed-forward.

What differs from BERT, all here:
1. No position embeddings: rotary embeddings turn the queries and keys, with one base (rope_theta) for the
   global ("full_attention") layers and another for the local ("sliding_attention") ones. config.layer_types
   says which layer is which: every global_attn_every_n_layers-th layer (the first included) is global.
2. A local layer sees the keys within local_attention // 2 positions of the query, on both sides.
3. LayerNorms have no bias (norm_bias=False) and come before each block; the first layer takes the normed
   embeddings as they are (its attn_norm is the identity); final_norm closes the encoder.
4. The feed-forward is GLU: Wi maps to twice intermediate_size, the first half through the activation times the
   second half, then Wo.
5. Each task head runs `head` (dense, activation, norm) before its classifier; the MLM decoder's matrix is the
   token embeddings. Sequence classification pools the first token ("cls") or the mean over real tokens ("mean").
Padding is handled as transformers 5 does with its default attention (sdpa) or "eager" (not flash attention's
unpadding, which gives the same numbers at real tokens only): padded positions are computed like any other,
their keys masked. The tokenizer is a tokenizer.json that transformers loads with TokenizersBackend.
Parameter names match transformers' checkpoints, so state dicts load unchanged in both directions.
"""

# read by leanformers/manifest.py from this source, without importing it
ARCHITECTURE = {
    "config": "ModernBertConfig",
    "heads": {"model": "ModernBertModel", "sequence-classification": "ModernBertForSequenceClassification",
              "token-classification": "ModernBertForTokenClassification", "masked-lm": "ModernBertForMaskedLM",
              "question-answering": "ModernBertForQuestionAnswering"},
    "tokenizers": {"TokenizersBackend": "leanformers.tokenization.fast:TokenizersBackend"},
}


import math
import typing
from dataclasses import dataclass

import torch
from torch import nn

from ..configuration import PretrainedConfig
from ..conventions import check_heads, check_one_input
from ..modeling.base import PreTrainedModel
from ..modeling.layers import (activate_fresh, activation, add_fresh, additive_mask, attend, embedding, masked_score,
                              run_layers)
from ..modeling.losses import sequence_classification_loss, span_loss, token_loss
from ..outputs import (BaseModelOutput, MaskedLMOutput, QuestionAnsweringModelOutput, SequenceClassifierOutput,
                       TokenClassifierOutput)

LAYER_TYPES = ("full_attention", "sliding_attention")


@dataclass(init=False, repr=False)
class ModernBertConfig(PretrainedConfig):
    """config.json of transformers 5.25, and the older form (global_attn_every_n_layers, global_rope_theta,
    local_rope_theta) that checkpoints on the Hub still carry: those build layer_types and rope_parameters."""

    model_type = "modernbert"
    default_theta: typing.ClassVar[dict] = {"global": 160_000.0, "local": 10_000.0}
    vocab_size: int = 50368
    hidden_size: int = 768
    intermediate_size: int = 1152
    num_hidden_layers: int = 22
    num_attention_heads: int = 12
    hidden_activation: str = "gelu"
    max_position_embeddings: int = 8192
    initializer_range: float = 0.02
    initializer_cutoff_factor: float = 2.0
    norm_eps: float = 1e-5
    norm_bias: bool = False
    pad_token_id: int | None = 50283
    eos_token_id: int | list | None = 50282
    bos_token_id: int | None = 50281
    cls_token_id: int | None = 50281
    sep_token_id: int | None = 50282
    attention_bias: bool = False
    attention_dropout: float = 0.0
    layer_types: list | None = None
    rope_parameters: dict | None = None
    local_attention: int = 128
    embedding_dropout: float = 0.0
    mlp_bias: bool = False
    mlp_dropout: float = 0.0
    decoder_bias: bool = True
    classifier_pooling: str = "cls"
    classifier_dropout: float = 0.0
    classifier_bias: bool = False
    classifier_activation: str = "gelu"
    deterministic_flash_attn: bool = False
    sparse_prediction: bool = False
    sparse_pred_ignore_index: int = -100
    tie_word_embeddings: bool = True

    def __init__(self, **kwargs):
        # global_attn_every_n_layers stays an attribute (transformers keeps it in config.json); the two thetas and
        # rope_scaling go into rope_parameters
        every = kwargs.get("global_attn_every_n_layers", 3)
        thetas = {"full_attention": kwargs.pop("global_rope_theta", self.default_theta["global"]),
                  "sliding_attention": kwargs.pop("local_rope_theta", self.default_theta["local"])}
        rope_scaling = kwargs.pop("rope_scaling", None)
        super().__init__(**kwargs)
        if self.classifier_pooling not in ("cls", "mean"):
            raise ValueError(f'classifier_pooling must be "cls" or "mean", got {self.classifier_pooling!r}.')
        if self.layer_types is None:
            self.layer_types = ["sliding_attention" if i % every else "full_attention"
                                for i in range(self.num_hidden_layers)]
        rope = self.rope_parameters if self.rope_parameters is not None else {
            "sliding_attention": {"rope_type": "default"}, "full_attention": {"rope_type": "default"}}
        for layer_type in LAYER_TYPES:
            if rope.get(layer_type) is None:
                rope[layer_type] = {"rope_type": "default"}
            if rope_scaling is not None:
                rope[layer_type].update(rope_scaling)
            if "type" in rope[layer_type]:  # the old spelling of rope_type
                rope[layer_type].setdefault("rope_type", rope[layer_type].pop("type"))
            rope[layer_type].setdefault("rope_theta", thetas[layer_type])
        self.rope_parameters = rope

    @property
    def sliding_window(self):
        """How far a local layer sees on each side: half of local_attention."""
        return self.local_attention // 2

    @sliding_window.setter
    def sliding_window(self, value):
        self.local_attention = value * 2

    def to_dict(self):
        out = super().to_dict()
        out.pop("reference_compile", None)  # a torch.compile switch of old configs, which transformers drops
        return out


class ModernBertEmbeddings(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.tok_embeddings = embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.tok_embeddings.init_role = "embedding"
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.norm_eps, bias=config.norm_bias)
        self.drop = nn.Dropout(config.embedding_dropout)

    def forward(self, input_ids=None, inputs_embeds=None):
        if inputs_embeds is None:
            inputs_embeds = self.tok_embeddings(input_ids)  # (B, T, C)
        return self.drop(self.norm(inputs_embeds))


def _rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rotary(config, layer_type, position_ids, dtype):
    """cos and sin of the rotary angles, (B or 1, T, D), computed in float32 and given in `dtype`."""
    params = config.rope_parameters[layer_type]
    D = config.hidden_size // config.num_attention_heads
    inv_freq = 1.0 / (params["rope_theta"] ** (torch.arange(0, D, 2, dtype=torch.float) / D))  # (D/2,)
    angles = position_ids[..., None].float() * inv_freq.to(position_ids.device)  # (B, T, D/2)
    angles = torch.cat((angles, angles), dim=-1)
    return angles.cos().to(dtype), angles.sin().to(dtype)


def rotate(x, cos, sin):
    """x (B, H, T, D) turned by the rotary angles, in float32 and back to x's dtype."""
    xf = x.float()
    return (xf * cos[:, None] + _rotate_half(xf) * sin[:, None]).to(x.dtype)


def sliding_window_mask(attention_mask, T, window, dtype, device, attn_implementation):
    """(B or 1, 1, T, T) added to the scores of a local layer: a key counts when it is a token and within `window`
    positions of the query; None when that is every key."""
    pos = torch.arange(T, device=device)
    allowed = ((pos[:, None] - pos[None, :]).abs() <= window)[None, None]  # (1, 1, T, T)
    if attention_mask is not None:
        allowed = allowed & (attention_mask[:, None, None, :] != 0)
    if bool(allowed.all()):
        return None
    return torch.zeros(allowed.shape, dtype=dtype, device=device).masked_fill(
        ~allowed, masked_score(dtype, attn_implementation))


class ModernBertAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        check_heads("hidden_size", config.hidden_size, "num_attention_heads", config.num_attention_heads)
        self.n_head = config.num_attention_heads
        self.attention_dropout = config.attention_dropout
        self.Wqkv = nn.Linear(config.hidden_size, 3 * config.hidden_size, bias=config.attention_bias)
        self.Wqkv.init_role = "in"
        self.Wo = nn.Linear(config.hidden_size, config.hidden_size, bias=config.attention_bias)
        self.Wo.init_role = "out"
        self.out_drop = nn.Dropout(config.attention_dropout) if config.attention_dropout > 0.0 else nn.Identity()

    def forward(self, x, mask, cos, sin, output_attentions):
        B, T, C = x.shape
        qkv = self.Wqkv(x).view(B, T, 3, self.n_head, C // self.n_head)
        q, k, v = (t.transpose(1, 2) for t in qkv.unbind(dim=2))  # (B, H, T, D)
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        dropout_p = self.attention_dropout if self.training else 0.0
        y, att = attend(q, k, v, mask, dropout_p, output_attentions)
        return self.out_drop(self.Wo(y)), att


class ModernBertMLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.Wi = nn.Linear(config.hidden_size, 2 * config.intermediate_size, bias=config.mlp_bias)
        self.Wi.init_role = "in"
        self.act = activation(config.hidden_activation)
        self.drop = nn.Dropout(config.mlp_dropout)
        self.Wo = nn.Linear(config.intermediate_size, config.hidden_size, bias=config.mlp_bias)
        self.Wo.init_role = "out"

    def forward(self, x):
        value, gate = self.Wi(x).chunk(2, dim=-1)  # halves of a tensor made here: activated in place without autograd
        return self.Wo(self.drop(activate_fresh(self.act, value) * gate))


class ModernBertEncoderLayer(nn.Module):
    def __init__(self, config, layer_idx):
        super().__init__()
        self.attention_type = config.layer_types[layer_idx]
        if layer_idx == 0:  # the embeddings are normed already
            self.attn_norm = nn.Identity()
        else:
            self.attn_norm = nn.LayerNorm(config.hidden_size, eps=config.norm_eps, bias=config.norm_bias)
        self.attn = ModernBertAttention(config)
        self.mlp_norm = nn.LayerNorm(config.hidden_size, eps=config.norm_eps, bias=config.norm_bias)
        self.mlp = ModernBertMLP(config)

    def forward(self, x, context, output_attentions):
        """`context`: layer type -> (mask, cos, sin), this layer taking its own type's."""
        mask, cos, sin = context[self.attention_type]
        y, att = self.attn(self.attn_norm(x), mask, cos, sin, output_attentions)
        x = add_fresh(y, x)
        return add_fresh(self.mlp(self.mlp_norm(x)), x), att


class ModernBertPreTrainedModel(PreTrainedModel):
    config_class = ModernBertConfig
    base_model_prefix = "model"

    def __init__(self, config):
        unknown = {t for t in config.layer_types if t not in LAYER_TYPES}
        kinds = {p.get("rope_type", "default") for p in config.rope_parameters.values() if p is not None}
        if unknown or kinds != {"default"}:
            raise NotImplementedError(
                f"{type(self).__name__}: layer types {sorted(unknown)} / rope types {sorted(kinds)} are not "
                f"supported; leanformers has layer types {list(LAYER_TYPES)} and rope_type \"default\" (no scaling).")
        if len(config.layer_types) != config.num_hidden_layers:
            raise ValueError(f"config.layer_types has {len(config.layer_types)} entries for "
                             f"{config.num_hidden_layers} layers (num_hidden_layers); give one per layer.")
        super().__init__(config)

    def get_input_embeddings(self):
        return self.base_model.embeddings.tok_embeddings

    @torch.no_grad()
    def _init_weights(self, module, name, tensor):
        """transformers' init: weights drawn from a normal cut at initializer_cutoff_factor standard deviations,
        the standard deviation by the weight's role; LayerNorm weights 1, biases 0."""
        if tensor.is_meta:
            return
        role = getattr(module, "init_role", None)
        if name == "weight" and role is not None:
            config = self.config
            std = {"in": config.initializer_range, "embedding": config.initializer_range,
                   "out": config.initializer_range / math.sqrt(2.0 * config.num_hidden_layers),
                   "final_out": config.hidden_size ** -0.5}[role]
            cutoff = config.initializer_cutoff_factor if config.initializer_cutoff_factor is not None else 3
            nn.init.trunc_normal_(tensor, mean=0.0, std=std, a=-cutoff * std, b=cutoff * std)
        else:
            super()._init_weights(module, name, tensor)


class ModernBertModel(ModernBertPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.embeddings = ModernBertEmbeddings(config)
        self.layers = nn.ModuleList(ModernBertEncoderLayer(config, i) for i in range(config.num_hidden_layers))
        self.final_norm = nn.LayerNorm(config.hidden_size, eps=config.norm_eps, bias=config.norm_bias)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, position_ids=None, inputs_embeds=None,
                output_attentions=None, output_hidden_states=None, return_dict=None):
        output_attentions, output_hidden_states, return_dict = self.config.forward_flags(
            output_attentions, output_hidden_states, return_dict)
        check_one_input(input_ids, inputs_embeds)
        x = self.embeddings(input_ids, inputs_embeds)  # (B, T, C)
        T = x.shape[1]
        if position_ids is None:
            position_ids = torch.arange(T, device=x.device)[None, :]  # (1, T)
        impl = self.config._attn_implementation
        masks = {"full_attention": additive_mask(attention_mask, x.dtype, impl),
                 "sliding_attention": sliding_window_mask(attention_mask, T, self.config.sliding_window, x.dtype,
                                                          x.device, impl)}
        context = {t: (masks[t], *rotary(self.config, t, position_ids, x.dtype)) for t in set(self.config.layer_types)}
        x, hidden_states, attentions = run_layers(self.layers, x, context, output_attentions, output_hidden_states)
        x = self.final_norm(x)
        if output_hidden_states:  # the last one is the normed output, as transformers gives it
            hidden_states = hidden_states[:-1] + (x,)
        out = BaseModelOutput(last_hidden_state=x, hidden_states=hidden_states, attentions=attentions)
        return out if return_dict else out.to_tuple()


class ModernBertPredictionHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size, bias=config.classifier_bias)
        self.dense.init_role = "out"
        self.act = activation(config.classifier_activation)
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.norm_eps, bias=config.norm_bias)

    def forward(self, x):
        return self.norm(self.act(self.dense(x)))


class ModernBertHeadModel(ModernBertPreTrainedModel):
    """The bare model under `model`, then `head` (dense, activation, norm)."""

    def __init__(self, config):
        super().__init__(config)
        self.model = ModernBertModel(config)
        self.head = ModernBertPredictionHead(config)

    def encode(self, input_ids, attention_mask, position_ids, inputs_embeds, output_attentions,
               output_hidden_states):
        return self.model(input_ids, attention_mask, position_ids, inputs_embeds, output_attentions,
                          output_hidden_states, return_dict=True)


class ModernBertClassifierModel(ModernBertHeadModel):
    """head, dropout, then a linear classifier."""

    def __init__(self, config):
        super().__init__(config)
        self.drop = nn.Dropout(config.classifier_dropout)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.classifier.init_role = "final_out"
        self.post_init()

    def classify(self, x):
        return self.classifier(self.drop(self.head(x)))


class ModernBertForMaskedLM(ModernBertHeadModel):
    _tied_weights_keys = {"decoder.weight": "model.embeddings.tok_embeddings.weight"}

    def __init__(self, config):
        super().__init__(config)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size, bias=config.decoder_bias)
        self.decoder.init_role = "out"
        self.post_init()

    def get_output_embeddings(self):
        return self.decoder

    def forward(self, input_ids=None, attention_mask=None, position_ids=None, inputs_embeds=None, labels=None,
                output_attentions=None, output_hidden_states=None, return_dict=None):
        _, _, return_dict = self.config.forward_flags(output_attentions, output_hidden_states, return_dict)
        base = self.encode(input_ids, attention_mask, position_ids, inputs_embeds, output_attentions,
                           output_hidden_states)
        x = base.last_hidden_state  # (B, T, C)
        if self.config.sparse_prediction and labels is not None:
            # logits only for the tokens that have a label: (N, vocab_size), N of them
            labels = labels.reshape(-1)
            kept = labels != self.config.sparse_pred_ignore_index
            x, labels = x.reshape(labels.shape[0], -1)[kept], labels[kept]
        logits = self.decoder(self.head(x))  # (B, T, vocab_size)
        loss = token_loss(logits.float(), labels) if labels is not None else None
        out = MaskedLMOutput(loss=loss, logits=logits, hidden_states=base.hidden_states, attentions=base.attentions)
        return out if return_dict else out.to_tuple()


class ModernBertForSequenceClassification(ModernBertClassifierModel):
    def forward(self, input_ids=None, attention_mask=None, position_ids=None, inputs_embeds=None, labels=None,
                output_attentions=None, output_hidden_states=None, return_dict=None):
        _, _, return_dict = self.config.forward_flags(output_attentions, output_hidden_states, return_dict)
        base = self.encode(input_ids, attention_mask, position_ids, inputs_embeds, output_attentions,
                           output_hidden_states)
        x = base.last_hidden_state  # (B, T, C)
        if self.config.classifier_pooling == "cls":
            pooled = x[:, 0]
        else:  # the mean over the real tokens
            if attention_mask is None:
                attention_mask = torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
            pooled = (x * attention_mask.unsqueeze(-1)).sum(dim=1) / attention_mask.sum(dim=1, keepdim=True)
        logits = self.classify(pooled)  # (B, num_labels)
        loss = sequence_classification_loss(self.config, logits, labels) if labels is not None else None
        out = SequenceClassifierOutput(loss=loss, logits=logits, hidden_states=base.hidden_states,
                                       attentions=base.attentions)
        return out if return_dict else out.to_tuple()


class ModernBertForTokenClassification(ModernBertClassifierModel):
    def forward(self, input_ids=None, attention_mask=None, position_ids=None, inputs_embeds=None, labels=None,
                output_attentions=None, output_hidden_states=None, return_dict=None):
        _, _, return_dict = self.config.forward_flags(output_attentions, output_hidden_states, return_dict)
        base = self.encode(input_ids, attention_mask, position_ids, inputs_embeds, output_attentions,
                           output_hidden_states)
        logits = self.classify(base.last_hidden_state)  # (B, T, num_labels)
        loss = token_loss(logits, labels) if labels is not None else None
        out = TokenClassifierOutput(loss=loss, logits=logits, hidden_states=base.hidden_states,
                                    attentions=base.attentions)
        return out if return_dict else out.to_tuple()


class ModernBertForQuestionAnswering(ModernBertClassifierModel):
    def forward(self, input_ids=None, attention_mask=None, position_ids=None, start_positions=None,
                end_positions=None, inputs_embeds=None, output_attentions=None, output_hidden_states=None,
                return_dict=None):
        _, _, return_dict = self.config.forward_flags(output_attentions, output_hidden_states, return_dict)
        base = self.encode(input_ids, attention_mask, position_ids, inputs_embeds, output_attentions,
                           output_hidden_states)
        logits = self.classify(base.last_hidden_state)  # (B, T, 2)
        start_logits, end_logits = (t.squeeze(-1).contiguous() for t in logits.split(1, dim=-1))
        loss = None
        if start_positions is not None and end_positions is not None:
            loss = span_loss(start_logits, end_logits, start_positions, end_positions)
        out = QuestionAnsweringModelOutput(loss=loss, start_logits=start_logits, end_logits=end_logits,
                                           hidden_states=base.hidden_states, attentions=base.attentions)
        return out if return_dict else out.to_tuple()
