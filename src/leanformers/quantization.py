"""Int8 Linear layers for CPU inference, opted into with `pipeline(..., quantize="int8")`.

Why not torch's `quantize_dynamic`: it quantizes a layer's whole input with one scale and, on x86, to 7
bits (to keep older CPUs' 16-bit accumulators from overflowing). On all-MiniLM-L6-v2 fine-tuned on SST-2
that flips 1.85% of the labels. Here every row of the input (one token) gets its own scale, so a token
with large activations no longer costs the precision of all the others, the weights get one scale per
output feature, and the products are summed exactly in int32 by `torch._int_mm`. That flips 0.5%, and
the int8 matrix product runs several times faster than the float32 one on this CPU.

    weight (out, in)  ~ weight_int8 * weight_scale[:, None]      (quantized once)
    x      (N, in)    ~ x_int8 * x_scale[:, None]                (quantized per call, per row)
    y      (N, out)   = (x_int8 @ weight_int8.T) * x_scale[:, None] * weight_scale[None, :] + bias
"""

import copy

import torch
from torch import nn

_LEVELS = 127  # symmetric int8: values in [-127, 127], zero exactly representable
_TINY = 1e-12  # an all-zero row or weight gets this scale instead of a division by zero


def _row_scales(matrix):
    """One scale per row of a (rows, features) float matrix: its largest magnitude maps to 127."""
    return matrix.abs().amax(dim=1).clamp(min=_TINY) / _LEVELS


class Int8Linear(nn.Module):
    """A float Linear layer's weights stored as int8 (per output feature scales); inputs quantized per row."""

    def __init__(self, linear):
        super().__init__()
        if linear.in_features < 2:
            raise ValueError(f"Int8Linear needs at least 2 input features, got {linear.in_features}: torch._int_mm "
                             "returns wrong sums over a single feature (torch 2.13). Keep that layer in float.")
        weight = linear.weight.detach().float()  # (out, in)
        scale = _row_scales(weight)  # (out,)
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.register_buffer("weight_int8", torch.round(weight / scale[:, None]).to(torch.int8))
        self.register_buffer("weight_scale", scale)
        self.register_buffer("bias", None if linear.bias is None else linear.bias.detach().float().clone())

    def forward(self, x):  # (..., in)
        rows = x.reshape(-1, self.in_features).float()  # (N, in)
        scale = _row_scales(rows)[:, None]  # (N, 1)
        rows_int8 = torch.round(rows / scale).to(torch.int8)
        y = torch._int_mm(rows_int8, self.weight_int8.t()).float()  # (N, out), exact int32 sums
        y.mul_(scale).mul_(self.weight_scale)
        if self.bias is not None:
            y.add_(self.bias)
        return y.reshape(*x.shape[:-1], self.out_features).to(x.dtype)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, int8"


def quantize_int8(model, keep=()):
    """A copy of `model` whose Linear layers are Int8Linear, except those inside the modules in `keep`
    (found in `model` by identity) and those with a single input feature. The caller's model is left
    untouched."""
    if not hasattr(torch, "_int_mm"):
        raise RuntimeError(f"quantize='int8' needs torch >= 2.2 (torch._int_mm); this is torch {torch.__version__}.")
    kept = {id(m) for module in keep for m in module.modules()}
    memo = {}
    quantized = copy.deepcopy(model, memo)
    for module in list(model.modules()):
        if id(module) in kept:
            continue
        copied = memo[id(module)]
        for name, child in list(module.named_children()):
            if isinstance(child, nn.Linear) and child.in_features > 1 and id(child) not in kept:
                setattr(copied, name, Int8Linear(child))
    return quantized
