"""Pieces every torch architecture shares: activations, embeddings, attention masks, attention, the layer loop."""

import torch
import torch.nn.functional as F
from torch import nn

from ..conventions import activation_lookup

activation = activation_lookup({
    "gelu": F.gelu,
    "relu": F.relu,
    "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "silu": F.silu,
    "swish": F.silu,
    "tanh": torch.tanh,
})


# Why in place: at batch 32 x 128 tokens each feed-forward activation is a fresh 25 MB tensor, and a fresh
# allocation that size comes from the kernel as new pages, faulted in and zeroed on first touch. Writing the
# activation and the residual sum into the tensor the layer just made halves those allocations; the numbers
# are the same. Only without autograd: backward needs the values an in-place op overwrites.
_IN_PLACE = {F.gelu: torch.ops.aten.gelu_, F.relu: F.relu_, F.silu: lambda x: F.silu(x, inplace=True),
             torch.tanh: torch.tanh_}


def activate_fresh(act, x):
    """act(x), where x is an activation the caller just made and holds no other reference to."""
    if act in _IN_PLACE and not torch.is_grad_enabled():
        return _IN_PLACE[act](x)
    return act(x)


def add_fresh(x, residual):
    """x + residual, where x is an activation the caller just made and holds no other reference to."""
    return x + residual if torch.is_grad_enabled() else x.add_(residual)


def embedding(num_embeddings, dim, padding_idx=None):
    """nn.Embedding without its own random init: post_init initialises every parameter anyway, and on the meta
    device (from_pretrained) nn.Embedding's normal_ would import torch's meta kernels, about 70 MiB of RAM."""
    return nn.Embedding(num_embeddings, dim, padding_idx=padding_idx, _weight=torch.empty(num_embeddings, dim))


# Rows of attention where every key is masked: a left pad of a causal decoder (it sees no earlier token but
# padding) and every query of a sequence that is all padding. No value is right there, and transformers 5 gives
# two answers, one per attn_implementation; leanformers gives the same one for the same setting:
#   - its default, "sdpa", hands torch a boolean mask, which torch makes -inf; torch's kernels give a row of
#     -inf zero weights, so the attention output at such a query is 0 (and no gradient flows through it);
#   - "eager" adds finfo(dtype).min, a finite number: softmax over a row of equal scores is uniform, so such a
#     query gets the mean of all the values.
# masked_score picks the number, the masks below use it, and attend() makes the same of it on both of its
# paths. A row that sees at least one key gets the same weights either way. Before torch 2.5 a fused kernel
# turned a row of -inf into NaN, which the values then carry to every position; transformers 5 needs torch 2.6,
# and on an older torch every setting gets finfo.min.
_EMPTY_ROWS_ZERO = torch.__version__ >= "2.5"


def masked_score(dtype, attn_implementation=None):
    """What a masked key adds to an attention score: -inf, or finfo(dtype).min for attn_implementation="eager"."""
    if attn_implementation == "eager" or not _EMPTY_ROWS_ZERO:
        return torch.finfo(dtype).min
    return float("-inf")


def additive_mask(attention_mask, dtype, attn_implementation=None):
    """(B, T) of 1 = token, 0 = padding -> (B, 1, 1, T) added to attention scores, or None when nothing is masked."""
    if attention_mask is None or bool(attention_mask.all()):
        return None
    masked = attention_mask[:, None, None, :] == 0
    return torch.zeros(masked.shape, dtype=dtype, device=masked.device).masked_fill(
        masked, masked_score(dtype, attn_implementation))


def attend(q, k, v, mask, dropout_p, output_attentions):
    """Scaled dot-product attention over heads. q, k, v: (B, H, T, D). Returns (B, T, H*D) and the probabilities
    (B, H, T, T) when asked for, which needs the explicit path; otherwise torch's fused kernel."""
    if output_attentions:
        att = (q @ k.transpose(-2, -1)) * q.size(-1) ** -0.5
        if mask is not None:
            # -inf would make a row with no key NaN (and its gradient): softmax it as finfo.min, then zero it,
            # which is what the fused kernel gives (see masked_score)
            att = F.softmax(att + mask.clamp(min=torch.finfo(att.dtype).min), dim=-1)
            att = att * (mask != float("-inf")).any(dim=-1, keepdim=True)
        else:
            att = F.softmax(att, dim=-1)
        if dropout_p > 0:  # the returned probabilities are the dropped-out ones, as in transformers
            att = F.dropout(att, p=dropout_p)
        y = att @ v
    else:
        att = None
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
    B, H, T, D = y.shape
    return y.transpose(1, 2).reshape(B, T, H * D), att


def run_layers(layers, x, mask, output_attentions, output_hidden_states):
    """Apply encoder layers in turn. Returns the last hidden state, the hidden states (embeddings first, then each
    layer's output) and the attention probabilities of each layer, the last two only when asked for."""
    hidden_states = (x,) if output_hidden_states else None  # kept only when asked: they hold memory
    attentions = () if output_attentions else None
    for layer in layers:
        x, att = layer(x, mask, output_attentions)
        if output_hidden_states:
            hidden_states += (x,)
        if output_attentions:
            attentions += (att,)
    return x, hidden_states, attentions

