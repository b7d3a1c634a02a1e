"""The key/value caches of decoders (GPT-2, BART) and their causal attention mask: a plain forward with
use_cache needs them as much as generate() does."""

import torch

from .layers import masked_score


class DynamicCache:
    """Keys and values of the tokens seen so far: one (B, H, T, D) pair per layer. They grow by concatenation;
    with a `capacity` (generate() knows the final length) they are written into buffers allocated once, which
    saves copying the whole cache at every step."""

    def __init__(self, capacity=None):
        self.capacity = capacity
        self.keys, self.values = [], []  # the filled part (views of the buffers when preallocated)
        self._buffers = []  # per layer, (keys, values) of `capacity` positions

    def update(self, key, value, layer):
        """Append this step's key/value (B, H, t, D) for `layer` and return the layer's full key/value."""
        if self.capacity is None:
            if layer == len(self.keys):
                self.keys.append(key)
                self.values.append(value)
            else:
                self.keys[layer] = torch.cat([self.keys[layer], key], dim=2)
                self.values[layer] = torch.cat([self.values[layer], value], dim=2)
            return self.keys[layer], self.values[layer]
        if layer == len(self._buffers):
            B, H, _, D = key.shape
            self._buffers.append((key.new_empty(B, H, self.capacity, D), value.new_empty(B, H, self.capacity, D)))
            self.keys.append(key[:, :, :0])
            self.values.append(value[:, :, :0])
        start = self.keys[layer].shape[2]
        end = start + key.shape[2]
        if end > self.capacity:
            raise ValueError(f"The cache holds {self.capacity} positions; {end} were needed.")
        key_buffer, value_buffer = self._buffers[layer]
        key_buffer[:, :, start:end] = key
        value_buffer[:, :, start:end] = value
        self.keys[layer], self.values[layer] = key_buffer[:, :, :end], value_buffer[:, :, :end]
        return self.keys[layer], self.values[layer]

    def get_seq_length(self):
        return self.keys[0].shape[2] if self.keys else 0

    def reorder_cache(self, beam_idx):
        """Keep the rows of the beams that survived this step, in their new order."""
        if self.capacity is not None:
            self._buffers = [(k.index_select(0, beam_idx), v.index_select(0, beam_idx)) for k, v in self._buffers]
            lengths = [k.shape[2] for k in self.keys]
            self.keys = [k[:, :, :n] for (k, _), n in zip(self._buffers, lengths)]
            self.values = [v[:, :, :n] for (_, v), n in zip(self._buffers, lengths)]
        else:
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


def causal_mask(attention_mask, past, T, dtype, device, attn_implementation=None):
    """Additive (B or 1, 1, T, past+T) mask: query i (at position past+i) sees the keys at or before it that are
    not padding. None when nothing is masked (one new token and no padding), so attention takes the fast path.
    A left pad sees no key: layers.masked_score says what its row becomes."""
    if T == 1:  # the newest token sees every key: only padding is masked
        if attention_mask is None:
            return None
        allowed = attention_mask[:, None, None, :].bool()  # (B, 1, 1, past+1)
    else:
        total = past + T
        allowed = torch.arange(total, device=device)[None, :] <= torch.arange(past, total, device=device)[:, None]
        allowed = allowed[None, None]  # (1, 1, T, total)
        if attention_mask is not None:
            allowed = allowed & attention_mask[:, None, None, :].bool()
    return torch.zeros(allowed.shape, dtype=dtype, device=device).masked_fill(
        ~allowed, masked_score(dtype, attn_implementation))
