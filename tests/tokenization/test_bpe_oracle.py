"""GPT-2, RoBERTa/BART and a small trained byte-level BPE against transformers on the
same files: the 20,000-sentence corpus, hypothesis unicode text, and the call API's
option combinations, every output field (offsets, word ids and tokens included) and
decoding. Zero mismatches allowed."""

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.corpus import sentence_pairs, sentences  # noqa: E402
from test_bpe_components import unicode_text  # noqa: E402

transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

import leanformers  # noqa: E402
from support.paths import SHARED_DATA

VOCABS = SHARED_DATA / "vocab"
CORPUS = sentences(20_000)
PAIRS = sentence_pairs(300)


def _train_small_bpe(folder):
    """A 600-token byte-level BPE trained by `tokenizers` on part of the corpus."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=600, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"], show_progress=False)
    tok.train_from_iterator(CORPUS[:3000], trainer)
    tok.model.save(str(folder))


# name -> (class name in both libraries, folder (None: trained here), constructor options,
#          how many corpus sentences). The three the issue names get the whole corpus.
CASES = {
    "gpt2": ("GPT2Tokenizer", VOCABS / "gpt2", {}, 20_000),
    "roberta": ("RobertaTokenizer", VOCABS / "roberta-base", {}, 20_000),
    "trained": ("RobertaTokenizer", None, {}, 20_000),
    "bart-prefix": ("BartTokenizer", VOCABS / "roberta-base", {"add_prefix_space": True}, 3_000),
    "trained-gpt2-prefix": ("GPT2Tokenizer", None, {"add_prefix_space": True}, 3_000),
}


@pytest.fixture(scope="module")
def trained_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("trained_bpe")
    _train_small_bpe(folder)
    return folder


def _load(name, trained_folder):
    class_name, folder, options, _ = CASES[name]
    folder = folder or trained_folder
    if not (folder / "vocab.json").is_file():
        pytest.skip(f"real vocabularies not found in {VOCABS} (see shared/data/README.md)")
    files = dict(vocab=str(folder / "vocab.json"), merges=str(folder / "merges.txt"), **options)
    reference = getattr(transformers, class_name)(**files)
    ours = getattr(leanformers, class_name)(**files)
    return ours, reference


@pytest.fixture(scope="module", params=list(CASES))
def case(request, trained_folder):
    return request.param, _load(request.param, trained_folder)


@pytest.fixture(scope="module")
def pair(case):
    return case[1]


def _plain(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def assert_same(ours, reference, *args, rows=None, **kwargs):
    """Same call on both: same keys, values, dtypes, and tokens, word ids and sequence
    ids of the first `rows` rows (all by default)."""
    try:
        expected = reference(*args, **kwargs)
    except BaseException as error:  # the reference refuses (its Rust core may panic): so must we
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        with pytest.raises(type(error) if isinstance(error, (ValueError, TypeError)) else ValueError):
            ours(*args, **kwargs)
        return
    got = ours(*args, **kwargs)
    context = f"args={args!r} kwargs={kwargs!r}"
    assert list(got.keys()) == list(expected.keys()), context
    for key in expected:
        assert type(got[key]).__name__ == type(expected[key]).__name__, (key, context)
        if isinstance(expected[key], np.ndarray) or hasattr(expected[key], "dtype"):
            assert str(got[key].dtype) == str(expected[key].dtype), (key, context)
        if isinstance(expected[key], list):
            assert got[key] == expected[key], (key, context)
        else:
            assert _plain(got[key]) == _plain(expected[key]), (key, context)
    for i in range(min(len(expected.encodings), rows or len(expected.encodings))):
        assert got.tokens(i) == expected.tokens(i), (i, context)
        assert got.word_ids(i) == expected.word_ids(i), (i, context)
        assert got.sequence_ids(i) == expected.sequence_ids(i), (i, context)

ALL_FIELDS = dict(return_offsets_mapping=True, return_special_tokens_mask=True, return_token_type_ids=True,
                  return_length=True)


def test_corpus_every_field_and_decoding(case):
    name, (ours, reference) = case
    texts = CORPUS[:CASES[name][3]]
    # every field of the whole batch; tokens and word ids of the first 2,000 rows
    assert_same(ours, reference, texts, rows=2_000, **ALL_FIELDS)
    ids = reference(texts[:3000])["input_ids"]
    for skip in (False, True):
        assert ours.batch_decode(ids, skip_special_tokens=skip) == reference.batch_decode(ids, skip_special_tokens=skip)
    sample = ids[:300]
    assert (ours.batch_decode(sample, clean_up_tokenization_spaces=True)
            == reference.batch_decode(sample, clean_up_tokenization_spaces=True))
    assert [ours.convert_ids_to_tokens(i) for i in sample] == [reference.convert_ids_to_tokens(i) for i in sample]


def test_corpus_pairs_every_field(pair):
    ours, reference = pair
    firsts, seconds = [a for a, _ in PAIRS], [b for _, b in PAIRS]
    assert_same(ours, reference, firsts, seconds, **ALL_FIELDS)


@given(text=unicode_text, second=unicode_text)
@settings(max_examples=420, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
def test_hypothesis_unicode(pair, text, second):
    # 5 tokenizers x 420 = 2,100 generated cases per run
    ours, reference = pair
    assert_same(ours, reference, text, **ALL_FIELDS)
    if second:
        assert_same(ours, reference, text, second, **ALL_FIELDS)
    ids = reference(text, second or None)["input_ids"]
    assert ours.decode(ids) == reference.decode(ids)
    tokens = reference.tokenize(text)
    assert ours.tokenize(text) == tokens
    assert ours.convert_tokens_to_string(tokens) == reference.convert_tokens_to_string(tokens)


# ---- option combinations of the call API ---------------------------------------------------------

# short texts: with pairs, overflowing windows multiply (every window of one with each of the other)
TEXTS = [t for t in CORPUS[:400] if t.strip() and len(t) < 150][:12] + ["", " leading space", "🤗 <mask> </s> end<s>"]


def _option_grid():
    paddings = [dict(padding=False), dict(padding=True), dict(padding="longest"),
                dict(padding="max_length", max_length=24), dict(padding=True, pad_to_multiple_of=8),
                dict(padding=True, padding_side="left")]
    truncations = [dict(), dict(truncation=True, max_length=12), dict(truncation="longest_first", max_length=9),
                   dict(truncation="only_first", max_length=14), dict(truncation="only_second", max_length=14),
                   dict(truncation=True, max_length=10, stride=3, return_overflowing_tokens=True),
                   dict(truncation="only_first", max_length=12, stride=2, return_overflowing_tokens=True),
                   dict(max_length=8)]
    for pad, trunc, special in itertools.product(paddings, truncations, (True, False)):
        if "max_length" in pad and "max_length" in trunc:
            pad = {k: v for k, v in pad.items() if k != "max_length"}
        if pad.get("pad_to_multiple_of") and trunc.get("max_length") and trunc["max_length"] % 8:
            continue  # transformers refuses that mix; tested in the bad-input tests
        yield {**pad, **trunc, "add_special_tokens": special}


GRID = list(_option_grid())


@pytest.mark.parametrize("with_pair", [False, True])
def test_option_combinations(pair, with_pair):
    ours, reference = pair
    for padded_tokenizer in (ours, reference):
        if padded_tokenizer.pad_token is None:  # GPT-2: padding needs a pad token
            padded_tokenizer.pad_token = padded_tokenizer.eos_token
    firsts = TEXTS
    seconds = TEXTS[::-1] if with_pair else None
    for options in GRID:
        if options.get("truncation") == "only_second" and not with_pair:
            continue
        assert_same(ours, reference, firsts, seconds, **ALL_FIELDS, **options)
    # one text, return_tensors and is_split_into_words
    for tensors in (None, "np", "pt"):
        assert_same(ours, reference, firsts, seconds, padding=True, return_tensors=tensors, **ALL_FIELDS)
        assert_same(ours, reference, firsts[3], seconds[3] if seconds else None, return_tensors=tensors)
    words = [t.split() for t in firsts]
    assert_same(ours, reference, words, [w[::-1] for w in words] if with_pair else None, is_split_into_words=True,
                padding=True, **ALL_FIELDS)
    assert_same(ours, reference, words[0], is_split_into_words=True, **ALL_FIELDS)
    for options in (dict(return_attention_mask=False), dict(return_token_type_ids=False),
                    dict(truncation=True, max_length=6, return_overflowing_tokens=True, stride=1,
                         padding="max_length")):
        assert_same(ours, reference, firsts, seconds, **options)


@pytest.mark.parametrize("name", list(CASES))
def test_added_tokens(name, trained_folder):
    ours, reference = _load(name, trained_folder)
    for tok in (ours, reference):
        tok.add_tokens(["hugging face", "🤗🤗", "xyz"])
        tok.add_special_tokens({"additional_special_tokens": ["<|special|>"]})
    texts = ["I love hugging face and 🤗🤗!", "xyz<|special|>xyz", " xyz <|special|> tail"]
    assert_same(ours, reference, texts, **ALL_FIELDS)
    ids = reference(texts)["input_ids"]
    for skip in (False, True):
        assert ours.batch_decode(ids, skip_special_tokens=skip) == reference.batch_decode(ids, skip_special_tokens=skip)
    assert len(ours) == len(reference)
    assert ours.get_vocab() == reference.get_vocab()
