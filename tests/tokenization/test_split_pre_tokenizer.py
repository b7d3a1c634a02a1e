"""The Split pre-tokenizer of tokenizer.json cuts text as the reference does, for real split patterns and
every behaviour, on ASCII text and on any text: as its `reference_twin` (Python's `re`, the reference's
classes, astral stand-ins) where it has one, else as the pattern itself in `regex`. Hypothesis writes
the texts; the expected cuts are the reference's."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leanformers.tokenization.components import SPLIT_BEHAVIORS, RegexSplit, reference_twin
from leanformers.tokenization.tokenizer_json import read_component

tokenizers = pytest.importorskip("tokenizers")

LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
          r"\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
GPT4O = (r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
         r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
         r"\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+")
PATTERNS = {"llama-3": LLAMA3, "qwen2": QWEN2, "gpt-4o": GPT4O, "numbers": r"\p{N}+", "spaces": r"\s+",
            "not-spaces": r"\S+", "letters-or-marks": r"[\p{L}']+|[.,!?]"}
# \p{Lu}, \p{M} and the like follow `regex`'s Unicode version, newer than the reference's (U+3D000 is
# a letter for one and not the other), so these are compared on ASCII text only
NEWER_UNICODE = ("gpt-4o",)
ASCII_TEXT = st.text(st.characters(max_codepoint=127), max_size=40)
ANY_TEXT = st.text(st.one_of(st.characters(max_codepoint=127), st.characters(exclude_categories=("Cs",))),
                   max_size=30)


def _pair(pattern, behavior, invert):
    spec = {"type": "Split", "pattern": {"Regex": pattern}, "behavior": behavior, "invert": invert}
    reference = tokenizers.pre_tokenizers.Split(tokenizers.Regex(pattern), SPLIT_BEHAVIORS[behavior],
                                                   invert=invert)
    return read_component("pre_tokenizer", spec), reference


def _check(ours, reference, text):
    expected = reference.pre_tokenize_str(text)
    assert [(w, (a, b)) for w, a, b, _ in ours.split_aligned(text)] == expected, text
    assert ours.split(text) == [w for w, _ in expected], text


@pytest.mark.parametrize("invert", [False, True])
@pytest.mark.parametrize("behavior", sorted(SPLIT_BEHAVIORS))
@pytest.mark.parametrize("name", sorted(PATTERNS))
@settings(max_examples=150, deadline=None)
@given(ascii_text=ASCII_TEXT, any_text=ANY_TEXT)
def test_split_cuts_as_the_reference(name, behavior, invert, ascii_text, any_text):
    ours, reference = _pair(PATTERNS[name], behavior, invert)
    _check(ours, reference, ascii_text)
    if name not in NEWER_UNICODE:
        _check(ours, reference, any_text)


def test_the_real_patterns_get_a_twin_and_the_others_none():
    for pattern in (LLAMA3, QWEN2, r"\p{N}+", r"\s+", r"\S+", r"[\p{L}']+|[.,!?]"):
        assert reference_twin(pattern) is not None, pattern
    assert read_component("pre_tokenizer", {"type": "Split", "pattern": {"Regex": LLAMA3}, "behavior": "Isolated",
                                            "invert": False}).stand_ins is not None
    # other properties, nested classes, \w, \d, $ (Python's also matches before a last newline), named
    # groups, an astral character (it would meet the stand-ins)
    for pattern in (GPT4O, r"[[:alpha:]]+", r"\w+", r"\d+", r"\s+$", r"(?<word>\p{L}+)", r"\p{Lu}", "\U0001F917+"):
        assert reference_twin(pattern) is None, pattern
    # the stand-ins are characters the pattern does not hold
    _, stand_ins = reference_twin("(?i:a|b)\\p{L}+|0|\ue000")
    assert (stand_ins.letter, stand_ins.number, stand_ins.other) == ("c", "1", "\ue001")


def test_a_letter_newer_than_the_reference_and_astral_text_cut_as_there():
    # U+3D000 is a letter for `regex` (Unicode 17), not yet for the reference
    ours, reference = _pair(LLAMA3, "Isolated", False)
    for text in ("\U0003d000:ab \U0003d000", "x\U0001d400y 12\U0001d7ce3 \U0001F917\U0001F917!", "'\U00010400s"):
        _check(ours, reference, text)


@pytest.mark.parametrize("text", ["it'S", "it\u017fs '\u017f", "'\u212a 'K", "we'LL 'Ll"])
def test_contractions_fold_case_as_in_the_reference(text):
    ours, reference = _pair(LLAMA3, "Isolated", False)
    _check(ours, reference, text)


@pytest.mark.parametrize("text", ["a\n", "a \n", "ab\n\n", "x y\n"])
def test_a_dollar_matches_as_in_the_reference(text):
    ours, reference = _pair(r"\s+$|\p{L}+", "Isolated", False)  # no twin: `regex` runs it
    _check(ours, reference, text)
