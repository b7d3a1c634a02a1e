"""device_map, as transformers' guides pass it to from_pretrained and pipeline(): the whole model goes to one device
("auto": the first GPU, else the CPU), with the same answers as transformers given the same device_map; a map
that would split the model, and a TensorFlow model given to a pipeline, are clear errors."""

import logging

import pytest
import torch
import transformers

import leanformers
from leanformers import pipeline
from support.sst2_checkpoint import QUICKTOUR_TEXT, save_sst2_checkpoint, sentences

TEXTS = [QUICKTOUR_TEXT, *sentences(20, seed=5)]
FIRST_DEVICE = torch.device("cuda", 0) if torch.cuda.is_available() else torch.device("cpu")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return str(save_sst2_checkpoint(tmp_path_factory.mktemp("sst2")))


@pytest.mark.parametrize("device_map", ["auto", {"": 0} if torch.cuda.is_available() else {"": "cpu"}, "cpu"],
                         ids=["auto", "one-entry-dict", "cpu"])
def test_from_pretrained_device_map_puts_the_model_on_one_device(folder, device_map):
    ours = leanformers.AutoModelForSequenceClassification.from_pretrained(folder, device_map=device_map)
    theirs = transformers.AutoModelForSequenceClassification.from_pretrained(folder, device_map=device_map)
    assert ours.device == theirs.device == (torch.device("cpu") if device_map == "cpu" else FIRST_DEVICE)
    batch = leanformers.AutoTokenizer.from_pretrained(folder)(TEXTS, padding=True, return_tensors="pt")
    batch = {key: value.to(ours.device) for key, value in batch.items()}
    with torch.no_grad():
        assert (ours(**batch).logits - theirs(**batch).logits).abs().max() <= 1e-5


def test_pipeline_device_map_matches_reference(folder):
    ours = pipeline("sentiment-analysis", model=folder, device_map="auto")
    theirs = transformers.pipeline("sentiment-analysis", model=folder, device_map="auto")
    assert ours.device == FIRST_DEVICE and ours.model.device == theirs.model.device
    for a, b in zip(ours(TEXTS), theirs(TEXTS)):
        assert a["label"] == b["label"] and abs(a["score"] - b["score"]) <= 1e-5


def test_pipeline_device_wins_over_device_map_with_a_warning(folder, caplog):
    with caplog.at_level(logging.WARNING, logger="leanformers"):
        ours = pipeline("sentiment-analysis", model=folder, device="cpu", device_map="auto")
    assert ours.device == torch.device("cpu") and "device wins" in caplog.text
    with pytest.raises(ValueError, match="device_map was given twice"):
        pipeline("sentiment-analysis", model=folder, device_map="auto", model_kwargs={"device_map": "auto"})


@pytest.mark.parametrize("device_map", [{"distilbert": "cpu", "classifier": "meta"}, {}, 2.5],
                         ids=["two-devices", "empty", "float"])
def test_device_map_that_is_not_one_device_is_refused(folder, device_map):
    with pytest.raises(ValueError, match="device_map"):
        leanformers.AutoModelForSequenceClassification.from_pretrained(folder, device_map=device_map)


def test_tensorflow_model_in_a_pipeline_is_a_clear_error(folder):
    pytest.importorskip("tensorflow")
    tf_model = leanformers.TFAutoModelForSequenceClassification.from_pretrained(folder, from_pt=True)
    with pytest.raises(TypeError, match="runs PyTorch models, got a TFDistilBertForSequenceClassification"):
        pipeline("sentiment-analysis", model=tf_model, tokenizer=folder)
