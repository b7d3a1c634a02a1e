"""The generated character classes (tools/gen_bpe_unicode_classes.py) and lower-casing agree with the
reference code point by code point: the Whitespace pre-tokenizer's word characters, what StripAccents
removes, what Lowercase makes of each character. Python's own \\w, unicodedata and str.lower disagree
with it (marks, newer Unicode), which split Devanagari words at their vowel signs."""

import pytest

from leanformers.tokenization.components import StripAccents, Whitespace

tokenizers = pytest.importorskip("tokenizers")

CODE_POINTS = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000 and (c < 0x10000 or c % 5 == 0)]


def test_whitespace_pre_tokenizer_splits_every_code_point_as_the_reference():
    reference = tokenizers.pre_tokenizers.Whitespace().pre_tokenize_str
    ours = Whitespace().split_aligned
    wrong = [hex(c) for c in CODE_POINTS
             if [(w, s, e) for w, s, e, _ in ours(f"a{chr(c)}b")] != [(w, s, e) for w, (s, e) in
                                                                      reference(f"a{chr(c)}b")]]
    assert wrong == []


def test_strip_accents_removes_the_marks_the_reference_removes():
    reference = tokenizers.normalizers.StripAccents().normalize_str
    ours = StripAccents().normalize_str
    wrong = [hex(c) for c in CODE_POINTS if ours(chr(c)) != reference(chr(c))]
    assert wrong == []
    assert ours("हिन्दी") == reference("हिन्दी") != "हिन्दी"  # its vowel signs and virama are marks


def test_lowercase_maps_every_code_point_as_the_reference():
    # every code point, alone and inside a text (the whole-text fast path), aligned too
    from leanformers.tokenization.components import Lowercase

    reference = tokenizers.normalizers.Lowercase().normalize_str
    ours = Lowercase()
    everything = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    wrong = [hex(ord(c)) for c in everything if ours.normalize_str(c) != reference(c)]
    assert wrong == []
    for c in ("\ua7da", "\U00010d50", "Σ"):
        text = f"Ab {c} Cd"
        assert ours.normalize_str(text) == reference(text) == ours.normalize_aligned(text)[0]
