"""A model swap is never silent: when the default model cannot be had (offline, nothing cached) and the embedded
model answers, `pipe.model.name_or_path` names it, an OfflineFallbackWarning says so once per process even with
leanformers' logging at ERROR, and LEANFORMERS_OFFLINE_FALLBACK=0 gives the error instead."""

import logging
import warnings

import pytest
import transformers

import leanformers.pipelines
from leanformers import AutoModelForSequenceClassification, pipeline
from leanformers.embedded import EMBEDDED_NAME, base_model_dir
from leanformers.pipelines import OfflineFallbackWarning
from support.sst2_checkpoint import SST2, one_torch_thread, save_sst2_checkpoint  # noqa: F401


@pytest.fixture
def embedded_installed():
    try:
        base_model_dir()
    except FileNotFoundError as err:
        pytest.skip(str(err))


@pytest.fixture
def offline(hf_home, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # and an empty cache: the default model is out of reach
    monkeypatch.setattr(leanformers.pipelines, "_fallback_warned", False)  # as in a fresh process
    monkeypatch.delenv(leanformers.pipelines.FALLBACK_SWITCH, raising=False)


@pytest.fixture
def quiet_leanformers():
    logger = logging.getLogger("leanformers")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def test_the_swap_is_a_warning_once_and_the_model_names_itself(embedded_installed, offline, quiet_leanformers):
    with pytest.warns(OfflineFallbackWarning, match=f"(?s){SST2}.*could not be loaded.*{EMBEDDED_NAME}") as caught:
        classifier = pipeline("sentiment-analysis")
    assert len(caught) == 1 and caught[0].filename == __file__  # it points at the user's call
    assert classifier.model.name_or_path == EMBEDDED_NAME
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")  # so that only our once-per-process flag can hold it back
        pipeline("sentiment-analysis")
    assert not [w for w in again if issubclass(w.category, OfflineFallbackWarning)]  # once per process


def test_a_hub_that_never_answers_gives_the_embedded_model(embedded_installed, silent_hub, monkeypatch,
                                                          quiet_leanformers):
    monkeypatch.setenv("HF_HUB_ETAG_TIMEOUT", "1")  # nothing cached, and the Hub accepts but never answers
    monkeypatch.setattr(leanformers.pipelines, "_fallback_warned", False)
    monkeypatch.delenv(leanformers.pipelines.FALLBACK_SWITCH, raising=False)
    said = f"(?s){SST2}.*{silent_hub.url} did not answer.*HF_HUB_ETAG_TIMEOUT=60"
    with pytest.warns(OfflineFallbackWarning, match=said):
        classifier = pipeline("sentiment-analysis")
    assert classifier.model.name_or_path == EMBEDDED_NAME and silent_hub.connections


def test_switched_off_the_original_error_is_raised(offline, monkeypatch):
    monkeypatch.setenv(leanformers.pipelines.FALLBACK_SWITCH, "0")
    with pytest.raises(OSError, match=f"(?s){SST2}.*switched off by LEANFORMERS_OFFLINE_FALLBACK=0") as caught:
        pipeline("sentiment-analysis")
    assert isinstance(caught.value.__cause__, OSError) and SST2 in str(caught.value.__cause__)


def test_in_a_fresh_interpreter_logging_at_error_still_shows_it(embedded_installed, hf_home, monkeypatch, run_python):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv(leanformers.pipelines.FALLBACK_SWITCH, raising=False)
    done = run_python("import logging; from leanformers import pipeline; "
                      "logging.getLogger('leanformers').setLevel(logging.ERROR); "
                      "pipeline('sentiment-analysis'); pipe = pipeline('sentiment-analysis'); "
                      "print(pipe.model.name_or_path)")
    assert done.stdout.strip() == EMBEDDED_NAME
    assert done.stderr.count("OfflineFallbackWarning") == 1 and EMBEDDED_NAME in done.stderr


def test_a_loaded_model_is_named_as_transformers_names_it(tmp_path, monkeypatch):
    folder = save_sst2_checkpoint(tmp_path / "sst2")
    monkeypatch.chdir(tmp_path)
    for name in (str(folder), "sst2"):
        ours = AutoModelForSequenceClassification.from_pretrained(name)
        theirs = transformers.AutoModelForSequenceClassification.from_pretrained(name)
        assert ours.name_or_path == theirs.name_or_path == ours.config.name_or_path == name
        assert pipeline("sentiment-analysis", model=name).model.name_or_path == theirs.name_or_path
