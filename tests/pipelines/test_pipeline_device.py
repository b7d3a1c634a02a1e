"""The pipeline on a GPU: device= forms, fp16, and the same answers as transformers on the same device.

Skipped where torch sees no CUDA device (CI); run on a GPU machine.
"""

import pytest
import torch
import transformers

from leanformers import pipeline
from support.sst2_checkpoint import QUICKTOUR_TEXT, save_sst2_checkpoint, sentences

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
TEXTS = [QUICKTOUR_TEXT, "", *sentences(60, seed=11)]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return str(save_sst2_checkpoint(tmp_path_factory.mktemp("sst2")))


def assert_close(ours, ref, tolerance):
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref):
        assert a["label"] == b["label"] and abs(a["score"] - b["score"]) <= tolerance, (a, b)


@pytest.mark.parametrize("device", [None, 0, "cuda", "cuda:0", torch.device("cuda", 0)],
                         ids=["default", "0", "cuda", "cuda:0", "torch.device"])
def test_gpu_matches_transformers_on_gpu(folder, device):
    ours = pipeline("sentiment-analysis", model=folder, device=device)
    ref = transformers.pipeline("sentiment-analysis", model=folder, device=device)
    assert ours.device == torch.device("cuda", 0) and next(ours.model.parameters()).is_cuda
    assert_close(ours(TEXTS), ref(TEXTS), 1e-5)
    assert_close(ours(TEXTS, top_k=None)[0], ref(TEXTS, top_k=None)[0], 1e-5)


def test_gpu_matches_cpu(folder):
    on_gpu = pipeline("sentiment-analysis", model=folder, device="cuda")
    on_cpu = transformers.pipeline("sentiment-analysis", model=folder, device="cpu")
    assert_close(on_gpu(TEXTS), on_cpu(TEXTS), 1e-5)


def test_gpu_float16(folder):
    ours = pipeline("sentiment-analysis", model=folder, device="cuda", dtype="float16")
    ref = transformers.pipeline("sentiment-analysis", model=folder, device="cuda", dtype=torch.float16)
    assert ours.dtype == torch.float16
    assert_close(ours(TEXTS), ref(TEXTS), 2e-3)  # half precision: different kernels round differently


def test_int8_on_gpu_is_a_clear_error(folder):
    with pytest.raises(ValueError, match="quantize='int8' runs on the CPU only"):
        pipeline("sentiment-analysis", model=folder, device="cuda", quantize="int8")
