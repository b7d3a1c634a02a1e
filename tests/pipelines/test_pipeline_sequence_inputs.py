"""Sized collections of texts (numpy arrays, pandas Series, any sequence) give a list in input order, only
iterators stream; keyword arguments the pipeline does not know are its error; return_all_scores as transformers 5.

transformers' pipeline answers the same texts given as a list: that is the oracle for every sized input.
"""

from collections.abc import Sequence

import numpy as np
import pytest
import transformers

from leanformers import pipeline
from leanformers.pipelines.base import as_batch
from support.sst2_checkpoint import QUICKTOUR_TEXT, one_torch_thread, save_sst2_checkpoint, sentences  # noqa: F401

TEXTS = sentences(12, seed=5) + [QUICKTOUR_TEXT, ""]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return str(save_sst2_checkpoint(tmp_path_factory.mktemp("sst2")))


@pytest.fixture(scope="module")
def pipes(folder):
    return pipeline("sentiment-analysis", model=folder), transformers.pipeline("sentiment-analysis", model=folder)


def assert_same(ours, ref):
    assert isinstance(ours, list) and len(ours) == len(ref)
    for a, b in zip(ours, ref):
        assert a.keys() == b.keys() == {"label", "score"} and a["label"] == b["label"], (a, b)
        assert abs(a["score"] - b["score"]) <= 1e-5, (a, b)


class LengthAndIndex:
    """Neither a list nor a registered Sequence: only a length and indexing."""

    def __init__(self, items):
        self.items = items

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        return self.items[index]


class Texts(LengthAndIndex, Sequence):
    """A user's own collections.abc.Sequence type."""


SIZED = {
    "numpy array": lambda texts: np.array(texts),
    "numpy object array": lambda texts: np.array(texts, dtype=object),
    "tuple": tuple,
    "Sequence subclass": Texts,
    "len and getitem": LengthAndIndex,
}


@pytest.mark.parametrize("make", SIZED.values(), ids=SIZED.keys())
def test_sized_inputs_give_a_list_in_order(pipes, make):
    ours, ref = pipes
    assert_same(ours(make(TEXTS)), ref(TEXTS))
    assert_same(ours(make(TEXTS), top_k=None)[0], ref(TEXTS, top_k=None)[0])


def test_pandas_series_gives_a_list_in_position_order(pipes):
    pandas = pytest.importorskip("pandas", reason="pandas is not installed: the Series case needs it")
    ours, ref = pipes
    # labels that are not the positions: a Series read by [i] would look up the label, not the i-th text
    series = pandas.Series(TEXTS, index=range(100, 100 + len(TEXTS))[::-1])
    assert_same(ours(series), ref(TEXTS))


def test_generators_and_iterators_still_stream(pipes):
    ours, ref = pipes
    for stream in ((text for text in TEXTS), iter(TEXTS)):
        results = ours(stream)
        assert not isinstance(results, list)
        assert_same(list(results), ref(TEXTS))


@pytest.mark.parametrize("inputs, batch", [
    ("text", None), (b"bytes", None), ({"text": "a"}, None), (iter(["a"]), None), (np.array("one"), None),
    (np.array(["a", "b"]), ["a", "b"]), (("a", "b"), ["a", "b"]), (range(2), [0, 1]),
])
def test_as_batch_takes_sized_collections_only(inputs, batch):
    """The rule every pipeline's `_texts` shares (fill-mask, ner, text generation, text2text)."""
    result = as_batch(inputs)
    assert result == batch
    assert result is None or all(type(item) in (str, int) for item in result)  # numpy.str_ made str


def test_unknown_argument_is_the_pipelines_error(pipes, folder):
    ours, ref = pipes
    ref(TEXTS[:2], colour="red")  # transformers passes it to its tokenizer, which ignores it
    accepted = r"it takes batch_size, num_workers, max_batch_tokens, top_k, function_to_apply and the tokenizer's"
    with pytest.raises(TypeError, match=r"text-classification pipeline got unknown keyword arguments \['colour'\]; "
                                        + accepted + r" arguments \(.*\btruncation\b"):
        ours(TEXTS[:2], colour="red")
    with pytest.raises(TypeError, match=r"unknown keyword arguments \['colour'\]"):
        pipeline("sentiment-analysis", model=folder, colour="red")
    assert_same(ours(TEXTS[:2], truncation=True, max_length=8), ref(TEXTS[:2], truncation=True, max_length=8))


@pytest.mark.parametrize("value", [True, False])
def test_return_all_scores_as_transformers_5_with_a_hint(pipes, value):
    ours, ref = pipes
    with pytest.warns(FutureWarning, match=r"return_all_scores is deprecated.*pass top_k=None"):
        mine = ours(TEXTS, return_all_scores=value)
    assert_same(mine, ref(TEXTS, return_all_scores=value))
    with pytest.warns(FutureWarning, match="top_k=None"):
        one = ours(QUICKTOUR_TEXT, return_all_scores=value)
    assert_same(one, ref(QUICKTOUR_TEXT, return_all_scores=value))
