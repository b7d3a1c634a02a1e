"""The padded-array path of the tokenizer call (padding + return_tensors 'np'/'pt', without
offsets or special-token mask: base._padded_arrays fills the arrays from the unpadded rows
and pads the rows only when they are read) against the general path (pad the lists, then
convert) and against transformers, for BERT and RoBERTa on the real vocabularies, with
padding sides, lengths, multiples, truncation and overflow. Also the lazily cut
truncation windows (core.Encoding.slice) through tokens() and word_ids()."""

import itertools
from pathlib import Path

import numpy as np
import pytest

from corpus import sentences

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

import leanformers  # noqa: E402

VOCABS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "vocab"
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
