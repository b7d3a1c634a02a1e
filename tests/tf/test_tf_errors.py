"""Bad input to the TensorFlow side: missing weights for from_pt / from_tf / tf_model.h5, TensorFlow not installed,
weights of the wrong shape, damaged tf_model.h5, inputs the model does not take. Each error names the argument or
file, what is wrong and the fix."""

import json

import pytest

from support.tiny_models import build_transformers_model, captured, padded_batch

NO_TF = "import sys; sys.modules['tensorflow'] = None\n"


def test_import_leanformers_never_imports_tensorflow(run_python):
    done = run_python("import sys, leanformers\n"
                      "from leanformers import TFAutoModel, AutoTokenizer\n"  # the TF Auto classes resolve lazily
                      "leanformers.BertTokenizer, leanformers.BertModel\n"
                      "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow imported'\n"
                      "print('ok')")
    assert done.stdout.strip() == "ok"


def test_missing_tensorflow_names_the_install_command(run_python, tmp_path):
    """One interpreter where TensorFlow cannot be imported: the TF classes can be named (help() and star-imports
    read them) and say how to install it when used, as does return_tensors="tf"; PyTorch still reads tf_model.h5
    (from_tf=True) with h5py alone."""
    pytest.importorskip("tensorflow", reason="writing the tf_model.h5 fixture needs TensorFlow")
    import leanformers

    build_transformers_model("bert", "Model", "h16-l1").save_pretrained(tmp_path / "pt")
    leanformers.TFBertModel.from_pretrained(tmp_path / "pt", from_pt=True).save_pretrained(tmp_path / "tf")
    done = run_python(NO_TF + f"""
import leanformers
def error(call):
    try:
        call()
    except ImportError as err:
        return str(err)
print(error(lambda: leanformers.TFBertModel()))
print(error(lambda: leanformers.TFAutoModel.from_pretrained({str(tmp_path / "pt")!r}, from_pt=True)))
print(error(lambda: leanformers.BatchEncoding({{"input_ids": [[1, 2]]}}, tensor_type="tf")))
leanformers.BertModel.from_pretrained({str(tmp_path / "tf")!r}, from_tf=True)
assert "keras" not in sys.modules
print("from_tf ok")
""")
    model_error, auto_error, tensors_error, from_tf = done.stdout.strip().splitlines()
    for name, message in (("TFBertModel", model_error), ("TFAutoModel", auto_error)):
        assert message == (f"{name} needs TensorFlow, which is not installed. Install it with: "
                           "pip install 'leanformers[tf]' (or: pip install tensorflow-cpu).")
    assert tensors_error.startswith("return_tensors='tf' needs TensorFlow") and "pip install 'leanformers[tf]'" \
        in tensors_error
    assert from_tf == "from_tf ok"


# --- the rest needs TensorFlow --------------------------------------------------------------------------------------

@pytest.fixture
def tf():
    return pytest.importorskip("tensorflow", reason="TensorFlow is not installed: pip install -e '.[test,tf]'")


def test_from_pt_without_pytorch_weights(tf, tmp_path):
    import leanformers

    build_transformers_model("bert", "Model", "h16-l1").config.save_pretrained(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"from_pt=True: No weights found .*model\.safetensors"):
        leanformers.TFBertModel.from_pretrained(tmp_path, from_pt=True)
    # a folder holding only tf_model.h5: the message says to drop from_pt
    build_transformers_model("bert", "Model", "h16-l1").save_pretrained(tmp_path / "pt")
    leanformers.TFBertModel.from_pretrained(tmp_path / "pt", from_pt=True).save_pretrained(tmp_path / "tf")
    with pytest.raises(FileNotFoundError, match="it has tf_model.h5, so drop from_pt=True"):
        leanformers.TFBertModel.from_pretrained(tmp_path / "tf", from_pt=True)


def test_tf_model_without_tf_weights_suggests_from_pt(tf, tmp_path):
    import leanformers

    build_transformers_model("distilbert", "Model", "h16-l1").save_pretrained(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"has no tf_model\.h5\. .*pass from_pt=True"):
        leanformers.TFAutoModel.from_pretrained(tmp_path)


def test_from_tf_without_tf_model_h5(tmp_path):
    import leanformers

    build_transformers_model("roberta", "Model", "h16-l1").save_pretrained(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"from_tf=True but .* has no tf_model\.h5\. Drop from_tf"):
        leanformers.AutoModel.from_pretrained(tmp_path, from_tf=True)


def test_weight_of_the_wrong_shape(tf, tmp_path):
    import leanformers

    build_transformers_model("bert", "ForSequenceClassification", "h16-l1").save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["id2label"] = {str(i): f"LABEL_{i}" for i in range(5)}  # the checkpoint's classifier has 2 labels
    config["label2id"] = {f"LABEL_{i}": i for i in range(5)}
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=r"classifier\.weight: checkpoint \(2, 16\) vs model \(5, 16\).*"
                                         r"ignore_mismatched_sizes=True"):
        leanformers.TFBertForSequenceClassification.from_pretrained(tmp_path, from_pt=True)
    with captured("leanformers.tf_modeling") as warnings:
        model = leanformers.TFBertForSequenceClassification.from_pretrained(tmp_path, from_pt=True,
                                                                            ignore_mismatched_sizes=True)
    assert "newly initialized: ['classifier.bias', 'classifier.weight']" in warnings[-1]
    assert model({k: v.numpy() for k, v in padded_batch("bert").items()}).logits.shape == (3, 5)
    # the same checkpoint through tf_model.h5 into PyTorch: the model core's mismatch error
    model.save_pretrained(tmp_path / "tf")
    config["id2label"] = {"0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2"}
    config.pop("label2id")
    (tmp_path / "tf" / "config.json").write_text(json.dumps(config))
    with pytest.raises(RuntimeError, match="classifier.weight.*ignore_mismatched_sizes=True"):
        leanformers.BertForSequenceClassification.from_pretrained(tmp_path / "tf", from_tf=True)


def test_damaged_tf_model_h5(tf, tmp_path):
    import leanformers

    build_transformers_model("bert", "Model", "h16-l1").save_pretrained(tmp_path / "pt")
    leanformers.TFBertModel.from_pretrained(tmp_path / "pt", from_pt=True).save_pretrained(tmp_path / "tf")
    h5 = tmp_path / "tf" / "tf_model.h5"
    h5.write_bytes(h5.read_bytes()[:1000])
    with pytest.raises(OSError, match=r"tf_model\.h5 is not a readable HDF5 file .*Save it again"):
        leanformers.TFBertModel.from_pretrained(tmp_path / "tf")
    with pytest.raises(OSError, match=r"tf_model\.h5 is not a readable HDF5 file"):
        leanformers.BertModel.from_pretrained(tmp_path / "tf", from_tf=True)


def test_bad_model_inputs(tf, tmp_path):
    import leanformers

    build_transformers_model("distilbert", "ForSequenceClassification", "h16-l1").save_pretrained(tmp_path)
    model = leanformers.TFDistilBertForSequenceClassification.from_pretrained(tmp_path, from_pt=True)
    batch = {k: v.numpy() for k, v in padded_batch("bert").items()}  # BERT's batch has token_type_ids
    with pytest.raises(ValueError, match=r"got 'decoder_input_ids', which it does not take; its inputs are input_ids"):
        model({**batch, "decoder_input_ids": batch["input_ids"]})
    with pytest.raises(ValueError, match="Pass exactly one of input_ids or inputs_embeds"):
        model(attention_mask=batch["attention_mask"])
    with pytest.raises(ValueError, match=r"sequence length 41.*max_position_embeddings.*truncation=True"):
        model({"input_ids": tf.ones((1, 41), tf.int32)})
    bare = leanformers.TFDistilBertModel.from_pretrained(tmp_path, from_pt=True)
    with pytest.raises(ValueError, match="got 'labels', which it does not take"):
        bare(batch["input_ids"], labels=tf.constant([0, 1, 0]))
    with pytest.raises(TypeError, match="unexpected keyword argument 'num_label'"):
        leanformers.TFDistilBertModel.from_pretrained(tmp_path, from_pt=True, num_label=3)
    model.compile(optimizer="adam")
    with pytest.raises(ValueError, match="No labels to train on"):
        model.fit(tf.data.Dataset.from_tensor_slices({"input_ids": batch["input_ids"]}).batch(2), verbose=0)
