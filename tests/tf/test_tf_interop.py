"""PyTorch <-> TensorFlow: tiny random checkpoints (saved by transformers and by leanformers) loaded with
from_pt=True give the PyTorch model's outputs within 1e-4 on a padded batch; the TF model's save_pretrained
(tf_model.h5 in transformers 4.x's layout) loads back in PyTorch with from_tf=True and in TF, with the same outputs.
"""

import numpy as np
import pytest
import torch

tf = pytest.importorskip("tensorflow", reason="TensorFlow is not installed: pip install -e '.[test,tf]'")
h5py = pytest.importorskip("h5py")

import leanformers  # noqa: E402
from support.tiny_models import PREFIX, build_transformers_model, labels_for, padded_batch  # noqa: E402

TOL = 1e-4
TF_HEADS = ("Model", "ForSequenceClassification", "ForTokenClassification")
CASES = [(arch, head) for arch in ("bert", "distilbert", "roberta") for head in TF_HEADS]
# Keras names of the model and of its main layer, as in transformers 4.x's tf_model.h5 files
TF_MODEL_NAMES = {"bert": "tf_bert", "distilbert": "tf_distil_bert", "roberta": "tf_roberta"}
SNAKE_HEADS = {"Model": "model", "ForSequenceClassification": "for_sequence_classification",
               "ForTokenClassification": "for_token_classification"}


def tf_batch(batch):
    return {key: tf.constant(value.numpy()) for key, value in batch.items()}


def assert_close(ours, theirs, what):
    """ours: TF output, theirs: PyTorch output; every field both have (tuples element by element)."""
    assert set(ours.keys()) == set(theirs.keys()), what
    for key in theirs.keys():
        a, b = ours[key], theirs[key]
        pairs = zip(a, b) if isinstance(b, tuple) else [(a, b)]
        if isinstance(b, tuple):
            assert len(a) == len(b), (what, key)
        for x, y in pairs:
            x, y = np.asarray(x), y.detach().numpy()
            assert x.shape == y.shape, (what, key, x.shape, y.shape)
            assert np.abs(x - y).max() <= TOL, (what, key, np.abs(x - y).max())


def run_pt(model, batch, labels):
    with torch.no_grad():
        return model(**batch, **labels, output_hidden_states=True, output_attentions=True)


def run_tf(model, batch, labels):
    labels = {key: tf.constant(value.numpy()) for key, value in labels.items()}
    return model(tf_batch(batch), **labels, output_hidden_states=True, output_attentions=True)


def mean_loss(out):
    """transformers 4.x's TF losses: one per sequence (classification) or one masked mean (tokens)."""
    loss = out.pop("loss", None)
    return None if loss is None else float(tf.reduce_mean(loss))


@pytest.mark.parametrize("arch,head", CASES)
def test_pt_checkpoint_to_tf_and_back(tmp_path, arch, head):
    build_transformers_model(arch, head, "h32-l2", seed=1).save_pretrained(tmp_path / "pt")
    pt_model = getattr(leanformers, PREFIX[arch] + head).from_pretrained(tmp_path / "pt")
    tf_model = getattr(leanformers, "TF" + PREFIX[arch] + head).from_pretrained(tmp_path / "pt", from_pt=True)
    batch = padded_batch(arch, seed=2)
    labels = labels_for(head, batch) if head != "Model" else {}
    theirs = run_pt(pt_model, batch, labels)
    ours = run_tf(tf_model, batch, labels)
    if "loss" in theirs:
        assert ours.loss.shape == ((1,) if head == "ForTokenClassification" else (batch["input_ids"].shape[0],))
        assert abs(mean_loss(ours) - theirs.pop("loss").item()) <= TOL
    theirs.pop("cross_attentions", None)  # () in transformers 5's PyTorch BERT, absent in its TF twin
    assert_close(ours, theirs, "from_pt")
    assert len(ours.hidden_states) == 3 and len(ours.attentions) == 2

    # TF -> tf_model.h5 + config.json -> PyTorch (from_tf=True) and TF again
    tf_model.save_pretrained(tmp_path / "tf")
    assert sorted(p.name for p in (tmp_path / "tf").iterdir()) == ["config.json", "tf_model.h5"]
    back = getattr(leanformers, PREFIX[arch] + head).from_pretrained(tmp_path / "tf", from_tf=True)
    again = run_pt(back, batch, labels)
    for name, param in pt_model.state_dict().items():
        assert torch.equal(back.state_dict()[name], param), name
    again.pop("loss", None)
    again.pop("cross_attentions", None)
    assert_close(ours, again, "from_tf")
    reloaded = getattr(leanformers, "TF" + PREFIX[arch] + head).from_pretrained(tmp_path / "tf")
    np.testing.assert_array_equal(reloaded(tf_batch(batch))[0].numpy(), tf_model(tf_batch(batch))[0].numpy())


@pytest.mark.parametrize("arch", ["bert", "distilbert", "roberta"])
def test_leanformers_checkpoint_through_tf_auto_classes(tmp_path, arch):
    """A checkpoint saved by leanformers (PyTorch), loaded by TFAuto with from_pt, saved, loaded by Auto (from_tf)."""
    build_transformers_model(arch, "ForSequenceClassification", "h16-l1", seed=5, num_labels=3).save_pretrained(
        tmp_path / "hf")
    pt_model = leanformers.AutoModelForSequenceClassification.from_pretrained(tmp_path / "hf")
    pt_model.save_pretrained(tmp_path / "lean")
    tf_model = leanformers.TFAutoModelForSequenceClassification.from_pretrained(tmp_path / "lean", from_pt=True)
    assert type(tf_model).__name__ == f"TF{PREFIX[arch]}ForSequenceClassification"
    assert tf_model.config.num_labels == 3
    batch = padded_batch(arch, batch_size=4, seq_len=7, seed=6)
    assert_close(run_tf(tf_model, batch, {}), run_pt(pt_model, batch, {}), "TFAuto from_pt")
    tf_model.save_pretrained(tmp_path / "tf")
    back = leanformers.AutoModelForSequenceClassification.from_pretrained(tmp_path / "tf", from_tf=True)
    assert_close(run_tf(tf_model, batch, {}), run_pt(back, batch, {}), "Auto from_tf")
    bare = leanformers.TFAutoModel.from_pretrained(tmp_path / "tf")  # head checkpoint into the bare model
    assert type(bare).__name__ == f"TF{PREFIX[arch]}Model"
    pt_bare = leanformers.AutoModel.from_pretrained(tmp_path / "lean")
    np.testing.assert_allclose(bare(tf_batch(batch)).last_hidden_state.numpy(),
                               pt_bare(**batch).last_hidden_state.detach().numpy(), atol=TOL)


@pytest.mark.parametrize("arch,head", [("bert", "ForSequenceClassification"), ("distilbert", "Model"),
                                       ("roberta", "ForTokenClassification")])
def test_h5_layout_is_transformers_4x(tmp_path, arch, head):
    """The file holds what Keras 2's save_weights wrote for transformers 4.x: root attributes, one group per
    top-level layer, each weight at its full name inside the group; the names are the ones transformers 4.x used."""
    build_transformers_model(arch, head, "h16-l1").save_pretrained(tmp_path / "pt")
    model = getattr(leanformers, "TF" + PREFIX[arch] + head).from_pretrained(tmp_path / "pt", from_pt=True)
    model.save_pretrained(tmp_path / "tf")
    model_name = f"{TF_MODEL_NAMES[arch]}_{SNAKE_HEADS[head]}"
    prefix = {"bert": "bert", "distilbert": "distilbert", "roberta": "roberta"}[arch]
    with h5py.File(tmp_path / "tf" / "tf_model.h5", "r") as f:
        assert f.attrs["backend"] == "tensorflow"
        layers = [str(name) for name in f.attrs["layer_names"]]
        assert layers[0] == prefix
        names = {}
        for layer in layers:
            for name in f[layer].attrs["weight_names"]:
                assert name.startswith(f"{model_name}/") and name.endswith(":0"), name
                names[name] = f[layer][name].shape
    word = f"{model_name}/{prefix}/embeddings/word_embeddings/weight:0"
    assert names[word] == (99, 16)
    assert names[f"{model_name}/{prefix}/embeddings/position_embeddings/embeddings:0"] == (40, 16)
    if arch == "distilbert":
        block, norm = "transformer/layer_._0/attention/q_lin", "transformer/layer_._0/sa_layer_norm"
    else:
        block, norm = "encoder/layer_._0/attention/self/query", "encoder/layer_._0/attention/output/LayerNorm"
    assert names[f"{model_name}/{prefix}/{block}/kernel:0"] == (16, 16)
    assert f"{model_name}/{prefix}/{norm}/gamma:0" in names and f"{model_name}/{prefix}/{norm}/beta:0" in names
    # every PyTorch parameter has exactly one TF weight, with the shape transposed for Dense kernels
    pt_state = getattr(leanformers, PREFIX[arch] + head).from_pretrained(tmp_path / "pt").state_dict()
    pt_state = {k if k.startswith(prefix + ".") else f"{prefix}.{k}": v for k, v in pt_state.items()}
    assert len(names) == len(pt_state)


def test_pickled_checkpoint_inputs_embeds_and_tuples(tmp_path):
    """from_pt reads pytorch_model.bin (weights only) too; inputs_embeds (RoBERTa then counts every token as a
    position) and return_dict=False work as in PyTorch."""
    model = build_transformers_model("roberta", "ForSequenceClassification", "h16-l1", seed=7)
    model.config.save_pretrained(tmp_path)
    torch.save(model.state_dict(), tmp_path / "pytorch_model.bin")
    pt_model = leanformers.RobertaForSequenceClassification.from_pretrained(tmp_path)
    tf_model = leanformers.TFRobertaForSequenceClassification.from_pretrained(tmp_path, from_pt=True)
    batch = padded_batch("roberta", seed=8)
    with torch.no_grad():
        embeds = pt_model.roberta.embeddings.word_embeddings(batch["input_ids"])
        expected = pt_model(inputs_embeds=embeds, attention_mask=batch["attention_mask"], return_dict=False)
    got = tf_model(inputs_embeds=embeds.numpy(), attention_mask=batch["attention_mask"].numpy(), return_dict=False)
    assert isinstance(got, tuple) and len(got) == len(expected) == 1
    np.testing.assert_allclose(got[0].numpy(), expected[0].numpy(), atol=TOL)


def test_distilbert_takes_and_ignores_token_type_ids_like_its_pytorch_twin(tmp_path):
    """A BERT tokenizer's batch (with token_type_ids) runs in the TF DistilBERT twins, as in the PyTorch ones."""
    build_transformers_model("distilbert", "ForSequenceClassification", "h16-l1").save_pretrained(tmp_path)
    batch = padded_batch("bert")
    batch["token_type_ids"][:, 3:] = 1
    pt = leanformers.DistilBertForSequenceClassification.from_pretrained(tmp_path).eval()
    ours = leanformers.TFDistilBertForSequenceClassification.from_pretrained(tmp_path, from_pt=True)
    with torch.no_grad():
        theirs = pt(**batch)
    assert_close(ours(tf_batch(batch)), theirs, "dict with token_type_ids")
    without = {k: v for k, v in batch.items() if k != "token_type_ids"}
    assert_close(ours(**tf_batch(batch)), pt(**without), "keywords with token_type_ids")
