"""The quicktour's first cell, as written, against a copy of the default model's repository.

The test hub serves distilbert/distilbert-base-uncased-finetuned-sst-2-english built from
tests/sst2_checkpoint.py (the real config fields, labels and tokenizer files, tiny weights): the
commit pipeline("sentiment-analysis") pins (short hash 714eb0f) and, after it, a main branch with
other labels, so only a pipeline that honours the pinned revision answers NEGATIVE/POSITIVE.
transformers runs the same cell against the same hub; both must agree.
"""

import logging

import pytest
import transformers

from leanformers import pipeline
from support.sst2_checkpoint import (PINNED, QUICKTOUR_TEXT, SST2, one_torch_thread, save_sst2_checkpoint,  # noqa: F401
                             sst2_hub, sst2_repo)

WARNING = (f"No model was supplied, defaulted to {SST2} and revision {PINNED}.\n"
           "Using a pipeline without specifying a model name and revision in production is not recommended.")


class Messages(logging.Handler):
    """Collects the messages of one logger (transformers' loggers do not propagate to pytest's)."""

    def __init__(self, name):
        super().__init__(logging.WARNING)
        self.logger, self.messages = logging.getLogger(name), []

    def emit(self, record):
        self.messages.append(record.getMessage())

    def __enter__(self):
        # another test may have left the library's verbosity at ERROR: this logger's own level wins
        self.saved_level = self.logger.level
        self.logger.setLevel(logging.WARNING)
        self.logger.addHandler(self)
        return self.messages

    def __exit__(self, *exc):
        self.logger.removeHandler(self)
        self.logger.setLevel(self.saved_level)


def assert_same(ours, ref):
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref):
        assert a.keys() == b.keys() == {"label", "score"} and a["label"] == b["label"]
        assert isinstance(a["score"], float) and abs(a["score"] - b["score"]) <= 1e-5


def test_quicktour_cell_runs_as_written(sst2_hub):
    with Messages("leanformers.pipelines") as ours_warnings:
        classifier = pipeline("sentiment-analysis")
    with Messages("transformers.pipelines") as ref_warnings:
        reference = transformers.pipeline("sentiment-analysis")
    assert ours_warnings == [WARNING] and WARNING in ref_warnings

    result = classifier(QUICKTOUR_TEXT)
    assert isinstance(result, list) and len(result) == 1 and result[0]["label"] in {"NEGATIVE", "POSITIVE"}
    assert_same(result, reference(QUICKTOUR_TEXT))

    texts = [QUICKTOUR_TEXT, "We hope you don't hate it."]
    results = classifier(texts)
    assert_same(results, reference(texts))
    # the pinned commit was loaded, not main
    assert sst2_hub.count(path_part=f"/resolve/{PINNED}") > 0
    assert classifier.model.config.id2label == {0: "NEGATIVE", 1: "POSITIVE"}


def test_cached_default_model_loads_offline_with_no_request(sst2_hub, monkeypatch):
    first = pipeline("sentiment-analysis")(QUICKTOUR_TEXT)
    served = len(sst2_hub.requests)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert pipeline("sentiment-analysis")(QUICKTOUR_TEXT) == first
    assert len(sst2_hub.requests) == served


def test_default_model_out_of_reach_falls_back_to_the_embedded_model(sst2_hub, monkeypatch, tmp_path):
    """Offline with nothing cached: the embedded model answers, with a warning naming it."""
    import leanformers.embedded
    from leanformers import AutoModelForSequenceClassification, AutoTokenizer

    stand_in = str(save_sst2_checkpoint(tmp_path, seed=3))  # the real embedded model is the fine-tuning issue's
    monkeypatch.setattr(leanformers.embedded, "load_embedded", lambda dtype=None: (
        AutoModelForSequenceClassification.from_pretrained(stand_in), AutoTokenizer.from_pretrained(stand_in)))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with Messages("leanformers.pipelines") as warnings:
        classifier = pipeline("sentiment-analysis")
    assert warnings[0] == WARNING
    assert any(leanformers.embedded.EMBEDDED_NAME in message and SST2 in message for message in warnings[1:])
    reference = transformers.pipeline("sentiment-analysis", model=stand_in)
    assert_same(classifier([QUICKTOUR_TEXT, "Fine."]), reference([QUICKTOUR_TEXT, "Fine."]))
    assert sst2_hub.requests == []


def test_default_model_and_embedded_model_out_of_reach_says_how_to_get_a_model(sst2_hub, monkeypatch):
    import leanformers.embedded

    def unavailable(dtype=None):
        raise leanformers.embedded.EmbeddedModelUnavailable("the embedded adapter is not installed")

    monkeypatch.setattr(leanformers.embedded, "load_embedded", unavailable)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # and nothing cached
    with pytest.raises(OSError, match=r"(?s)default model .*714eb0f.* could not be loaded.*No embedded offline "
                                      r"model.*adapter is not installed.*model=.*leanformers download .* "
                                      r"--revision 714eb0f"):
        pipeline("sentiment-analysis")
    assert sst2_hub.requests == []


def test_an_explicit_revision_overrides_the_pinned_one(sst2_hub):
    classifier = pipeline("sentiment-analysis", revision="main")
    assert classifier.model.config.id2label == {0: "neg", 1: "pos"}
    assert classifier(QUICKTOUR_TEXT)[0]["label"] in {"neg", "pos"}
