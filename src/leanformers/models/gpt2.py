"""GPT-2: a stack of pre-LayerNorm causal decoder blocks, with a language-model head and a sequence classifier.

Parameter names and layouts match the OpenAI/transformers checkpoints: the projections are `Conv1D`,
a linear layer whose weight is stored (in, out), transposed from nn.Linear's.
"""

# read by leanformers/manifest.py from this source, without importing it
ARCHITECTURE = {
    "config": "GPT2Config",
    "heads": {"model": "GPT2Model", "causal-lm": "GPT2LMHeadModel",
              "sequence-classification": "GPT2ForSequenceClassification"},
    "tokenizers": {"GPT2Tokenizer": "leanformers.tokenization.gpt2:GPT2Tokenizer"},
}


import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..configuration import PretrainedConfig
from ..conventions import check_heads, check_length, check_one_input
from ..generation import GenerationMixin
from ..modeling.base import PreTrainedModel
from ..modeling.cache import DynamicCache, causal_mask
from ..modeling.layers import activation, attend
from ..modeling.losses import sequence_classification_loss
from ..outputs import (BaseModelOutputWithPastAndCrossAttentions, CausalLMOutputWithCrossAttentions,
                       SequenceClassifierOutputWithPast)


@dataclass(init=False, repr=False)
class GPT2Config(PretrainedConfig):
    model_type = "gpt2"
    attribute_map = {"hidden_size": "n_embd", "max_position_embeddings": "n_positions",
                     "num_attention_heads": "n_head", "num_hidden_layers": "n_layer"}
    vocab_size: int = 50257
    n_positions: int = 1024
    n_embd: int = 768
    n_layer: int = 12
    n_head: int = 12
    n_inner: int | None = None
    activation_function: str = "gelu_new"
    resid_pdrop: float = 0.1
    embd_pdrop: float = 0.1
    attn_pdrop: float = 0.1
    layer_norm_epsilon: float = 1e-5
    initializer_range: float = 0.02
    summary_type: str = "cls_index"
    summary_use_proj: bool = True
    summary_activation: str | None = None
    summary_proj_to_labels: bool = True
    summary_first_dropout: float = 0.1
    scale_attn_weights: bool = True
    use_cache: bool = True
    bos_token_id: int | None = 50256
    eos_token_id: int | list | None = 50256
    pad_token_id: int | None = None
    scale_attn_by_inverse_layer_idx: bool = False
    reorder_and_upcast_attn: bool = False
    add_cross_attention: bool = False
    tie_word_embeddings: bool = True


class Conv1D(nn.Module):
    """y = x @ W + b with W of shape (in, out): the layout of the original GPT-2 checkpoints."""

    def __init__(self, n_out, n_in):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.size(-1)), self.weight).view(*x.shape[:-1], -1)


class GPT2Attention(nn.Module):
    def __init__(self, config, layer_idx):
        super().__init__()
        check_heads("n_embd", config.n_embd, "n_head", config.n_head)
        self.n_head, self.layer_idx = config.n_head, layer_idx
        self.c_attn = Conv1D(3 * config.n_embd, config.n_embd)
        self.c_proj = Conv1D(config.n_embd, config.n_embd)
        self.attn_dropout = nn.Dropout(config.attn_pdrop)
        self.resid_dropout = nn.Dropout(config.resid_pdrop)
        # attend() scales by 1/sqrt(D); other scalings of the config are folded into the queries
        head_dim = config.n_embd // config.n_head
        scale = head_dim ** -0.5 if config.scale_attn_weights else 1.0
        if config.scale_attn_by_inverse_layer_idx:
            scale /= layer_idx + 1
        self.query_factor = scale * math.sqrt(head_dim)

    def forward(self, x, mask, cache, output_attentions):
        B, T, C = x.shape
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, H, T, D)
                   for t in self.c_attn(x).split(C, dim=2))
        if cache is not None:
            k, v = cache.update(k, v, self.layer_idx)  # (B, H, past + T, D)
        if self.query_factor != 1.0:
            q = q * self.query_factor
        y, att = attend(q, k, v, mask, self.attn_dropout.p if self.training else 0.0, output_attentions)
        return self.resid_dropout(self.c_proj(y)), att


class GPT2MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        inner = config.n_inner if config.n_inner is not None else 4 * config.n_embd
        self.c_fc = Conv1D(inner, config.n_embd)
        self.c_proj = Conv1D(config.n_embd, inner)
        self.act = activation(config.activation_function)
        self.dropout = nn.Dropout(config.resid_pdrop)

    def forward(self, x):
        return self.dropout(self.c_proj(self.act(self.c_fc(x))))


class GPT2Block(nn.Module):
    """Pre-LN: each sublayer reads a normalised copy and adds its result to the residual stream."""

    def __init__(self, config, layer_idx):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.attn = GPT2Attention(config, layer_idx)
        self.ln_2 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.mlp = GPT2MLP(config)

    def forward(self, x, mask, cache, output_attentions):
        y, att = self.attn(self.ln_1(x), mask, cache, output_attentions)
        x = x + y
        return x + self.mlp(self.ln_2(x)), att


class GPT2PreTrainedModel(PreTrainedModel):
    config_class = GPT2Config
    base_model_prefix = "transformer"
    # old checkpoints stored the causal mask as buffers
    _keys_to_ignore_on_load_unexpected = (*PreTrainedModel._keys_to_ignore_on_load_unexpected,
                                          r"\.attn\.(masked_)?bias$")
    # GPT-2 has no segment table: token types are looked up among the tokens
    _input_id_limits = {**PreTrainedModel._input_id_limits, "token_type_ids": "vocab_size"}

    def __init__(self, config):
        if config.add_cross_attention:
            raise NotImplementedError(f"{type(self).__name__}: add_cross_attention is not supported; set it to "
                                      "false in the config.")
        super().__init__(config)

    def get_input_embeddings(self):
        return self.base_model.wte

    @torch.no_grad()
    def _init_weights(self, module, name, tensor):
        if isinstance(module, Conv1D) and name == "weight":
            # GPT-2's scheme: projections into the residual stream shrink with depth (2 per block)
            std = self.config.initializer_range
            if any(module is m.c_proj for m in self.modules() if isinstance(m, (GPT2Attention, GPT2MLP))):
                std /= math.sqrt(2 * self.config.n_layer)
            tensor.normal_(mean=0.0, std=std)
        else:
            super()._init_weights(module, name, tensor)


class GPT2Model(GPT2PreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.n_positions, config.n_embd)
        self.drop = nn.Dropout(config.embd_pdrop)
        self.h = nn.ModuleList(GPT2Block(config, i) for i in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.post_init()

    def forward(self, input_ids=None, cache=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, use_cache=None, output_attentions=None, output_hidden_states=None,
                return_dict=None, past_key_values=None):
        output_attentions, output_hidden_states, return_dict = self.config.forward_flags(
            output_attentions, output_hidden_states, return_dict)
        use_cache = self.config.use_cache if use_cache is None else use_cache
        cache = cache if cache is not None else past_key_values  # the name before transformers 5
        check_one_input(input_ids, inputs_embeds)
        if inputs_embeds is None:
            inputs_embeds = self.wte(input_ids)  # (B, T, C)
        B, T, _ = inputs_embeds.shape
        if use_cache and cache is None:
            cache = DynamicCache()
        past = cache.get_seq_length() if cache is not None else 0
        if position_ids is None:
            check_length(past + T, self.config.n_positions)
            position_ids = torch.arange(past, past + T, device=inputs_embeds.device)[None, :]  # (1, T)
        x = inputs_embeds + self.wpe(position_ids)
        if token_type_ids is not None:
            x = x + self.wte(token_type_ids)  # GPT-2 has no segment table; segments are tokens
        x = self.drop(x)
        if attention_mask is not None and bool(attention_mask.all()):
            attention_mask = None
        mask = causal_mask(attention_mask, past, T, x.dtype, x.device, self.config._attn_implementation)

        hidden_states, attentions = (), ()
        for block in self.h:
            hidden_states += (x,)
            x, att = block(x, mask, cache if use_cache else None, output_attentions)
            attentions += (att,)
        x = self.ln_f(x)
        hidden_states += (x,)  # the last entry is the normalised output, as transformers records it
        out = BaseModelOutputWithPastAndCrossAttentions(
            last_hidden_state=x,
            cache=cache if use_cache else None,
            hidden_states=hidden_states if output_hidden_states else None,
            attentions=attentions if output_attentions else None,
            cross_attentions=() if output_attentions else None,  # no cross-attention; transformers returns ()
        )
        return out if return_dict else out.to_tuple()


class GPT2LMHeadModel(GenerationMixin, GPT2PreTrainedModel):
    _tied_weights_keys = {"lm_head.weight": "transformer.wte.weight"}

    def __init__(self, config):
        super().__init__(config)
        self.transformer = GPT2Model(config)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.post_init()

    def forward(self, input_ids=None, cache=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, labels=None, use_cache=None, output_attentions=None, output_hidden_states=None,
                return_dict=None, logits_to_keep=0, past_key_values=None):
        return_dict = self.config.return_dict if return_dict is None else return_dict
        out = self.transformer(input_ids, cache, attention_mask, token_type_ids, position_ids, inputs_embeds,
                               use_cache, output_attentions, output_hidden_states, True, past_key_values)
        x = out.last_hidden_state
        if logits_to_keep:  # generation needs the last position only
            x = x[:, -logits_to_keep:]
        logits = self.lm_head(x)  # (B, T, vocab_size)
        loss = None
        if labels is not None:
            loss = causal_lm_loss(logits, labels)
        result = CausalLMOutputWithCrossAttentions(loss=loss, logits=logits, cache=out.cache,
                                                   hidden_states=out.hidden_states, attentions=out.attentions,
                                                   cross_attentions=out.cross_attentions)
        return result if return_dict else result.to_tuple()


def causal_lm_loss(logits, labels):
    """Each position predicts the next token: labels are shifted left inside; -100 is ignored."""
    labels = F.pad(labels, (0, 1), value=-100)[:, 1:]
    return F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=-100)


class GPT2ForSequenceClassification(GPT2PreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.transformer = GPT2Model(config)
        self.score = nn.Linear(config.n_embd, config.num_labels, bias=False)
        self.post_init()

    def forward(self, input_ids=None, cache=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, labels=None, use_cache=None, output_attentions=None, output_hidden_states=None,
                return_dict=None, past_key_values=None):
        return_dict = self.config.return_dict if return_dict is None else return_dict
        out = self.transformer(input_ids, cache, attention_mask, token_type_ids, position_ids, inputs_embeds,
                               use_cache, output_attentions, output_hidden_states, True, past_key_values)
        logits = self.score(out.last_hidden_state)  # (B, T, num_labels)
        B = logits.size(0)
        pad = self.config.pad_token_id
        if pad is None and B != 1:
            raise ValueError("GPT2ForSequenceClassification cannot find the last token of padded rows: the config "
                             "has no pad_token_id. Set config.pad_token_id (e.g. to the eos id) or pass one row.")
        if pad is None or input_ids is None:
            last = torch.full((B,), -1, device=logits.device)
        else:
            # the rightmost non-pad token, for left and right padding alike
            positions = torch.arange(input_ids.size(-1), device=logits.device, dtype=torch.int32)
            last = (positions * (input_ids != pad).to(torch.int32)).argmax(-1)
        pooled = logits[torch.arange(B, device=logits.device), last]  # (B, num_labels)
        loss = sequence_classification_loss(self.config, pooled, labels) if labels is not None else None
        result = SequenceClassifierOutputWithPast(loss=loss, logits=pooled, cache=out.cache,
                                                  hidden_states=out.hidden_states, attentions=out.attentions)
        return result if return_dict else result.to_tuple()
