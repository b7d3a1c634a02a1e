"""What the tokenizer call builds late, against building it at once and against transformers
(BERT and RoBERTa on the real vocabularies):
- the padded-array path (padding + return_tensors 'np'/'pt', without offsets or special-token
  mask: padding._padded_arrays fills the arrays from the unpadded rows) against the general path
  (pad the lists, then convert), with padding sides, lengths, multiples, truncation, overflow;
- the rows (encodings) of a plain batch call, not kept but rebuilt when first read: equal to
  the reference's, unaffected by later changes to the input list, and a clear error when
  tokens were added in between;
- the lazily cut truncation windows (core.Encoding.slice) through tokens() and word_ids()."""

import itertools
import pickle
from pathlib import Path

import numpy as np
import pytest

from support.corpus import sentences

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

import leanformers  # noqa: E402
from support.paths import SHARED_DATA

VOCABS = SHARED_DATA / "vocab"
TEXTS = sentences(400)[100:400] + ["", "a", "Hello world!"]
CLASSES = {"bert-base-uncased": "BertTokenizer", "roberta-base": "RobertaTokenizer"}


@pytest.fixture(scope="module", params=list(CLASSES))
def pair(request):
    folder = VOCABS / request.param
    if not folder.is_dir():
        pytest.skip(f"real vocabularies not found in {VOCABS} (see shared/data/README.md)")
    name = CLASSES[request.param]
    return getattr(leanformers, name).from_pretrained(folder), getattr(transformers, name).from_pretrained(str(folder))


OPTIONS = [
    dict(padding=padding, padding_side=side, pad_to_multiple_of=multiple, **extra)
    for padding, side, multiple, extra in itertools.product(
        [True, "max_length"], ["right", "left"], [None, 8],
        [dict(truncation=True, max_length=24), dict(truncation=True, max_length=24, stride=4,
                                                    return_overflowing_tokens=True, return_length=True),
         dict(max_length=40, truncation="only_first", return_token_type_ids=True, return_attention_mask=False)])
] + [dict(padding=True), dict(padding=True, return_length=True)]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
@pytest.mark.parametrize("tensors", ["np", "pt"])
def test_padded_arrays_equal_general_path_and_reference(pair, options, tensors):
    ours, reference = pair
    got = ours(TEXTS, return_tensors=tensors, **options)
    lists = ours(TEXTS, **options)  # the general path: padded lists
    expected = reference(TEXTS, return_tensors=tensors, **options)
    assert list(got) == list(lists) == list(expected)
    for key in got:
        assert type(got[key]) is type(expected[key]), key
        assert str(got[key].dtype) == str(expected[key].dtype), key
        assert np.asarray(got[key]).tolist() == lists[key] == np.asarray(expected[key]).tolist(), key
    # the rows, padded when first read, as the general path pads them
    assert len(got.encodings) == len(lists.encodings)
    for i in range(0, len(TEXTS), 7):
        for field in ("ids", "type_ids", "attention_mask", "tokens", "word_ids", "special_tokens_mask"):
            assert getattr(got.encodings[i], field) == getattr(lists.encodings[i], field), (i, field)
        assert got.tokens(i) == expected.tokens(i) and got.word_ids(i) == expected.word_ids(i), i
        assert got.sequence_ids(i) == expected.sequence_ids(i), i


def test_truncation_windows_cut_lazily(pair):
    """Windows cut from a long text read their tokens and word ids from the whole encoding."""
    ours, reference = pair
    text = " ".join(TEXTS[:20])
    for side in ("right", "left"):
        ours.truncation_side = reference.truncation_side = side
        try:
            kwargs = dict(truncation=True, max_length=30, stride=5, return_overflowing_tokens=True)
            got, expected = ours(text, **kwargs), reference(text, **kwargs)
        finally:
            ours.truncation_side = reference.truncation_side = "right"
        assert got["input_ids"] == expected["input_ids"]
        for i in range(len(expected["input_ids"])):
            assert got.tokens(i) == expected.tokens(i) and got.word_ids(i) == expected.word_ids(i), (side, i)


@pytest.mark.parametrize("options", [{}, dict(padding=True, truncation=True, max_length=20, return_tensors="pt"),
                                     dict(padding="max_length", max_length=64, padding_side="left")])
def test_rows_rebuilt_when_read(pair, options):
    ours, reference = pair
    texts = list(TEXTS)
    got, expected = ours(texts, **options), reference(texts, **options)
    texts[:] = ["changed"] * len(texts)  # the call's inputs were copied
    restored = pickle.loads(pickle.dumps(got))
    for i in range(0, len(TEXTS), 5):
        assert got.tokens(i) == expected.tokens(i) and got.word_ids(i) == expected.word_ids(i), i
        assert got.encodings[i].ids == expected.encodings[i].ids, i
        assert got.encodings[i].attention_mask == expected.encodings[i].attention_mask, i
        assert restored.tokens(i) == expected.tokens(i), i


def test_rows_not_rebuilt_after_tokens_were_added(pair):
    ours, _ = pair
    ours = type(ours).from_pretrained(ours.name_or_path)  # a copy to change
    got = ours(TEXTS[:3])
    ours.add_tokens(["zzyzx-new-token"])
    with pytest.raises(RuntimeError, match="tokens were added to the tokenizer since the call"):
        got.tokens(0)
    read_first = ours(TEXTS[:3])
    tokens = read_first.tokens(0)  # read before the change: kept
    ours.add_tokens(["another-new-token"])
    assert read_first.tokens(0) == tokens


def test_rows_rebuilt_after_adding_tokens_that_change_nothing(pair):
    ours, theirs = pair
    ours = type(ours).from_pretrained(ours.name_or_path)  # a copy to change
    got = ours(TEXTS[:3])
    assert ours.add_special_tokens({"pad_token": ours.pad_token}) == 0  # the same pad token again
    assert [got.tokens(i) for i in range(3)] == [theirs(TEXTS[:3]).tokens(i) for i in range(3)]
