"""The TF twins of XLM-RoBERTa (TF RoBERTa under XLM-R's names): a tiny random checkpoint saved by transformers,
loaded with from_pt=True, gives leanformers' PyTorch XLM-R outputs within 1e-4 on a padded batch (losses
included); its tf_model.h5 loads back in PyTorch (from_tf=True) with the same parameters, and the TFAuto classes
pick the XLM-R twins. Helpers: test_tf_interop.py."""

import pytest
import torch

tf = pytest.importorskip("tensorflow", reason="TensorFlow is not installed: pip install -e '.[test,tf]'")
pytest.importorskip("h5py")

import transformers  # noqa: E402

import leanformers  # noqa: E402
from support.tiny_models import config_kwargs, labels_for, padded_batch, randomise_trainable  # noqa: E402
from test_tf_interop import TF_HEADS, assert_close, mean_loss, run_pt, run_tf  # noqa: E402

TOL = 1e-4
TF_AUTO = {"Model": "TFAutoModel", "ForSequenceClassification": "TFAutoModelForSequenceClassification",
           "ForTokenClassification": "TFAutoModelForTokenClassification"}


def save_xlmr(folder, head, seed=1):
    config = transformers.XLMRobertaConfig(**config_kwargs("xlm-roberta", "h32-l2"))
    torch.manual_seed(seed)
    randomise_trainable(getattr(transformers, "XLMRoberta" + head)(config), seed).save_pretrained(folder)


@pytest.mark.parametrize("head", TF_HEADS)
def test_pt_checkpoint_to_tf_and_back(tmp_path, head):
    save_xlmr(tmp_path / "pt", head)
    pt_model = getattr(leanformers, "XLMRoberta" + head).from_pretrained(tmp_path / "pt")
    tf_model = getattr(leanformers, "TFXLMRoberta" + head).from_pretrained(tmp_path / "pt", from_pt=True)
    assert issubclass(type(tf_model), getattr(leanformers, "TFRoberta" + head))
    assert isinstance(tf_model.config, leanformers.XLMRobertaConfig)
    batch = padded_batch("roberta", seed=2)
    labels = labels_for(head, batch) if head != "Model" else {}
    theirs = run_pt(pt_model, batch, labels)
    ours = run_tf(tf_model, batch, labels)
    if "loss" in theirs:
        assert abs(mean_loss(ours) - theirs.pop("loss").item()) <= TOL
    theirs.pop("cross_attentions", None)  # () in the PyTorch model, absent in its TF twin
    assert_close(ours, theirs, "from_pt")

    tf_model.save_pretrained(tmp_path / "tf")
    back = getattr(leanformers, "XLMRoberta" + head).from_pretrained(tmp_path / "tf", from_tf=True)
    for name, param in pt_model.state_dict().items():
        assert torch.equal(back.state_dict()[name], param), name
    auto = getattr(leanformers, TF_AUTO[head]).from_pretrained(tmp_path / "tf")
    assert type(auto).__name__ == "TFXLMRoberta" + head
    expected = run_pt(pt_model, batch, {})
    expected.pop("cross_attentions", None)
    assert_close(run_tf(auto, batch, {}), expected, "TFAuto")
