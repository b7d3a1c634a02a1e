"""leanformers.quantization: int8 Linear layers with two int8 levels of weights, inputs quantized row by
row around each row's midpoint, and outlier entries multiplied in float32.

Each output's error is bounded by the weights' second-level rounding and half an input step; a row's
result does not depend on the other rows of its batch; the pipeline's int8 labels agree with its float32
labels on SST-2 dev with the embedded model."""

from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from leanformers.quantization import OUTLIER_THRESHOLD, Int8Linear, quantize_int8
from support.paths import SHARED_DATA

SST2_DEV = SHARED_DATA / "sst2" / "dev.tsv"


def random_inputs(shape, seed, spikes):
    """Rows of very different sizes; with `spikes`, a few entries far past the outlier threshold."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(*shape, generator=generator) * torch.rand(*shape[:-1], 1, generator=generator) * 10
    if spikes and x.numel():
        picks = torch.rand(*shape, generator=generator) < 0.05
        x[picks] = torch.randn(int(picks.sum()), generator=generator).sign() * 60
    return x


@settings(max_examples=80, deadline=None)
@given(rows=st.integers(0, 9), features=st.integers(2, 70), outputs=st.integers(1, 40), bias=st.booleans(),
       seed=st.integers(0, 2**16), zero_row=st.booleans(), spikes=st.booleans())
def test_int8_linear_error_within_rounding_bound(rows, features, outputs, bias, seed, zero_row, spikes):
    torch.manual_seed(seed)
    linear = torch.nn.Linear(features, outputs, bias=bias)
    x = random_inputs((2, rows, features), seed, spikes)
    if zero_row and rows:
        x[0, 0] = 0
    layer = Int8Linear(linear)
    assert layer.weight_int8.dtype == torch.int8 and layer.weight_int8.shape == (features, 2 * outputs)
    with torch.no_grad():
        expected = linear(x)
        got = layer(x)
    assert got.shape == expected.shape and got.dtype == x.dtype
    # |x w - x' w'| <= |x| |w - w'| + |x - x'| |w'|: outliers are exact, the rest within half a step of
    # their row's range, which the outliers (zeroed there) no longer widen
    weight = linear.weight.detach()
    dequantized = layer._dequantized(slice(None)).t()  # (outputs, features)
    inliers = x.masked_fill(x.abs() > OUTLIER_THRESHOLD, 0)
    half_step = (inliers.amax(-1, keepdim=True) - inliers.amin(-1, keepdim=True)) / 254 / 2  # (2, rows, 1)
    bound = x.abs() @ (weight - dequantized).abs().t() + half_step * dequantized.abs().sum(-1)
    float_rounding = 1e-5 * (1 + x.abs() @ weight.abs().t())
    assert ((got - expected).abs() <= bound * 1.001 + float_rounding).all()


@settings(max_examples=40, deadline=None)
@given(features=st.integers(2, 70), outputs=st.integers(1, 40), seed=st.integers(0, 2**16))
def test_int8_weights_keep_a_second_level_of_rounding(features, outputs, seed):
    torch.manual_seed(seed)
    linear = torch.nn.Linear(features, outputs)
    weight = linear.weight.detach()
    dequantized = Int8Linear(linear)._dequantized(slice(None)).t()
    one_level_step = weight.abs().amax(-1, keepdim=True) / 127  # (outputs, 1)
    assert ((weight - dequantized).abs() <= one_level_step / 254 / 2 * 1.001 + 1e-9).all()


@pytest.mark.parametrize("seed", range(5))
def test_int8_linear_rows_do_not_depend_on_their_batch(seed):
    torch.manual_seed(seed)
    layer = Int8Linear(torch.nn.Linear(48, 20))
    x = random_inputs((12, 48), seed, spikes=True)
    x[3] = torch.randn(48)  # a row with no outliers, batched with rows that have them
    with torch.no_grad():
        together = layer(x)
        alone = torch.cat([layer(row[None]) for row in x])
    torch.testing.assert_close(together, alone, rtol=1e-6, atol=1e-5)


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
