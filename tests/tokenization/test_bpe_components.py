"""Byte-level BPE building blocks against `tokenizers` on the same files: the byte table,
the GPT-2 split (all three ByteLevel options), BPE merges with offsets, byte-level
decoding, and the errors for bad vocab.json / merges.txt / tokenizer.json models."""

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leanformers.tokenization.bpe import BPE, BPEError, read_merges_txt, read_vocab_json
from leanformers.tokenization.byte_level import ByteLevel, bytes_to_unicode, decode_byte_tokens, to_byte_chars

tokenizers = pytest.importorskip("tokenizers")
from tokenizers import decoders, models, pre_tokenizers  # noqa: E402
from support.paths import SHARED_DATA

DATA = SHARED_DATA
VOCABS = DATA / "vocab"

# text that exercises the split rules: contractions, digit runs, emoji (multi-byte, ZWJ),
# combining marks, CJK, whitespace runs of every kind, leading spaces
FRAGMENTS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", " ", "  ", "   \n", "\n\n", "\t", "\u00a0", "\u3000",
             "\u2009", "123", " 4567", "3.14", "🤗", "👩‍👩‍👧", "🇫🇷", "e\u0301", "\u0301", "中文", "日本語", "한국어",
             "Hello", " world", "don't", "I'M", "...", "!?", "<s>", "ß", "İ", "\x00", "\r\n", "\u200b", "\ufeff"]
unicode_text = st.lists(st.one_of(st.text(max_size=6), st.sampled_from(FRAGMENTS)), max_size=12).map("".join)


def test_byte_table_is_a_bijection_onto_the_reference_alphabet():
    table = bytes_to_unicode()
    assert sorted(table) == list(range(256))
    assert set(table.values()) == set(pre_tokenizers.ByteLevel.alphabet())
    assert table[ord(" ")] == "Ġ" and table[ord("\n")] == "Ċ"


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_byte_chars_match_the_reference(text):
    reference = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False).pre_tokenize_str(text)
    assert to_byte_chars(text) == "".join(piece for piece, _ in reference)


@pytest.mark.parametrize("add_prefix_space", [False, True])
@pytest.mark.parametrize("use_regex", [True, False])
@given(text=unicode_text)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_pre_tokenizer_matches_the_reference(text, add_prefix_space, use_regex):
    reference = pre_tokenizers.ByteLevel(add_prefix_space=add_prefix_space, use_regex=use_regex)
    ours = ByteLevel(add_prefix_space=add_prefix_space, use_regex=use_regex)
    assert ours.pre_tokenize_str(text) == reference.pre_tokenize_str(text)


def _encode_raw(model, pre_tokenizer, text):
    """ids, tokens and offsets of `text` with our pre-tokenizer and model, no special tokens."""
    ids, tokens, offsets = [], [], []
    for piece, start, _, align in pre_tokenizer.split_aligned(text):
        piece_ids, piece_tokens, spans = model.tokenize(piece)
        ids += piece_ids
        tokens += piece_tokens
        for a, b in spans:
            offsets.append((align[a][0], align[b - 1][1]) if align else (start + a, start + b))
    return ids, tokens, offsets


@pytest.fixture(scope="module", params=["gpt2", "roberta-base"])
def model_pair(request):
    folder = VOCABS / request.param
    if not (folder / "vocab.json").is_file():
        pytest.skip(f"real vocabularies not found in {VOCABS} (see shared/data/README.md)")
    vocab, merges = str(folder / "vocab.json"), str(folder / "merges.txt")
    return BPE.from_files(vocab, merges, byte_level=True), models.BPE.from_file(vocab, merges)


@pytest.mark.parametrize("add_prefix_space", [False, True])
@given(text=unicode_text)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_bpe_model_matches_the_reference(model_pair, add_prefix_space, text):
    ours, reference_model = model_pair
    reference = tokenizers.Tokenizer(reference_model)
    reference.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=add_prefix_space)
    expected = reference.encode(text)
    ids, tokens, offsets = _encode_raw(ours, ByteLevel(add_prefix_space=add_prefix_space), text)
    assert (ids, tokens, offsets) == (expected.ids, expected.tokens, expected.offsets)


@pytest.fixture(scope="module")
def gpt2_tokens():
    if not (VOCABS / "gpt2" / "vocab.json").is_file():
        pytest.skip(f"real vocabularies not found in {VOCABS} (see shared/data/README.md)")
    vocab = read_vocab_json(VOCABS / "gpt2" / "vocab.json")
    return {i: t for t, i in vocab.items()}


@given(ids=st.lists(st.integers(0, 50256), max_size=20))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_byte_level_decoding_matches_the_reference(gpt2_tokens, ids):
    # random ids give arbitrary byte strings, invalid UTF-8 included
    tokens = [gpt2_tokens[i] for i in ids]
    assert decode_byte_tokens(tokens) == decoders.ByteLevel().decode(tokens)


def test_unknown_characters_follow_the_reference(tmp_path):
    # a vocabulary without the whole byte alphabet: unknown characters become unk_token,
    # or are dropped without one
    vocab = {"<unk>": 0, "a": 1, "b": 2, "ab": 3, "Ġ": 4}
    for unk in ("<unk>", None):
        ours = BPE(vocab, [("a", "b")], unk_token=unk, byte_level=True)
        reference = tokenizers.Tokenizer(models.BPE(vocab, [("a", "b")], unk_token=unk))
        reference.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
        for text in ["ab", "axb", "a b", "xab", "abx"]:
            expected = reference.encode(text)
            ids, tokens, _ = _encode_raw(ours, ByteLevel(add_prefix_space=False, use_regex=False), text)
            assert (ids, tokens) == (expected.ids, expected.tokens), text


# ---- bad input -----------------------------------------------------------------------

def test_malformed_merges_line_names_file_and_line(tmp_path):
    path = tmp_path / "merges.txt"
    path.write_text("#version: 0.2\nĠ t\nĠ a b\n", encoding="utf-8")
    with pytest.raises(BPEError, match=r"Line 3 of the BPE merges file .*merges.txt.*two tokens separated by one space"):
        read_merges_txt(path)


def test_vocab_json_that_is_not_an_object(tmp_path):
    path = tmp_path / "vocab.json"
    path.write_text(json.dumps(["a", "b"]), encoding="utf-8")
    with pytest.raises(BPEError, match=r"vocab.json.* is a JSON list, not an object"):
        read_vocab_json(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(BPEError, match=r"is not valid JSON"):
        read_vocab_json(path)
    path.write_text(json.dumps({"a": "one"}), encoding="utf-8")
    with pytest.raises(BPEError, match=r"gives the token 'a' the id 'one'"):
        read_vocab_json(path)


def test_merge_token_missing_from_vocab(tmp_path):
    (tmp_path / "vocab.json").write_text(json.dumps({"a": 0, "b": 1}), encoding="utf-8")
    (tmp_path / "merges.txt").write_text("#version: 0.2\na b\n", encoding="utf-8")
    with pytest.raises(BPEError, match=r"needs the token 'ab', which is not in the vocabulary"):
        BPE.from_files(tmp_path / "vocab.json", tmp_path / "merges.txt")


def test_missing_vocab_file(tmp_path):
    with pytest.raises(BPEError, match=r"Cannot read the BPE vocabulary file"):
        read_vocab_json(tmp_path / "vocab.json")


def test_unsupported_bpe_option():
    with pytest.raises(BPEError, match=r"does not support.*dropout"):
        BPE.from_dict({"type": "BPE", "vocab": {"a": 0}, "merges": [], "dropout": 0.1})
