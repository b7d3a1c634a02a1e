"""leanformers.quantization: int8 Linear layers with per-token input scales and per-feature weight scales.

The error of each output is bounded by the rounding of both operands (half a step each); the pipeline's
int8 labels agree with its float32 labels on SST-2 dev with the embedded model (trained, so its scores
are not all near 0.5 as a random head's are)."""

from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from leanformers.quantization import Int8Linear, quantize_int8

SST2_DEV = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sst2" / "dev.tsv"


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(0, 9), features=st.integers(2, 70), outputs=st.integers(1, 40), bias=st.booleans(),
       seed=st.integers(0, 2**16), zero_row=st.booleans())
def test_int8_linear_error_within_rounding_bound(rows, features, outputs, bias, seed, zero_row):
    torch.manual_seed(seed)
    linear = torch.nn.Linear(features, outputs, bias=bias)
    x = torch.randn(2, rows, features) * torch.rand(2, rows, 1) * 10  # rows of very different sizes
    if zero_row and rows:
        x[0, 0] = 0
    layer = Int8Linear(linear)
    assert layer.weight_int8.dtype == torch.int8 and layer.weight_int8.shape == (outputs, features)
    with torch.no_grad():
        expected = linear(x)
        got = layer(x)
    assert got.shape == expected.shape and got.dtype == x.dtype
    # |x w - x' w'| <= |x| |w - w'| + |x - x'| |w'|, each rounding at most half a step of its scale
    x_step = x.abs().amax(-1, keepdim=True) / 127  # (2, rows, 1)
    w_step = linear.weight.abs().amax(-1) / 127  # (outputs,)
    dequantized = layer.weight_int8.float() * layer.weight_scale[:, None]
    bound = x.abs().sum(-1, keepdim=True) * w_step / 2 + x_step / 2 * dequantized.abs().sum(-1)
    assert ((got - expected).abs() <= bound * 1.001 + 1e-5).all()


def test_quantize_int8_copies_and_keeps_the_named_modules_float():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.GELU(), torch.nn.Sequential(torch.nn.Linear(8, 3)),
                                torch.nn.Linear(3, 1), torch.nn.Linear(1, 2))
    quantized = quantize_int8(model, keep=[model[2]])
    assert isinstance(quantized[0], Int8Linear) and isinstance(quantized[3], Int8Linear)
    assert isinstance(quantized[2][0], torch.nn.Linear)
    assert type(quantized[4]) is torch.nn.Linear  # torch._int_mm sums a single feature wrongly: kept float
    assert isinstance(model[0], torch.nn.Linear)  # the caller's model is untouched
    assert quantized[2][0].weight is not model[2][0].weight
    x = torch.randn(4, 8)
    with torch.no_grad():
        assert (quantized(x) - model(x)).abs().max() < 0.05


@pytest.mark.skipif(not SST2_DEV.is_file(), reason=f"needs the SST-2 dev set at {SST2_DEV} (../shared/data)")
def test_int8_pipeline_agrees_with_float32_on_sst2_dev():
    from leanformers import pipeline
    from leanformers.embedded import EMBEDDED_NAME

    texts = [line.split("\t")[0] for line in SST2_DEV.read_text(encoding="utf-8").splitlines()[1:]]
    float32 = pipeline("sentiment-analysis", model=EMBEDDED_NAME, device="cpu")
    int8 = pipeline("sentiment-analysis", model=EMBEDDED_NAME, device="cpu", quantize="int8")
    same = sum(a["label"] == b["label"] for a, b in zip(float32(texts), int8(texts), strict=True))
    assert same >= 0.99 * len(texts), f"{same}/{len(texts)} labels equal"


def test_int8_linear_refuses_a_single_input_feature():
    with pytest.raises(ValueError, match="at least 2 input features"):
        Int8Linear(torch.nn.Linear(1, 4))
