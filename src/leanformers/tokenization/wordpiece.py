"""The BERT family's stages: BertNormalizer, BertPreTokenizer, the WordPiece model
and decoder, and BertProcessing.

The character classes (what is a control character, whitespace, punctuation, a CJK
ideograph) are those the reference applies, which for punctuation follow an older
Unicode release than Python's `unicodedata`; the tables below were checked against
the reference for every code point (tests/tokenization/test_wordpiece_charclasses.py).
"""

import re
import unicodedata

from .components import Memo, NamedStage, RegexSplit, TemplateProcessing, lower_char
from .whitespace import WHITESPACE, WHITESPACE_CLASS

# Punctuation as the reference's BertPreTokenizer sees it: ASCII punctuation plus the
# Unicode P* categories of its (older) tables. Ranges of hex code points.
_PUNCTUATION_RANGES = (
    "21-2f 3a-40 5b-60 7b-7e a1 a7 ab b6-b7 bb bf 37e 387 55a-55f 589-58a 5be 5c0 5c3 5c6 5f3-5f4 "
    "609-60a 60c-60d 61b 61e-61f 66a-66d 6d4 700-70d 7f7-7f9 830-83e 85e 964-965 970 af0 df4 e4f "
    "e5a-e5b f04-f12 f14 f3a-f3d f85 fd0-fd4 fd9-fda 104a-104f 10fb 1360-1368 1400 166d-166e "
    "169b-169c 16eb-16ed 1735-1736 17d4-17d6 17d8-17da 1800-180a 1944-1945 1a1e-1a1f 1aa0-1aa6 "
    "1aa8-1aad 1b5a-1b60 1bfc-1bff 1c3b-1c3f 1c7e-1c7f 1cc0-1cc7 1cd3 2010-2027 2030-2043 2045-2051 "
    "2053-205e 207d-207e 208d-208e 2308-230b 2329-232a 2768-2775 27c5-27c6 27e6-27ef 2983-2998 "
    "29d8-29db 29fc-29fd 2cf9-2cfc 2cfe-2cff 2d70 2e00-2e2e 2e30-2e42 3001-3003 3008-3011 3014-301f "
    "3030 303d 30a0 30fb a4fe-a4ff a60d-a60f a673 a67e a6f2-a6f7 a874-a877 a8ce-a8cf a8f8-a8fa a8fc "
    "a92e-a92f a95f a9c1-a9cd a9de-a9df aa5c-aa5f aade-aadf aaf0-aaf1 abeb fd3e-fd3f fe10-fe19 "
    "fe30-fe52 fe54-fe61 fe63 fe68 fe6a-fe6b ff01-ff03 ff05-ff0a ff0c-ff0f ff1a-ff1b ff1f-ff20 "
    "ff3b-ff3d ff3f ff5b ff5d ff5f-ff65 10100-10102 1039f 103d0 1056f 10857 1091f 1093f 10a50-10a58 "
    "10a7f 10af0-10af6 10b39-10b3f 10b99-10b9c 11047-1104d 110bb-110bc 110be-110c1 11140-11143 "
    "11174-11175 111c5-111c9 111cd 111db 111dd-111df 11238-1123d 112a9 114c6 115c1-115d7 11641-11643 "
    "1173c-1173e 12470-12474 16a6e-16a6f 16af5 16b37-16b3b 16b44 1bc9f 1da87-1da8b"
)
# CJK ideograph blocks that BERT surrounds with spaces
_CJK_RANGES = "3400-4dbf 4e00-9fff f900-faff 20000-2a6df 2a700-2b81f 2b920-2ceaf 2f800-2fa1f"
# format characters newer than the reference's tables, which it therefore keeps
_KEPT_FORMAT_CHARS = frozenset("\u0890\u0891\u08e2\U000110cd" + "".join(map(chr, range(0x13430, 0x13439))))
# combining marks (Mn) in Python's tables that the reference's accent stripping keeps,
# and one it strips that Python calls Mc
_KEPT_MARKS = (
    "7fd 898-89f 8ca-8e1 9fe afa-aff b55 c04 c3c d00 d3b-d3c d81 eba 180f 1885-1886 1abf-1ace 1df6-1dfb a82c a8c5 "
    "a8ff a9bd 10d24-10d27 10eab-10eac 10f46-10f50 10f82-10f85 11070 11073-11074 110c2 111c9 111cf 1123e 1133b "
    "11438-1143f 11442-11444 11446 1145e 1182f-11837 11839-1183a 1193b-1193c 1193e 11943 119d4-119d7 119da-119db "
    "119e0 11a01-11a0a 11a33-11a38 11a3b-11a3e 11a47 11a51-11a56 11a59-11a5b 11a8a-11a96 11a98-11a99 11c30-11c36 "
    "11c38-11c3d 11c3f 11c92-11ca7 11caa-11cb0 11cb2-11cb3 11cb5-11cb6 11d31-11d36 11d3a 11d3c-11d3d 11d3f-11d45 "
    "11d47 11d90-11d91 11d95 11d97 11ef3-11ef4 16f4f 16fe4 1cf00-1cf2d 1cf30-1cf46 1e000-1e006 1e008-1e018 "
    "1e01b-1e021 1e023-1e024 1e026-1e02a 1e130-1e136 1e2ae 1e2ec-1e2ef 1e944-1e94a"
)
_DROPPED_MARKS = frozenset("\u1734")
_NOT_DECOMPOSED = frozenset("\U00011938")  # its decomposition is newer than the reference's tables


def _char_class(ranges):
    """Regex character-class body for "a-b c ..." hex ranges."""
    parts = []
    for item in ranges.split():
        lo, _, hi = item.partition("-")
        lo_c = re.escape(chr(int(lo, 16)))
        parts.append(lo_c if not hi else f"{lo_c}-{re.escape(chr(int(hi, 16)))}")
    return "".join(parts)


_CJK = re.compile(f"[{_char_class(_CJK_RANGES)}]")
_KEPT_MARK_CHARS = frozenset(
    chr(cp) for item in _KEPT_MARKS.split() for lo, _, hi in [item.partition("-")]
    for cp in range(int(lo, 16), int(hi or lo, 16) + 1))


def _is_stripped_mark(c):
    return (unicodedata.category(c) == "Mn" and c not in _KEPT_MARK_CHARS) or c in _DROPPED_MARKS
# control characters removed by clean_text on ASCII text (tab, newline, return are whitespace)
_ASCII_CONTROL = re.compile("[\x00-\x1f\x7f]")
_ASCII_CLEAN = {**{c: None for c in range(32) if c not in (9, 10, 13)}, 0x7F: None, 9: " ", 10: " ", 13: " "}
# whitespace that clean_text maps to a space; the rest of White_Space (\x0b, \x0c, \x85) is control, so removed
_CLEAN_SPACES = frozenset(c for c in WHITESPACE if c in "\t\n\r" or unicodedata.category(c) != "Cc")


class BertNormalizer:
    """clean_text: drop control characters, turn whitespace into spaces;
    handle_chinese_chars: put spaces around CJK ideographs; strip_accents (None: follow
    lowercase): NFD then drop combining marks; lowercase: per character."""

    def __init__(self, clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True):
        self.clean_text = clean_text
        self.handle_chinese_chars = handle_chinese_chars
        self.strip_accents = strip_accents
        self.lowercase = lowercase
        self._strip = strip_accents if strip_accents is not None else lowercase
        # a str.translate table: code point -> what it becomes, filled on demand
        self._table = Memo(self._map_code_point)

    def _map_code_point(self, code_point):
        return self._map_char(chr(code_point))

    def normalize_str(self, text):
        if text.isascii():  # no accents, no CJK, one lower-casing rule: the common case
            if self.clean_text and _ASCII_CONTROL.search(text):
                text = text.translate(_ASCII_CLEAN)
            return text.lower() if self.lowercase else text
        return text.translate(self._table)  # the per-character loop runs in C

    def normalize_aligned(self, text):
        if text.isascii() and not (self.clean_text and _ASCII_CONTROL.search(text)):
            return (text.lower() if self.lowercase else text), None
        table = self._table
        out, align = [], []
        for i, c in enumerate(text):
            mapped = table[ord(c)]
            out.append(mapped)
            if len(mapped) == 1:
                align.append((i, i + 1))
            elif mapped:
                align += [(i, i + 1)] * len(mapped)
        return "".join(out), align

    def _map_char(self, c):
        if self.clean_text:
            if c == "\x00" or c == "\ufffd":
                return ""
            if c in _CLEAN_SPACES:
                return " "
            if unicodedata.category(c) in ("Cc", "Cf", "Co") and c not in _KEPT_FORMAT_CHARS:
                return ""
        if self.handle_chinese_chars and _CJK.match(c):
            c = f" {c} "
        if self._strip:
            decomposed = c if c in _NOT_DECOMPOSED else unicodedata.normalize("NFD", c)
            c = "".join(ch for ch in decomposed if not _is_stripped_mark(ch))
        if self.lowercase:
            c = "".join(map(lower_char, c))
        return c

    def to_dict(self):
        return {"type": "BertNormalizer", "clean_text": self.clean_text,
                "handle_chinese_chars": self.handle_chinese_chars,
                "strip_accents": self.strip_accents, "lowercase": self.lowercase}


class BertPreTokenizer(NamedStage):
    """Split on whitespace (dropped) and punctuation (each mark its own word)."""

    _PUNCT = _char_class(_PUNCTUATION_RANGES)
    _SPACE = WHITESPACE_CLASS
    _WORDS = re.compile(f"[^{_SPACE}{_PUNCT}]+|[{_PUNCT}]")
    # the same rule for ASCII text, with small character classes: about 3x faster
    _ASCII_WORDS = re.compile(r"[^\t-\r !-/:-@\[-`{-~]+|[!-/:-@\[-`{-~]")

    def split(self, text):
        return (self._ASCII_WORDS if text.isascii() else self._WORDS).findall(text)

    def split_aligned(self, text):
        return [(m.group(), m.start(), m.end(), None) for m in self._WORDS.finditer(text)]


class WordPiece:
    """Greedy longest-match-first sub-words; continuation pieces carry `##`. A word
    longer than `max_input_chars_per_word`, or with a part no piece covers, is unk."""

    def __init__(self, vocab, unk_token="[UNK]", continuing_subword_prefix="##", max_input_chars_per_word=100):
        self.vocab = vocab  # token -> id
        self.unk_token = unk_token
        self.continuing_subword_prefix = continuing_subword_prefix
        self.max_input_chars_per_word = max_input_chars_per_word
        self._id_to_token = {i: t for t, i in vocab.items()}

    def tokenize(self, word):
        vocab = self.vocab
        n = len(word)
        token_id = vocab.get(word)
        if token_id is not None and n <= self.max_input_chars_per_word:  # whole word: the common case
            return (token_id,), (word,), ((0, n),)
        if n > self.max_input_chars_per_word:
            return self._unk(n)
        prefix = self.continuing_subword_prefix
        ids, tokens, offsets = [], [], []
        start = 0
        while start < n:
            end = n
            while end > start:
                piece = word[start:end] if start == 0 else prefix + word[start:end]
                token_id = vocab.get(piece)
                if token_id is not None:
                    break
                end -= 1
            else:
                return self._unk(n)
            ids.append(token_id)
            tokens.append(piece)
            offsets.append((start, end))
            start = end
        return tuple(ids), tuple(tokens), tuple(offsets)

    def _unk(self, n):
        unk_id = self.vocab.get(self.unk_token)
        if unk_id is None:
            raise ValueError(f"WordPiece: the unk_token {self.unk_token!r} is not in the vocabulary; "
                             "add it to vocab.txt or set unk_token to a token of the vocabulary.")
        return (unk_id,), (self.unk_token,), ((0, n),)

    def token_to_id(self, token):
        return self.vocab.get(token)

    def id_to_token(self, token_id):
        return self._id_to_token.get(token_id)

    def get_vocab(self):
        return self.vocab

    def vocab_size(self):
        return len(self.vocab)

    def to_dict(self):
        return {"type": "WordPiece", "unk_token": self.unk_token,
                "continuing_subword_prefix": self.continuing_subword_prefix,
                "max_input_chars_per_word": self.max_input_chars_per_word, "vocab": self.vocab}


def cleanup_decoded(text):
    """Re-attach punctuation and English contractions that tokenization spaced out."""
    return (text.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
            .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" do not", " don't")
            .replace(" 's", "'s").replace(" 've", "'ve").replace(" 're", "'re"))


class WordPieceDecoder:
    """Joins tokens with spaces, gluing `##` continuations to the previous token;
    `cleanup` applies `cleanup_decoded` to each token as it is joined."""

    def __init__(self, prefix="##", cleanup=True):
        self.prefix = prefix
        self.cleanup = cleanup

    def decode(self, tokens):
        return "".join(self.decode_chain(tokens))

    def decode_chain(self, tokens):
        """One step of a decoder Sequence: each token as it is joined (its space or prefix settled)."""
        prefix, n = self.prefix, len(self.prefix)
        out = []
        for i, token in enumerate(tokens):
            if i:
                token = token[n:] if token.startswith(prefix) else " " + token
            out.append(cleanup_decoded(token) if self.cleanup else token)
        return out

    def to_dict(self):
        return {"type": "WordPiece", "prefix": self.prefix, "cleanup": self.cleanup}


class BertProcessing(TemplateProcessing):
    """[CLS] A [SEP] (B [SEP]), type ids 0 for A and 1 for B."""

    def __init__(self, sep=("[SEP]", 102), cls=("[CLS]", 101)):
        self.sep, self.cls = tuple(sep), tuple(cls)
        super().__init__(
            single=[(cls[0], 0), ("$A", 0), (sep[0], 0)],
            pair=[(cls[0], 0), ("$A", 0), (sep[0], 0), ("$B", 1), (sep[0], 1)],
            special_tokens={cls[0]: ([cls[1]], [cls[0]]), sep[0]: ([sep[1]], [sep[0]])})

    def to_dict(self):
        return {"type": "BertProcessing", "sep": list(self.sep), "cls": list(self.cls)}


class Punctuation(RegexSplit):
    """Splits at each punctuation character (the reference's table, BERT's), with `behavior`."""

    def __init__(self, behavior="isolated"):
        super().__init__(f"[{BertPreTokenizer._PUNCT}]", behavior=behavior)

    def to_dict(self):
        names = {"removed": "Removed", "isolated": "Isolated", "merged_with_previous": "MergedWithPrevious",
                 "merged_with_next": "MergedWithNext", "contiguous": "Contiguous"}
        return {"type": "Punctuation", "behavior": names[self.behavior]}
