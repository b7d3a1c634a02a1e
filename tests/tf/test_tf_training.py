"""Keras training of the TF models: compile()/fit() on a tf.data pipeline lowers the loss, with the model's own loss
(compile without a loss, labels as y or inside x) or a Keras loss and metrics on the logits; dropout in training."""

import numpy as np
import pytest
import torch

tf = pytest.importorskip("tensorflow", reason="TensorFlow is not installed: pip install -e '.[test,tf]'")
import keras  # noqa: E402

import leanformers  # noqa: E402
from support.tiny_models import PREFIX, build_transformers_model, labels_for, padded_batch  # noqa: E402


def tf_model_and_data(tmp_path, arch, head, n=8):
    build_transformers_model(arch, head, "h16-l1", seed=2).save_pretrained(tmp_path)
    model = getattr(leanformers, "TF" + PREFIX[arch] + head).from_pretrained(tmp_path, from_pt=True)
    batch = padded_batch(arch, batch_size=n, seq_len=6, seed=3)
    labels = labels_for(head, batch, seed=4)["labels"]
    return model, {k: v.numpy() for k, v in batch.items()}, labels.numpy()


def test_fit_with_the_models_own_loss(tmp_path):
    keras.utils.set_random_seed(0)
    model, features, labels = tf_model_and_data(tmp_path, "bert", "ForSequenceClassification")
    dataset = tf.data.Dataset.from_tensor_slices((features, labels)).batch(4)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2))  # no loss: the model's own
    before = float(tf.reduce_mean(model(features, labels=labels).loss))
    history = model.fit(dataset, epochs=5, verbose=0)
    after = model.evaluate(dataset, verbose=0)
    assert after < before and history.history["loss"][-1] < history.history["loss"][0]
    # evaluate's loss is the mean of the model's per-sequence losses
    assert abs(after - float(tf.reduce_mean(model(features, labels=labels).loss))) <= 1e-5


def test_fit_with_a_keras_loss_and_metrics(tmp_path):
    keras.utils.set_random_seed(0)
    model, features, labels = tf_model_and_data(tmp_path, "distilbert", "ForSequenceClassification")
    dataset = tf.data.Dataset.from_tensor_slices((features, labels)).shuffle(8, seed=0).batch(4)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"],
                  run_eagerly=True)  # the graph-mode path is the test above; eager steps skip a second trace
    history = model.fit(dataset, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert 0.0 <= history.history["accuracy"][-1] <= 1.0
    predictions = model.predict(tf.data.Dataset.from_tensor_slices(features).batch(4), verbose=0)
    np.testing.assert_allclose(predictions["logits"], model(features).logits.numpy(), atol=1e-5)


def test_fit_with_labels_inside_the_inputs(tmp_path):
    """Token classification, labels (with -100 on padding) inside x as transformers 4.x allowed."""
    keras.utils.set_random_seed(0)
    model, features, labels = tf_model_and_data(tmp_path, "roberta", "ForTokenClassification")
    dataset = tf.data.Dataset.from_tensor_slices({**features, "labels": labels}).batch(4)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2), run_eagerly=True)
    before = float(model(features, labels=labels).loss[0])
    model.fit(dataset, epochs=5, verbose=0)
    assert float(model(features, labels=labels).loss[0]) < before


def test_dropout_only_in_training(tmp_path):
    model, features, _ = tf_model_and_data(tmp_path, "bert", "ForSequenceClassification")
    np.testing.assert_array_equal(model(features).logits.numpy(), model(features).logits.numpy())
    keras.utils.set_random_seed(0)
    assert not np.array_equal(model(features, training=True).logits.numpy(),
                              model(features, training=True).logits.numpy())
    assert not np.array_equal(model(features, training=True).logits.numpy(), model(features).logits.numpy())


def test_sequence_classification_losses_match_pytorch(tmp_path):
    """Regression (num_labels=1) and multi-label: the mean TF loss is the PyTorch loss."""
    for problem_type, num_labels in (("regression", 1), ("multi_label_classification", 3)):
        build_transformers_model("bert", "ForSequenceClassification", "h16-l1", num_labels=num_labels,
                                 problem_type=problem_type).save_pretrained(tmp_path / problem_type)
        pt_model = leanformers.BertForSequenceClassification.from_pretrained(tmp_path / problem_type)
        tf_model = leanformers.TFBertForSequenceClassification.from_pretrained(tmp_path / problem_type, from_pt=True)
        batch = padded_batch("bert")
        labels = labels_for("ForSequenceClassification", batch, num_labels, problem_type)["labels"]
        with torch.no_grad():
            expected = pt_model(**batch, labels=labels).loss.item()
        got = tf_model({k: v.numpy() for k, v in batch.items()}, labels=labels.numpy()).loss
        assert got.shape == (3,)
        assert abs(float(tf.reduce_mean(got)) - expected) <= 1e-5, problem_type
