"""The summarization, text2text-generation and question-answering pipelines against transformers 4's own.

transformers 5 removed these pipelines, so tests/fixtures/pipelines4x/make_fixtures.py ran transformers 4.x
on two tiny checkpoints it saved there (BART with a BPE tokenizer, BERT for question answering with a
WordPiece vocabulary) and recorded its pipelines' outputs for greedy and beam calls, return_tensors, lists,
length settings, seeded sampling, top_k, doc_stride, handle_impossible_answer, max_answer_len and
overflowing contexts.
leanformers loads the same folders and must give the same texts, answers, offsets and token ids (tensors
where transformers 4 gave tensors), with scores within 1e-5. Bad input gets clear errors.
These replace the earlier stand-in tests that rebuilt transformers 4's behaviour from transformers 5's pieces
(they missed its default num_beams=4, its merging of equal answers across spans, and its tensor outputs).
"""

import json
from pathlib import Path

import pytest
import torch

import leanformers
from support.generative_models import assert_same_result
from support.paths import FIXTURES

FIXTURES = FIXTURES / "pipelines4x"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
CALLS = EXPECTED["calls"]


def as_json(value):
    """A pipeline result in the fixture's terms: tensors become {"tensor": [...]}, so their type is compared too."""
    if isinstance(value, torch.Tensor):
        return {"tensor": value.tolist()}
    if isinstance(value, dict):
        return {key: as_json(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_json(v) for v in value]
    return value


@pytest.fixture(scope="module")
def pipes():
    cache = {}

    def get(task, folder):
        if (task, folder) not in cache:
            cache[task, folder] = leanformers.pipeline(task, model=str(FIXTURES / folder))
        return cache[task, folder]

    return get


@pytest.mark.parametrize("call", CALLS, ids=[f"{c['task']}-{c['name']}" for c in CALLS])
def test_same_output_as_transformers4(pipes, call):
    pipe = pipes(call["task"], call["folder"])
    torch.manual_seed(EXPECTED["seed"])  # as before each call of the reference: sampling calls draw the same
    got = pipe(*call["args"], **call["kwargs"])
    assert_same_result(as_json(got), call["output"])


def test_fixtures_cover_each_option():
    """The recorded calls include each option the fixtures are meant to pin."""
    options = {key for call in CALLS for key in call["kwargs"]}
    assert {"num_beams", "num_return_sequences", "return_tensors", "min_length", "max_length", "max_new_tokens",
            "top_k", "doc_stride", "max_seq_len", "handle_impossible_answer", "max_answer_len",
            "batch_size", "do_sample"} <= options
    assert {call["task"] for call in CALLS} == {"summarization", "text2text-generation", "question-answering"}


def test_seq2seq_bad_input(pipes):
    pipe = pipes("summarization", "bart")
    with pytest.raises(ValueError, match="a text or a non-empty list of texts"):
        pipe([])
    with pytest.raises(ValueError, match="unknown arguments"):
        pipe("Paris is a city.", num_beam=2)
    with pytest.raises(ValueError, match="encoder-decoder"):
        leanformers.pipeline("text-generation", model=pipe.model, tokenizer=pipe.tokenizer)


@pytest.mark.parametrize("kwargs,match", [
    (dict(question="", context="paris"), "`question` cannot be empty"),
    (dict(question="where?", context=" "), "`context` cannot be empty"),
    # transformers 4 refused one question with several contexts too
    (dict(question="where?", context=["paris", "berlin"]), "`context` cannot be empty"),
    (dict(question=["a", "b"], context=["c"]), "different lengths"),
    (dict(question="where?"), "needs question= and context="),
    (dict(question="where?", context="paris", doc_stride=100, max_seq_len=20), "doc_stride"),
    (dict(question="where?", context="paris", top_k=0), "top_k"),
])
def test_question_answering_bad_input(pipes, kwargs, match):
    with pytest.raises(ValueError, match=match):
        pipes("question-answering", "bert")(**kwargs)
