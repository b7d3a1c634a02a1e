"""tf_model.h5 files written by transformers 4.x itself (tests/fixtures/tf4x, made by make_fixtures.py there
with transformers 4.57.6 and tf-keras) load in leanformers' TF models and, with from_tf=True, in its PyTorch
models, giving transformers 4.x's outputs: logits (or last hidden state), every hidden state and attention; and
leanformers' save_pretrained writes the layout those files have."""

import re
from pathlib import Path

import numpy as np
import pytest
import torch

tf = pytest.importorskip("tensorflow", reason="TensorFlow is not installed: pip install -e '.[test,tf]'")
import h5py  # noqa: E402  (comes with TensorFlow)

import leanformers  # noqa: E402
from support.paths import FIXTURES

FIXTURES = FIXTURES / "tf4x"
NAMES = ("bert_seqcls", "distilbert_seqcls", "roberta_tokcls", "bert_model")
TOL = 1e-5


def fixture(name):
    """(architecture as saved, the padded batch, transformers 4.x's outputs on it)"""
    data = np.load(FIXTURES / name / "expected.npz")
    batch = {key: data[key] for key in ("input_ids", "attention_mask")}
    architecture = leanformers.AutoConfig.from_pretrained(FIXTURES / name).architectures[0]
    return architecture, batch, data


def assert_matches(out, data):
    main = out.logits if "logits" in out else out.last_hidden_state
    np.testing.assert_allclose(np.asarray(main), data["main"], atol=TOL, rtol=0)
    n_layers = sum(key.removeprefix("attention_").isdigit() for key in data.files)
    assert len(out.hidden_states) == n_layers + 1 and len(out.attentions) == n_layers
    for i, hidden in enumerate(out.hidden_states):
        np.testing.assert_allclose(np.asarray(hidden), data[f"hidden_{i}"], atol=TOL, rtol=0)
    for i, attention in enumerate(out.attentions):
        np.testing.assert_allclose(np.asarray(attention), data[f"attention_{i}"], atol=TOL, rtol=0)


@pytest.mark.parametrize("name", NAMES)
def test_transformers_4x_h5_loads_in_tf(name):
    architecture, batch, data = fixture(name)
    assert not architecture.startswith("TF")  # transformers 4.x saved the PyTorch class name
    model, info = getattr(leanformers, "TF" + architecture).from_pretrained(FIXTURES / name, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    assert_matches(model(batch, output_hidden_states=True, output_attentions=True), data)


@pytest.mark.parametrize("name", NAMES)
def test_transformers_4x_h5_loads_in_pytorch_with_from_tf(name):
    architecture, batch, data = fixture(name)
    model, info = getattr(leanformers, architecture).from_pretrained(FIXTURES / name, from_tf=True,
                                                                     output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    with torch.no_grad():
        out = model(**{k: torch.from_numpy(v).long() for k, v in batch.items()}, output_hidden_states=True,
                    output_attentions=True)
    assert_matches(out, data)


def test_tf_auto_picks_the_class_of_a_4x_checkpoint():
    model = leanformers.TFAutoModelForSequenceClassification.from_pretrained(FIXTURES / "distilbert_seqcls")
    assert type(model).__name__ == "TFDistilBertForSequenceClassification"
    _, batch, data = fixture("distilbert_seqcls")
    np.testing.assert_allclose(model(**batch).logits.numpy(), data["main"], atol=TOL, rtol=0)


def h5_layout(filename):
    """Root attributes, top-level layers in order and, for each, its weights by full name with shape and dtype.
    Weightless layers (dropout) get numbered names from Keras (dropout_7) that vary between runs. The order of the
    weights inside a layer is left out: transformers reads them by name, and its TF RoBERTa built its encoder
    before its embeddings, so that order differs from BERT's for no reason a reader sees."""
    def plain(name):
        return re.sub(r"^dropout_\d+$", "dropout", name)

    with h5py.File(filename, "r") as f:
        layers = [str(name) for name in f.attrs["layer_names"]]
        weights = {plain(layer): {str(name): (f[layer][name].shape, f[layer][name].dtype)
                                  for name in f[layer].attrs["weight_names"]} for layer in layers}
        return str(f.attrs["backend"]), [plain(layer) for layer in layers], weights


@pytest.mark.parametrize("name", NAMES)
def test_leanformers_writes_the_layout_transformers_4x_wrote(tmp_path, name):
    architecture, _, _ = fixture(name)
    getattr(leanformers, "TF" + architecture).from_pretrained(FIXTURES / name).save_pretrained(tmp_path)
    assert h5_layout(tmp_path / "tf_model.h5") == h5_layout(FIXTURES / name / "tf_model.h5")
    assert leanformers.AutoConfig.from_pretrained(tmp_path).architectures == [architecture]
