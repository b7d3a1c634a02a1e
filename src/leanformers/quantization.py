"""Int8 Linear layers for CPU inference, opted into with `pipeline(..., quantize="int8")`.

The int8 products are summed exactly in int32 by `torch._int_mm`, several times faster than float32 on
this CPU. The hard part is keeping the labels: a classifier head fresh from its seed puts every score
within 0.02 of 0.5, and one text in a hundred has its two logits within 4e-4 of each other. Plain int8
(one scale per weight row, one per input row) moves that difference by 2e-3 on a typical text. Three
changes bring it to 3e-4. The first doubles the int8 product; the pipeline stays 1.2x faster than in
float32 here.

1. Weights in two int8 levels, per output feature: the second rounds what the first missed.
       weight (out, in) ~ q1 * s1[:, None] + q2 * s2[:, None]
   Both levels sit side by side in one (in, 2 * out) int8 matrix, so one `_int_mm` computes both.
2. Each input row (one token) is quantized around its own midpoint rather than around zero:
       x (N, in) ~ mid[:, None] + step[:, None] * q          with mid, step from the row's min and max
   A one-sided row, such as a GELU output, gets half the step a symmetric scale would give it. The
   midpoint comes back through the weights' row sums: mid * weight.sum(1).
3. Outlier entries (|x| > 6) leave the int8 product and are multiplied in float32. A few features of
   a LayerNorm's or GELU's output run 30-90 times larger than a typical entry; left in, one of them
   sets the step of its whole row. Entries are picked one by one, so a text's result does not depend
   on the rest of its batch.

torch's `quantize_dynamic` (one scale for the whole input, 7-bit on x86) flipped 8% of those labels.
"""

import copy

import torch
from torch import nn

_LEVELS = 127  # symmetric int8: values in [-127, 127], zero exactly representable
_TINY = 1e-12  # an all-zero row gets this step instead of a division by zero
OUTLIER_THRESHOLD = 6.0  # inputs this large are multiplied in float32


def _row_steps(matrix):
    """One step per row of a (rows, features) float matrix: its largest magnitude maps to 127."""
    return matrix.abs().amax(dim=1).clamp(min=_TINY) / _LEVELS


class Int8Linear(nn.Module):
    """A float Linear layer's weights as two int8 levels per output feature; inputs quantized per row."""

    def __init__(self, linear):
        super().__init__()
        if linear.in_features < 2:
            raise ValueError(f"Int8Linear needs at least 2 input features, got {linear.in_features}: torch._int_mm "
                             "returns wrong sums over a single feature (torch 2.13). Keep that layer in float.")
        weight = linear.weight.detach().float()  # (out, in)
        step1 = _row_steps(weight)
        level1 = torch.round(weight / step1[:, None])
        residual = weight - level1 * step1[:, None]  # at most half a step of level 1
        step2 = _row_steps(residual)
        level2 = torch.round(residual / step2[:, None])
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.register_buffer("weight_int8", torch.cat([level1, level2]).t().contiguous().to(torch.int8))  # (in, 2*out)
        self.register_buffer("weight_steps", torch.cat([step1, step2]))  # (2*out,)
        self.register_buffer("weight_row_sums", self._dequantized(slice(None)).sum(0))  # (out,)
        self.register_buffer("bias", None if linear.bias is None else linear.bias.detach().float().clone())

    def _dequantized(self, inputs):
        """The float weights the int8 levels stand for, transposed: (len(inputs), out)."""
        both = self.weight_int8[inputs].float() * self.weight_steps  # (k, 2*out)
        return both[:, :self.out_features] + both[:, self.out_features:]

    def forward(self, x):  # (..., in)
        rows = x.reshape(-1, self.in_features).float()  # (N, in)
        if rows.shape[0] == 0:
            return x.new_zeros(*x.shape[:-1], self.out_features)
        high, low = rows.amax(dim=1, keepdim=True), rows.amin(dim=1, keepdim=True)  # (N, 1)
        outliers = None
        if high.max() > OUTLIER_THRESHOLD or low.min() < -OUTLIER_THRESHOLD:
            flagged = ((high > OUTLIER_THRESHOLD) | (low < -OUTLIER_THRESHOLD)).view(-1)
            columns = (rows[flagged].abs().amax(dim=0) > OUTLIER_THRESHOLD).nonzero().view(-1)  # (k,)
            candidates = rows[:, columns]  # (N, k)
            outliers = candidates * (candidates.abs() > OUTLIER_THRESHOLD)  # only the large entries, row by row
            rows = rows.index_copy(1, columns, candidates - outliers)
            high, low = rows.amax(dim=1, keepdim=True), rows.amin(dim=1, keepdim=True)
        middle = (high + low).mul_(0.5)
        step = (high - low).mul_(0.5 / _LEVELS).clamp_(min=_TINY)
        rows_int8 = (rows - middle).div_(step).round_().to(torch.int8)
        sums = torch._int_mm(rows_int8, self.weight_int8).float().mul_(self.weight_steps)  # (N, 2*out), exact int32
        y = sums[:, :self.out_features] + sums[:, self.out_features:]  # (N, out)
        y.mul_(step).addcmul_(middle, self.weight_row_sums)
        if self.bias is not None:
            y.add_(self.bias)
        if outliers is not None:
            y.addmm_(outliers, self._dequantized(columns))
        return y.reshape(*x.shape[:-1], self.out_features).to(x.dtype)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, int8 x 2 levels"


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
