"""Text generation: the key/value caches decoders share, `GenerationConfig`, the logits processors, and
`GenerationMixin.generate()` (greedy search, multinomial sampling, beam search).

The decoding rules follow transformers 5 step for step (processor order, beam bookkeeping, the padding
of finished rows), so that the same model, prompt and seed give the same token ids. What is left out is
the machinery around them: each step is one forward over the new token with the cache, the logits of
the last position only, and the processors as plain functions of (ids, scores).
"""

import copy
import json
import logging
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from .hub import pop_hub_kwargs, resolve_file
from .outputs import ModelOutput

logger = logging.getLogger(__name__)

GENERATION_CONFIG_NAME = "generation_config.json"


# --- caches and masks of decoders --------------------------------------------------------------------------------


class DynamicCache:
    """Keys and values of the tokens seen so far: one (B, H, T, D) pair per layer, grown by concatenation."""

    def __init__(self):
        self.keys, self.values = [], []

    def update(self, key, value, layer):
        """Append this step's key/value (B, H, t, D) for `layer` and return the layer's full key/value."""
        if layer == len(self.keys):
            self.keys.append(key)
            self.values.append(value)
        else:
            self.keys[layer] = torch.cat([self.keys[layer], key], dim=2)
            self.values[layer] = torch.cat([self.values[layer], value], dim=2)
        return self.keys[layer], self.values[layer]

    def get_seq_length(self):
        return self.keys[0].shape[2] if self.keys else 0

    def reorder_cache(self, beam_idx):
        """Keep the rows of the beams that survived this step, in their new order."""
        self.keys = [k.index_select(0, beam_idx) for k in self.keys]
        self.values = [v.index_select(0, beam_idx) for v in self.values]

    def __len__(self):
        return len(self.keys)

    def __getitem__(self, layer):
        return self.keys[layer], self.values[layer]

    def __iter__(self):
        return iter(zip(self.keys, self.values))


class EncoderDecoderCache:
    """A decoder's self-attention cache, which grows each step, and its cross-attention cache, which holds the
    projected encoder states once computed."""

    def __init__(self, self_attention_cache=None, cross_attention_cache=None):
        self.self_attention_cache = self_attention_cache or DynamicCache()
        self.cross_attention_cache = cross_attention_cache or DynamicCache()

    def has_cross(self, layer):
        return layer < len(self.cross_attention_cache)

    def get_seq_length(self):
        return self.self_attention_cache.get_seq_length()

    def reorder_cache(self, beam_idx):
        self.self_attention_cache.reorder_cache(beam_idx)
        self.cross_attention_cache.reorder_cache(beam_idx)

    def __len__(self):
        return len(self.self_attention_cache)

    def __getitem__(self, layer):
        return self.self_attention_cache[layer] + self.cross_attention_cache[layer]


def causal_mask(attention_mask, past, T, dtype, device):
    """Additive (B or 1, 1, T, past+T) mask: query i (at position past+i) sees the keys at or before it that are
    not padding. None when nothing is masked (one new token and no padding), so attention takes the fast path.
    A padding query sees no key; its row is all-minimum and softmax makes it uniform, as in transformers."""
    if T == 1 and attention_mask is None:
        return None
    total = past + T
    allowed = torch.arange(total, device=device)[None, :] <= torch.arange(past, total, device=device)[:, None]
    allowed = allowed[None, None]  # (1, 1, T, total)
    if attention_mask is not None:
        allowed = allowed & attention_mask[:, None, None, :].bool()
    return torch.zeros(allowed.shape, dtype=dtype, device=device).masked_fill(~allowed, torch.finfo(dtype).min)


@dataclass
class BaseModelOutputWithPastAndCrossAttentions(ModelOutput):
    last_hidden_state: Any = None  # (B, T, C)
    cache: Any = None  # DynamicCache / EncoderDecoderCache when use_cache
    hidden_states: Any = None  # tuple of (B, T, C): embeddings, then each layer
    attentions: Any = None  # tuple of (B, H, T, T_total)
    cross_attentions: Any = None  # tuple of (B, H, T, S) over the encoder states

    @property
    def past_key_values(self):  # the name before transformers 5
        return self.cache


class GenerationMixin:
    pass
