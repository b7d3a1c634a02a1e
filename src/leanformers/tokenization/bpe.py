"""Byte-level BPE, the tokenizer of GPT-2, RoBERTa and BART.

The hard trick, once. BPE merges pairs of *symbols*, and GPT-2 wants the symbols
to be the 256 byte values, so that any text, in any script, encodes without an
unknown token. But merges.txt and vocab.json are text files, and some bytes (the
space, control bytes, the lone halves of UTF-8 sequences) are invisible or not
valid text on their own. So every byte is given a stand-in character:

    the 188 bytes that print as themselves in Latin-1 ('!'..'~', '¡'..'¬', '®'..'ÿ')
    stand for themselves; the other 68 (space, controls, ...) get chr(256 + n), in
    byte order: space 0x20 -> 'Ġ', newline 0x0A -> 'Ċ'.

A piece of text is encoded to UTF-8 and each byte is replaced by its stand-in;
"héllo" becomes "hÃ©llo" (é is the two bytes C3 A9). The vocabulary and the
merges are written in these stand-ins, and decoding maps them back to bytes.

Before BPE the text is cut into pieces by a regex (contractions, runs of letters,
of digits, of other symbols, each with at most one leading space, and whitespace
runs that leave their last space to the next word), so merges never cross words
and a word's ids depend only on the word: that is what makes a per-word cache of
ids valid, and the cache is where the speed comes from (a corpus has few distinct
words). The text of each piece, not its byte form, is the cache key, so a hit
costs one dict look-up and no byte conversion at all.

Offsets are counted in characters of the original text. A token that holds part
of a multi-byte character gets the whole character's span, and the space that
`add_prefix_space` invents is given the span of the character it precedes.
"""

import json
import os
import re

from . import _unicode_classes
from .base import _write_atomic
from .components import TemplateProcessing

# ---------------------------------------------------------------------------
# the byte <-> character table


def bytes_to_unicode():
    """Return {byte value: stand-in character} for all 256 bytes (see the module docstring)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table = {b: chr(b) for b in printable}
    n = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + n)
            n += 1
    return table


BYTE_TO_CHAR = bytes_to_unicode()
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}
SPACE_CHAR = BYTE_TO_CHAR[ord(" ")]  # 'Ġ'


def to_byte_chars(text):
    """'héllo' -> 'hÃ©llo': the stand-in characters of the UTF-8 bytes of `text`."""
    # decoding as latin-1 gives one character per byte, with the byte's value as its code
    # point, which BYTE_TO_CHAR (a valid str.translate table) maps to the stand-in
    return text.encode("utf-8").decode("latin-1").translate(BYTE_TO_CHAR)


# ---------------------------------------------------------------------------
# pre-tokenization

def _gpt2_pattern(letters, numbers, space):
    """GPT-2's split: contractions, then letters, numbers or other symbols, each with an
    optional leading space, then whitespace; a whitespace run followed by a word leaves
    its last space to that word (the lookahead), so " world" keeps its space."""
    return re.compile(rf"'s|'t|'re|'ve|'m|'ll|'d| ?[{letters}]+| ?[{numbers}]+| ?[^{space}{letters}{numbers}]+"
                      rf"|[{space}]+(?![^{space}])|[{space}]+")


# The reference writes the pattern with \p{L}, \p{N} and \s, whose members change with the
# Unicode version; _unicode_classes holds them as the reference sees them, so that new
# letters split the same way. The regex engine looks a character up in a class of
# code points below U+10000 in one step, but tests astral ranges one by one, so:
# ASCII text (the common case) takes tiny classes, other text the BMP classes, and
# astral characters (emoji, rare CJK) are first replaced by a BMP stand-in of their class.
_U = _unicode_classes
GPT2_PATTERN_ASCII = _gpt2_pattern("A-Za-z", "0-9", r"\t\n\x0b\x0c\r ")
GPT2_PATTERN_BMP = _gpt2_pattern(_U.LETTERS, _U.NUMBERS, _U.WHITESPACE)
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_ASTRAL_LETTER = re.compile(f"[{_U.LETTERS_ASTRAL}]")
_ASTRAL_NUMBER = re.compile(f"[{_U.NUMBERS_ASTRAL}]")
_astral_stand_ins = {}


def _astral_stand_in(match):
    # 'a' for a letter (no contraction starts with it), '0' for a number, a private-use
    # character (a symbol) for the rest; no astral character is whitespace
    c = match.group()
    stand_in = _astral_stand_ins.get(c)
    if stand_in is None:
        stand_in = "a" if _ASTRAL_LETTER.match(c) else "0" if _ASTRAL_NUMBER.match(c) else "\ue000"
        _astral_stand_ins[c] = stand_in
    return stand_in


def gpt2_split(text):
    """Cut text into GPT-2 pieces; the pieces concatenate back to `text`."""
    if text.isascii():
        return GPT2_PATTERN_ASCII.findall(text)
    stand_in, n_astral = _ASTRAL.subn(_astral_stand_in, text)
    if not n_astral:
        return GPT2_PATTERN_BMP.findall(text)
    pieces, pos = [], 0  # the stand-ins keep every length: cut `text` at the same places
    for piece in GPT2_PATTERN_BMP.findall(stand_in):
        pieces.append(text[pos:pos + len(piece)])
        pos += len(piece)
    return pieces


# Rust's char::is_whitespace (the White_Space property): what trimming treats as space
_WHITESPACE = frozenset("\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000"
                        + "".join(map(chr, range(0x2000, 0x200B))))
_TRIM = _WHITESPACE | {SPACE_CHAR}


class ByteLevel:
    """Byte-level pre-tokenizer, post-processor and decoder (one type in tokenizer.json).

    As a pre-tokenizer it cuts text into pieces with `gpt2_split` (the whole text is one
    piece when `use_regex` is False), first putting a space before text that does not
    start with one when `add_prefix_space` is set, so the first word encodes like the
    others. The pieces are returned as text: the BPE model turns them into stand-in
    characters itself (`BPE.byte_level`), so the per-word cache is keyed by the text.

    As a post-processor it adds nothing and, with `trim_offsets`, moves offsets past
    spaces. As a decoder it maps stand-in characters back to bytes and decodes UTF-8.
    """

    def __init__(self, add_prefix_space=True, trim_offsets=True, use_regex=True):
        self.add_prefix_space = add_prefix_space
        self.trim_offsets = trim_offsets
        self.use_regex = use_regex

    # --- pre-tokenizer

    def split(self, text):
        if self.add_prefix_space and text and text[0] != " ":
            text = " " + text
        if not text:
            return []
        return gpt2_split(text) if self.use_regex else [text]

    def split_aligned(self, text):
        """[(piece, start, end, char_align)]: the piece's range in `text`; char_align is
        None except for a piece that starts with the invented prefix space, which is
        aligned with the character it stands before (as `tokenizers` aligns it)."""
        out, pos = [], 0
        for piece in self.split(text):
            if pos == 0 and piece[0] == " " and text[0] != " ":  # " hello" made from "hello"
                end = len(piece) - 1
                out.append((piece, 0, max(end, 1), [(0, 1)] + [(i, i + 1) for i in range(end)]))
            else:
                end = pos + len(piece)
                out.append((piece, pos, end, None))
            pos = end
        return out

    def pre_tokenize_str(self, text):
        """[(piece in stand-in characters, (start, end))], like `tokenizers`' method."""
        return [(to_byte_chars(piece), (start, end)) for piece, start, end, _ in self.split_aligned(text)]

    # --- post-processor

    def num_special_tokens_to_add(self, is_pair):
        return 0

    def process(self, a, b=None, add_special_tokens=True):
        out = _PLAIN_PAIR.process(a, b, add_special_tokens)
        if self.trim_offsets and out.offsets is not None:
            out.offsets = _trimmed(a, self.add_prefix_space) + (_trimmed(b, self.add_prefix_space) if b else [])
        return out

    # --- decoder

    def decode(self, tokens):
        return decode_byte_tokens(tokens)

    def to_dict(self):
        return {"type": "ByteLevel", "add_prefix_space": self.add_prefix_space,
                "trim_offsets": self.trim_offsets, "use_regex": self.use_regex}

    @classmethod
    def from_dict(cls, spec):
        return cls(spec.get("add_prefix_space", True), spec.get("trim_offsets", True), spec.get("use_regex", True))


def decode_byte_tokens(tokens):
    """Join tokens written in stand-in characters and decode the bytes as UTF-8.

    A token with a character outside the table ('<s>' is fine: its characters are all
    printable stand-ins; an added '🤗' is not) contributes its own UTF-8 bytes.
    Invalid UTF-8 becomes U+FFFD.
    """
    data = bytearray()
    for token in tokens:
        try:
            data += bytes([CHAR_TO_BYTE[c] for c in token])
        except KeyError:
            data += token.encode("utf-8")
    return data.decode("utf-8", errors="replace")


def trim_offsets(tokens, offsets, add_prefix_space):
    """Move each token's span past the spaces it starts or ends with ('Ġworld' -> 'world').

    The first token keeps one leading space when `add_prefix_space` put it there; a
    token starting at 0 counts as first (words given one by one all start at 0).
    """
    out = []
    for i, (token, (start, end)) in enumerate(zip(tokens, offsets)):
        if token and (token[0] in _TRIM or token[-1] in _TRIM):
            lead = _count_run(token, _TRIM)
            trail = _count_run(reversed(token), _TRIM)
            if lead == 1 and add_prefix_space and (i == 0 or start == 0):
                lead = 0
            if lead:
                start = min(start + lead, end)
            if trail and end >= trail:
                end = max(end - trail, start)
        out.append((start, end))
    return out


def _count_run(chars, members):
    n = 0
    for c in chars:
        if c not in members:
            break
        n += 1
    return n


def _trimmed(encoding, add_prefix_space):
    # the encodings are not changed: the core passes one encoding to several calls when
    # truncation leaves overflowing windows, and trimming twice would cut twice
    return trim_offsets(encoding.tokens, encoding.offsets, add_prefix_space)


# what `tokenizers` gives a pair without special tokens: the second sequence has type id 1
_PLAIN_PAIR = TemplateProcessing([("$A", 0)], [("$A", 0), ("$B", 1)], {})


class RobertaProcessing:
    """`<s> A </s>` and `<s> A </s></s> B </s>`, every type id 0, offsets trimmed like ByteLevel."""

    def __init__(self, sep, cls, trim_offsets=True, add_prefix_space=True):
        self.sep = (str(sep[0]), int(sep[1]))  # (token, id)
        self.cls = (str(cls[0]), int(cls[1]))
        self.trim_offsets = trim_offsets
        self.add_prefix_space = add_prefix_space
        cls, sep = self.cls[0], self.sep[0]
        self._template = TemplateProcessing(
            [(cls, 0), ("$A", 0), (sep, 0)], [(cls, 0), ("$A", 0), (sep, 0), (sep, 0), ("$B", 0), (sep, 0)],
            {cls: ([self.cls[1]], [cls]), sep: ([self.sep[1]], [sep])})

    def num_special_tokens_to_add(self, is_pair):
        return 4 if is_pair else 2

    def process(self, a, b=None, add_special_tokens=True):
        if add_special_tokens:
            out = self._template.process(a, b, True)
        else:
            out = _PLAIN_PAIR.process(a, b, False)
            # `tokenizers` sets type id 0 on both sequences but not on the windows that
            # truncation cut off, which keep the pair's type id 1; the core passes the
            # main encodings first, so the windows are marked here before their turn
            if b is not None:
                for window in b.overflowing:
                    window.type_ids = [1] * len(window)
                out.type_ids = [0] * len(a) + b.type_ids
        if self.trim_offsets and out.offsets is not None:
            trimmed_a = _trimmed(a, self.add_prefix_space)
            trimmed_b = _trimmed(b, self.add_prefix_space) if b is not None else []
            if add_special_tokens:
                edge = [(0, 0)]
                out.offsets = edge + trimmed_a + edge + (edge + trimmed_b + edge if b is not None else [])
            else:
                out.offsets = trimmed_a + trimmed_b
        return out

    def to_dict(self):
        return {"type": "RobertaProcessing", "sep": list(self.sep), "cls": list(self.cls),
                "trim_offsets": self.trim_offsets, "add_prefix_space": self.add_prefix_space}

    @classmethod
    def from_dict(cls, spec):
        return cls(spec["sep"], spec["cls"], spec.get("trim_offsets", True), spec.get("add_prefix_space", True))


# ---------------------------------------------------------------------------
# the BPE model

class BPEError(ValueError):
    """A vocab.json / merges.txt that cannot be used."""


def read_vocab_json(path):
    """Load vocab.json ({token: id}) with errors that name the file."""
    try:
        with open(path, encoding="utf-8") as f:
            vocab = json.load(f)
    except (OSError, UnicodeDecodeError) as e:
        raise BPEError(f"Cannot read the BPE vocabulary file {path!r}: {e}. Pass the path of a readable vocab.json.") from e
    except json.JSONDecodeError as e:
        raise BPEError(f"The BPE vocabulary file {path!r} is not valid JSON ({e}); vocab.json must be one JSON "
                       "object mapping each token to its id.") from e
    check_vocab(vocab, path)
    return vocab


def check_vocab(vocab, source):
    if not isinstance(vocab, dict):
        raise BPEError(f"The BPE vocabulary {source!r} is a JSON {type(vocab).__name__}, not an object; vocab.json "
                       'must map each token to its id, like {"hello": 31373}.')
    for token, i in vocab.items():
        if not isinstance(i, int) or isinstance(i, bool) or i < 0:
            raise BPEError(f"The BPE vocabulary {source!r} gives the token {token!r} the id {i!r}; ids must be "
                           "non-negative integers.")


def read_merges_txt(path):
    """Load merges.txt: an optional '#version' line, then one 'left right' pair a line, best first."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
    except (OSError, UnicodeDecodeError) as e:
        raise BPEError(f"Cannot read the BPE merges file {path!r}: {e}. Pass the path of a readable merges.txt.") from e
    merges = []
    for n, line in enumerate(lines, 1):
        if not line or (n == 1 and line.startswith("#version")):
            continue
        parts = line.split(" ")
        if len(parts) != 2 or not all(parts):
            raise BPEError(f"Line {n} of the BPE merges file {path!r} is {line!r}; each line of merges.txt must be "
                           "two tokens separated by one space, like 'Ġ t'.")
        merges.append((parts[0], parts[1]))
    return merges


def parse_merges(merges, source):
    """Merges as pairs, from tokenizer.json's 'a b' strings or [a, b] lists."""
    pairs = []
    for n, merge in enumerate(merges):
        pair = merge.split(" ") if isinstance(merge, str) else merge
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not all(isinstance(p, str) and p for p in pair):
            raise BPEError(f"Merge number {n} in {source!r} is {merge!r}; each merge must be 'left right' or "
                           "[left, right], two non-empty tokens.")
        pairs.append(tuple(pair))
    return pairs


def _cumulative_starts(tokens):
    starts, pos = [], 0
    for t in tokens:
        starts.append(pos)
        pos += len(t)
    return starts


class BPE:
    """Byte-pair encoding: merge the adjacent pair with the best (lowest) rank until none is left.

    `vocab` maps token -> id, `merges` is the ordered list of (left, right) pairs. With
    `byte_level` set (the pre-tokenizer is ByteLevel) words arrive as text and are turned
    into stand-in characters here; offsets are then still in characters of the text.
    The per-word cache lives in `core.Tokenizer`, keyed by the word's text.
    """

    def __init__(self, vocab, merges, unk_token=None, byte_level=False, source="the BPE model", **options):
        check_vocab(vocab, source)
        unsupported = {k: v for k, v in options.items() if v not in _NEUTRAL_OPTIONS.get(k, (None,))}
        if unsupported:
            raise BPEError(f"{source!r} sets BPE options that leanformers does not support: {unsupported}. "
                           f"Only {sorted(_NEUTRAL_OPTIONS)} at their default values are supported.")
        self.vocab = vocab
        self.id_to_token_map = {i: t for t, i in vocab.items()}
        self.merges = list(merges)
        self.ranks = {}
        for rank, (a, b) in enumerate(self.merges):
            for token in (a, b, a + b):
                if token not in vocab:
                    raise BPEError(f"The merge {a!r} + {b!r} (rank {rank}) of {source!r} needs the token {token!r}, "
                                   "which is not in the vocabulary; vocab.json and merges.txt must come from the "
                                   "same tokenizer.")
            self.ranks.setdefault((a, b), rank)
        if unk_token is not None and unk_token not in vocab:
            raise BPEError(f"The unk_token {unk_token!r} of {source!r} is not in its vocabulary; add it or drop it.")
        self.unk_token = unk_token
        self.byte_level = byte_level
        self.options = options  # tokenizer.json's values of the neutral options, written back as read

    @classmethod
    def from_files(cls, vocab_file, merges_file, **kwargs):
        return cls(read_vocab_json(vocab_file), read_merges_txt(merges_file),
                   source=f"{vocab_file} + {merges_file}", **kwargs)

    # --- the interface core.Tokenizer uses

    def tokenize(self, word):
        """word -> (ids, tokens, offsets), offsets as (start, end) characters of `word`."""
        chars = to_byte_chars(word) if self.byte_level else word
        vocab = self.vocab
        if all(c in vocab for c in chars):
            tokens = self.merge_word(list(chars))
            starts = _cumulative_starts(tokens)
        else:
            tokens, starts = self._merge_with_unknowns(chars)
        lengths = [1 if t == self.unk_token else len(t) for t in tokens]
        if len(chars) == len(word):
            spans = tuple((s, s + n) for s, n in zip(starts, lengths))
        else:  # a token holding part of a multi-byte character gets all of it
            char_of_byte = [i for i, c in enumerate(word) for _ in c.encode("utf-8")]
            spans = tuple((char_of_byte[s], char_of_byte[s + n - 1] + 1) for s, n in zip(starts, lengths))
        return tuple(vocab[t] for t in tokens), tuple(tokens), spans

    def token_to_id(self, token):
        return self.vocab.get(token)

    def id_to_token(self, token_id):
        return self.id_to_token_map.get(token_id)

    def vocab_size(self):
        return len(self.vocab)

    def get_vocab(self):
        return self.vocab

    # --- the algorithm

    def merge_word(self, symbols):
        """Plain BPE: repeatedly merge every occurrence of the best-ranked adjacent pair."""
        ranks = self.ranks
        while len(symbols) > 1:
            best = min(zip(symbols, symbols[1:]), key=lambda pair: ranks.get(pair, _NO_RANK))
            if best not in ranks:
                break
            a, b = best
            merged, i, n = [], 0, len(symbols)
            while i < n:
                if i < n - 1 and symbols[i] == a and symbols[i + 1] == b:
                    merged.append(a + b)
                    i += 2
                else:
                    merged.append(symbols[i])
                    i += 1
            symbols = merged
        return symbols

    def _merge_with_unknowns(self, chars):
        """BPE on a word with characters outside the vocabulary -> (tokens, start of each).

        Each unknown character becomes `unk_token`, or without one is dropped, and then
        its neighbours may merge across it, as in `tokenizers`.
        """
        tokens, starts, run, run_start = [], [], [], 0
        for i, c in enumerate(chars):
            if c in self.vocab:
                if not run:
                    run_start = i
                run.append(c)
                continue
            if self.unk_token is None:
                continue
            merged = self.merge_word(run)
            tokens += merged + [self.unk_token]
            starts += [run_start + s for s in _cumulative_starts(merged)] + [i]
            run = []
        merged = self.merge_word(run)
        return tokens + merged, starts + [run_start + s for s in _cumulative_starts(merged)]

    # --- files

    def save(self, folder, prefix=""):
        """Write vocab.json and merges.txt into `folder` (atomically); return their paths."""
        vocab_path = os.path.join(folder, prefix + "vocab.json")
        merges_path = os.path.join(folder, prefix + "merges.txt")
        _write_atomic(vocab_path, json.dumps(self.vocab, ensure_ascii=False) + "\n")
        _write_atomic(merges_path, "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in self.merges))
        return vocab_path, merges_path

    def to_dict(self):
        return {"type": "BPE", "dropout": None, "unk_token": self.unk_token, "continuing_subword_prefix": "",
                "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                **self.options, "vocab": self.vocab, "merges": [list(m) for m in self.merges]}

    @classmethod
    def from_dict(cls, spec, source="tokenizer.json"):
        vocab = spec.get("vocab")
        check_vocab(vocab, f"{source} (model.vocab)")
        options = {k: v for k, v in spec.items() if k not in ("type", "vocab", "merges", "unk_token")}
        return cls(vocab, parse_merges(spec.get("merges", []), source), spec.get("unk_token"), source=source,
                   **options)


# tokenizer.json BPE options and the values that change nothing
_NEUTRAL_OPTIONS = {"dropout": (None,), "continuing_subword_prefix": (None, ""), "end_of_word_suffix": (None, ""),
                    "fuse_unk": (False, None), "byte_fallback": (False, None), "ignore_merges": (False, None)}
_NO_RANK = 1 << 62



def is_byte_level(pre_tokenizer):
    """Whether `pre_tokenizer` is ByteLevel or a Sequence holding one: its BPE model must
    then turn words into stand-in characters (see `BPE.byte_level`)."""
    if isinstance(pre_tokenizer, ByteLevel):
        return True
    return any(is_byte_level(p) for p in getattr(pre_tokenizer, "pre_tokenizers", ()))
