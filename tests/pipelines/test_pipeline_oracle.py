"""leanformers' text-classification pipeline gives what transformers' gives, on the same checkpoint.

Same labels, scores within 1e-5 and the same output structure for every input form (string, list,
dict pair, list of dicts, generator) and option (top_k, function_to_apply, tokenizer arguments,
batch_size, dtype, device), and the default score function chosen by problem_type and num_labels.
"""

import pytest
import torch
import transformers

from leanformers import pipeline
from support.sst2_checkpoint import QUICKTOUR_TEXT, one_torch_thread, save_sst2_checkpoint, sentences  # noqa: F401

TOLERANCE = 1e-5


def assert_same(ours, ref, path="result"):
    """Equal structure and labels, scores within TOLERANCE."""
    assert type(ours) is type(ref), f"{path}: {type(ours).__name__} != {type(ref).__name__}"
    if isinstance(ref, list):
        assert len(ours) == len(ref), f"{path}: {len(ours)} results, expected {len(ref)}"
        for i, (a, b) in enumerate(zip(ours, ref)):
            assert_same(a, b, f"{path}[{i}]")
    else:
        assert ours.keys() == ref.keys() == {"label", "score"}, path
        assert ours["label"] == ref["label"], f"{path}: {ours} != {ref}"
        assert isinstance(ours["score"], float)
        assert abs(ours["score"] - ref["score"]) <= TOLERANCE, f"{path}: {ours} != {ref}"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return save_sst2_checkpoint(tmp_path_factory.mktemp("sst2"))


@pytest.fixture(scope="module")
def pipes(folder):
    return pipeline("sentiment-analysis", model=str(folder)), transformers.pipeline("sentiment-analysis", model=str(folder))


TEXTS = sentences(40) + [QUICKTOUR_TEXT, "", "ok", "Not bad at all!"]
PAIRS = [{"text": "I liked it.", "text_pair": "The plot was thin."},
         {"text": QUICKTOUR_TEXT, "text_pair": "Really?"}]

INPUTS = {
    "string": QUICKTOUR_TEXT,
    "empty string": "",
    "list": TEXTS,
    "one-item list": ["Great movie"],
    "pair dict": PAIRS[0],
    "text-only dict": {"text": "Only a text here."},
    "list of pair dicts": PAIRS,
    "mixed list": [TEXTS[0], PAIRS[1], TEXTS[3], {"text": "Alone"}, TEXTS[1]],
}
OPTIONS = {
    "plain": {},
    "top_k=1": {"top_k": 1},
    "top_k=None": {"top_k": None},
    "top_k=2": {"top_k": 2},
    "top_k=0": {"top_k": 0},
    "softmax": {"function_to_apply": "softmax"},
    "sigmoid": {"function_to_apply": "sigmoid"},
    "none": {"function_to_apply": "none"},
    "SIGMOID upper case": {"function_to_apply": "SIGMOID"},
    "truncation max_length=6": {"truncation": True, "max_length": 6},
    "top_k=None + sigmoid": {"top_k": None, "function_to_apply": "sigmoid"},
}


@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS.keys())
@pytest.mark.parametrize("inputs", INPUTS.values(), ids=INPUTS.keys())
def test_call_matches_transformers(pipes, inputs, options):
    ours, ref = pipes
    assert_same(ours(inputs, **options), ref(inputs, **options))


@pytest.mark.parametrize("batch_size", [1, 2, 5, 64])
def test_batch_size_keeps_order_and_scores(pipes, batch_size):
    ours, ref = pipes
    texts = TEXTS[::-1]  # lengths in no particular order: sorting must be undone
    assert_same(ours(texts, batch_size=batch_size), ref(texts))
    assert_same(ours(texts, batch_size=batch_size, top_k=None), ref(texts, batch_size=batch_size, top_k=None))


def test_generator_streams_results_in_order(pipes):
    ours, ref = pipes
    result = ours(text for text in TEXTS)
    assert iter(result) is result, "a generator input gives an iterator, as in transformers"
    assert_same(list(result), list(ref(text for text in TEXTS)))
    assert_same(list(ours(t for t in [])), list(ref(t for t in [])))


def test_long_text_truncated_as_transformers_with_truncation(pipes):
    ours, ref = pipes
    text = " ".join(["word"] * 10_000)
    assert_same(ours(text), ref(text, truncation=True))


@pytest.mark.parametrize("options", [{"top_k": None}, {"top_k": 1}, {"function_to_apply": "none"}],
                         ids=["top_k=None", "top_k=1", "none"])
def test_options_given_when_building(folder, options):
    ours = pipeline("text-classification", model=str(folder), **options)
    ref = transformers.pipeline("text-classification", model=str(folder), **options)
    for inputs in (QUICKTOUR_TEXT, TEXTS[:5], PAIRS[0]):
        assert_same(ours(inputs), ref(inputs))
    # a call's own options override the pipeline's
    assert_same(ours(QUICKTOUR_TEXT, top_k=2), ref(QUICKTOUR_TEXT, top_k=2))


HEADS = {
    "num_labels=1 (sigmoid)": {"num_labels": 1},
    "regression (none)": {"num_labels": 1, "problem_type": "regression"},
    "multi_label (sigmoid)": {"num_labels": 3, "problem_type": "multi_label_classification"},
    "single_label 3 (softmax)": {"num_labels": 3, "problem_type": "single_label_classification"},
    "3 labels (softmax)": {"num_labels": 3},
}


@pytest.mark.parametrize("changes", HEADS.values(), ids=HEADS.keys())
def test_default_function_by_problem_type(tmp_path, changes):
    folder = str(save_sst2_checkpoint(tmp_path, seed=1, **changes))
    ours = pipeline("text-classification", model=folder)
    ref = transformers.pipeline("text-classification", model=folder)
    for options in ({}, {"top_k": None}):
        assert_same(ours(TEXTS[:8], **options), ref(TEXTS[:8], **options))
        assert_same(ours(QUICKTOUR_TEXT, **options), ref(QUICKTOUR_TEXT, **options))


@pytest.mark.parametrize("device", ["cpu", torch.device("cpu"), -1], ids=["str", "torch.device", "-1"])
def test_device_forms(folder, pipes, device):
    ours = pipeline("sentiment-analysis", model=str(folder), device=device)
    assert ours.device == torch.device("cpu")
    assert_same(ours(TEXTS[:6]), pipes[1](TEXTS[:6]))


def test_dtype_float64(folder):
    ours = pipeline("sentiment-analysis", model=str(folder), dtype="float64")
    ref = transformers.pipeline("sentiment-analysis", model=str(folder), dtype=torch.float64)
    assert ours.dtype == torch.float64 == ref.dtype
    assert_same(ours(TEXTS[:10]), ref(TEXTS[:10]))


def test_objects_instead_of_names(folder, pipes):
    """model= and tokenizer= may be objects already loaded (here leanformers' own)."""
    from leanformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(str(folder))
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    ours = pipeline("sentiment-analysis", model=model, tokenizer=tokenizer)
    assert_same(ours(TEXTS[:6]), pipes[1](TEXTS[:6]))
    mixed = pipeline("sentiment-analysis", model=str(folder), tokenizer=str(folder))
    assert_same(mixed(QUICKTOUR_TEXT), pipes[1](QUICKTOUR_TEXT))


def test_task_inferred_from_the_config(folder, pipes):
    ours = pipeline(model=str(folder))
    assert ours.task == "text-classification"
    assert_same(ours(TEXTS[:3]), pipes[1](TEXTS[:3]))
