"""BERT's character classes, code point by code point, against the reference's
BertNormalizer and BertPreTokenizer: control characters, whitespace, punctuation,
CJK ideographs, accents and lower-casing (the reference's Unicode tables are older
than Python's, so these are checked exhaustively on the planes that are in use)."""

import pytest
from tokenizers import normalizers, pre_tokenizers

from leanformers.tokenization.wordpiece import BertNormalizer, BertPreTokenizer

CODE_POINTS = [cp for cp in list(range(0x30000)) + list(range(0xE0000, 0xE0200)) + list(range(0xF0000, 0x110000, 97))
               if not 0xD800 <= cp <= 0xDFFF]
CHUNK = 512


def chunks():
    for i in range(0, len(CODE_POINTS), CHUNK):
        yield "".join(f"a{chr(cp)}b " for cp in CODE_POINTS[i:i + CHUNK])


@pytest.mark.parametrize("flags", [
    dict(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True),
    dict(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=False),
    dict(clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False),
])
def test_normalizer_every_code_point(flags):
    ref = normalizers.BertNormalizer(**flags)
    ours = BertNormalizer(**flags)
    for text in chunks():
        expected = ref.normalize_str(text)
        got = ours.normalize_str(text)
        if got != expected:
            for piece in text.split(" "):
                assert ours.normalize_str(piece) == ref.normalize_str(piece), (piece, hex(ord(piece[1])))


def test_pre_tokenizer_every_code_point():
    ref = pre_tokenizers.BertPreTokenizer()
    ours = BertPreTokenizer()
    for text in chunks():
        expected = [piece for piece, _ in ref.pre_tokenize_str(text)]
        if ours.split(text) != expected:
            for piece in text.split(" "):
                assert ours.split(piece) == [p for p, _ in ref.pre_tokenize_str(piece)], hex(ord(piece[1]))
        aligned = [(piece, start, end) for piece, start, end, _ in ours.split_aligned(text)]
        assert aligned == [(piece, start, end) for piece, (start, end) in ref.pre_tokenize_str(text)]
