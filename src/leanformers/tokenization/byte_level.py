"""Byte-level text: the stand-in characters of GPT-2's BPE, the GPT-2 split and the
ByteLevel stage (pre-tokenizer, post-processor and decoder), shared by GPT-2, RoBERTa
and BART; RoBERTa's post-processor, which trims offsets the same way. The BPE model
that merges the stand-in characters is in bpe.py.

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
ids valid (core.Tokenizer keeps it), and the cache is where the speed comes from (a
corpus has few distinct words). The text of each piece, not its byte form, is the
cache key, so a hit costs one dict look-up and no byte conversion at all.

Offsets are counted in characters of the original text. A token that holds part
of a multi-byte character gets the whole character's span, and the space that
`add_prefix_space` invents is given the span of the character it precedes.
"""

from .components import TemplateProcessing, cut_like, reference_twin
from .whitespace import WHITESPACE

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

# GPT-2's split as the reference writes it: contractions, then letters, numbers or other symbols,
# each with an optional leading space, then whitespace; a whitespace run followed by a word leaves
# its last space to that word (the lookahead), so " world" keeps its space. It runs as its
# `reference_twin`: the reference's classes in Python's `re`, astral characters as stand-ins.
GPT2_SPLIT = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
_GPT2_PATTERN, _GPT2_STAND_INS = reference_twin(GPT2_SPLIT)


def gpt2_split(text):
    """Cut text into GPT-2 pieces; the pieces concatenate back to `text`."""
    subject = _GPT2_STAND_INS(text)
    pieces = _GPT2_PATTERN.findall(subject)
    return pieces if subject is text else cut_like(text, pieces)


# what trimming treats as space: Unicode White_Space and the stand-in of the space byte
_TRIM = frozenset(WHITESPACE) | {SPACE_CHAR}


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

    @property
    def keeps_words(self):
        """Without its regex and prefix space it returns a non-empty word as it is (the bytes are
        mapped to stand-in characters by the BPE model, see bpe.py)."""
        return not self.add_prefix_space and not self.use_regex

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

    def decode_chain(self, tokens):
        """One step of a decoder Sequence: all tokens become one text."""
        return [decode_byte_tokens(tokens)]

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


def is_byte_level(pre_tokenizer):
    """Whether `pre_tokenizer` is ByteLevel or a Sequence holding one: its BPE model must
    then turn words into stand-in characters (see `BPE.byte_level`)."""
    if isinstance(pre_tokenizer, ByteLevel):
        return True
    return any(is_byte_level(p) for p in getattr(pre_tokenizer, "pre_tokenizers", ()))
