"""The TensorFlow cells of the Transformers 4.x quicktour, as written, on a small DistilBERT sentiment checkpoint
saved by leanformers (uncased WordPiece vocabulary of the all-MiniLM-L6-v2 package), each number compared with
leanformers' PyTorch model on the same batch (which tests/test_model_quicktour.py compares with transformers)."""

import numpy as np
import pytest
import torch

tf = pytest.importorskip("tensorflow", reason="TensorFlow is not installed: pip install -e '.[test,tf]'")

import transformers  # noqa: E402

import leanformers  # noqa: E402
from leanformers import AutoModel, AutoTokenizer, TFAutoModel, TFAutoModelForSequenceClassification  # noqa: E402
from support.tiny_models import minilm_folder  # noqa: E402

SENTENCES = ["We are very happy to show you the 🤗 Transformers library.", "We hope you don't hate it."]


@pytest.fixture(scope="module")
def save_directory(tmp_path_factory):
    """A PyTorch checkpoint and its tokenizer, both saved by leanformers."""
    root = tmp_path_factory.mktemp("tf_quicktour")
    config = transformers.DistilBertConfig(vocab_size=30522, dim=32, n_layers=2, n_heads=4, hidden_dim=37,
                                           id2label={0: "NEGATIVE", 1: "POSITIVE"},
                                           label2id={"NEGATIVE": 0, "POSITIVE": 1})
    torch.manual_seed(0)
    model = transformers.DistilBertForSequenceClassification(config)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn_like(param) * 0.05)
    model.save_pretrained(root / "hf")
    transformers.DistilBertTokenizer(str(minilm_folder() / "vocab.txt")).save_pretrained(root / "hf")
    leanformers.AutoModelForSequenceClassification.from_pretrained(root / "hf").save_pretrained(root / "saved")
    leanformers.AutoTokenizer.from_pretrained(root / "hf").save_pretrained(root / "saved")
    return root / "saved"


def test_quicktour_tensorflow_cells(save_directory, tmp_path):
    tokenizer = AutoTokenizer.from_pretrained(save_directory)
    pt_model = leanformers.AutoModelForSequenceClassification.from_pretrained(save_directory)
    pt_batch = tokenizer(SENTENCES, padding=True, truncation=True, max_length=512, return_tensors="pt")

    # --- the quicktour, TensorFlow side ---
    tf_model = TFAutoModelForSequenceClassification.from_pretrained(save_directory, from_pt=True)
    tf_batch = tokenizer(
        ["We are very happy to show you the 🤗 Transformers library.", "We hope you don't hate it."],
        padding=True,
        truncation=True,
        max_length=512,
        return_tensors="tf",
    )
    tf_outputs = tf_model(tf_batch)
    tf_predictions = tf.nn.softmax(tf_outputs.logits, axis=-1)
    # ---
    assert all(isinstance(v, tf.Tensor) and v.dtype == tf.int32 for v in tf_batch.values())  # as transformers 4.x
    assert all(np.array_equal(tf_batch[k].numpy(), pt_batch[k].numpy()) for k in pt_batch)
    assert type(tf_outputs).__name__ == "TFSequenceClassifierOutput" and tf_outputs.loss is None
    with torch.no_grad():
        pt_outputs = pt_model(**pt_batch)
        pt_predictions = torch.softmax(pt_outputs.logits, dim=-1)
    np.testing.assert_allclose(tf_predictions.numpy(), pt_predictions.numpy(), atol=1e-5)

    tf_outputs = tf_model(tf_batch, labels=tf.constant([1, 0]))
    with torch.no_grad():
        pt_loss = pt_model(**pt_batch, labels=torch.tensor([1, 0])).loss
    assert tf_outputs.loss.shape == (2,)  # one loss per sentence, as transformers 4.x's TF models
    assert abs(float(tf.reduce_mean(tf_outputs.loss)) - pt_loss.item()) <= 1e-5
    assert list(tf_outputs.keys())[:2] == ["loss", "logits"]

    tf_outputs = tf_model(tf_batch, output_hidden_states=True, output_attentions=True)
    all_hidden_states = tf_outputs.hidden_states
    all_attentions = tf_outputs.attentions
    assert len(all_hidden_states) == 3 and len(all_attentions) == 2
    tf_outputs = tf_model(**tf_batch)  # keyword arguments work too
    np.testing.assert_allclose(tf_outputs.logits.numpy(), pt_outputs.logits.numpy(), atol=1e-5)

    # "any model saved as before can be loaded back either in PyTorch or TensorFlow"
    tf_save_directory = tmp_path / "tf_save_pretrained"
    tokenizer.save_pretrained(tf_save_directory)
    tf_model.save_pretrained(tf_save_directory)
    tokenizer = AutoTokenizer.from_pretrained(save_directory)
    model = TFAutoModel.from_pretrained(save_directory, from_pt=True)
    np.testing.assert_allclose(model(tf_batch).last_hidden_state.numpy(),
                               pt_model.distilbert(**pt_batch).last_hidden_state.detach().numpy(), atol=1e-5)
    tokenizer = AutoTokenizer.from_pretrained(tf_save_directory)
    model = AutoModel.from_pretrained(tf_save_directory, from_tf=True)
    with torch.no_grad():
        np.testing.assert_allclose(model(**tokenizer(SENTENCES, padding=True, return_tensors="pt")).last_hidden_state,
                                   pt_model.distilbert(**pt_batch).last_hidden_state, atol=1e-5)
    reloaded = TFAutoModelForSequenceClassification.from_pretrained(tf_save_directory)
    assert reloaded.config.id2label == {0: "NEGATIVE", 1: "POSITIVE"}
    np.testing.assert_array_equal(reloaded(tf_batch).logits.numpy(), tf_model(tf_batch).logits.numpy())
