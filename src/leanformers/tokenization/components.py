"""Family-neutral stages: unicode normalizers, lower-casing, accent stripping,
regex pre-tokenizers, sequences of them, and the template post-processor.

The stage interfaces are described in core.py. Normalizers here work character by
character (or per combining cluster for composition), so their alignment is exact
for every character.
"""

import re
import unicodedata

from . import _unicode_classes as _u
from .encoding import Encoding

_W = _u.WORD + _u.WORD_ASTRAL
_S = _u.WHITESPACE + _u.WHITESPACE_ASTRAL
_WORDS_OR_SYMBOLS = re.compile(f"[{_W}]+|[^{_W}{_S}]+")
_MARK = re.compile(f"[{_u.MARKS}{_u.MARKS_ASTRAL}]")


class Memo(dict):
    """A dict that fills itself: memo[key] is `make(key)`, computed on first use. Looked up with
    `map(memo.__getitem__, keys)` or as a str.translate table, the hits stay in C."""

    def __init__(self, make):
        super().__init__()
        self._make = make

    def __missing__(self, key):
        value = self[key] = self._make(key)
        return value

    def __reduce__(self):  # a pickled memo (sent to worker processes) starts empty
        return Memo, (self._make,)


# ---- normalizers --------------------------------------------------------------------------
class NamedStage:
    """A stage without options: its tokenizer.json object is {"type": its class name}."""

    def to_dict(self):
        return {"type": type(self).__name__}


class CharNormalizer(NamedStage):
    """A normalizer defined by what each character becomes (`map_char`)."""

    def map_char(self, c):
        raise NotImplementedError

    def normalize_str(self, text):
        return "".join(map(self.map_char, text))

    def normalize_aligned(self, text):
        out, align = [], []
        for i, c in enumerate(text):
            mapped = self.map_char(c)
            out.append(mapped)
            align += [(i, i + 1)] * len(mapped)
        return "".join(out), align


# lower-case mappings the reference has (newer Unicode) for characters Python's tables leave alone;
# hypothesis found U+A7DA through AlbertTokenizer's Lowercase
_NEWER_LOWER = {
    **{chr(c): chr(c + 0x20) for c in range(0x10D50, 0x10D66)},
    **{chr(c): chr(c + 0x1B) for c in range(0x16EA0, 0x16EB9)},
    "\u1c89": "\u1c8a", "\ua7cb": "\u0264", "\ua7cc": "\ua7cd", "\ua7ce": "\ua7cf", "\ua7d2": "\ua7d3",
    "\ua7d4": "\ua7d5", "\ua7da": "\ua7db", "\ua7dc": "\u019b",
}
_NEWER_UPPER = re.compile("[" + "".join(_NEWER_LOWER) + "]")


def lower_char(c):
    """One character lower-cased as the reference does it."""
    return _NEWER_LOWER.get(c) or c.lower()


class Lowercase(CharNormalizer):
    """Per-character lower-casing (no context rules: a final capital sigma gives 'σ')."""

    def map_char(self, c):
        return lower_char(c)

    def normalize_str(self, text):
        # str.lower only differs from per-character lower-casing on Σ and the newer capitals
        if text.isascii() or ("Σ" not in text and not _NEWER_UPPER.search(text)):
            return text.lower()
        return super().normalize_str(text)


class StripAccents(CharNormalizer):
    """Drops combining marks (as the reference counts them: every Mn, Mc and Me of its Unicode
    version, so a Devanagari vowel sign goes too); use after NFD to remove accents."""

    def map_char(self, c):
        return "" if _MARK.match(c) else c

    def normalize_str(self, text):
        if text.isascii():
            return text
        return super().normalize_str(text)


class NFD(CharNormalizer):
    # decomposition is per character; the canonical reordering of runs of marks is
    # the only cross-character effect, and it only swaps marks among themselves
    def map_char(self, c):
        return unicodedata.normalize("NFD", c)

    def normalize_str(self, text):
        return text if text.isascii() else unicodedata.normalize("NFD", text)


class NFKD(NFD):
    def map_char(self, c):
        return unicodedata.normalize("NFKD", c)

    def normalize_str(self, text):
        return text if text.isascii() else unicodedata.normalize("NFKD", text)


class _Composing(NamedStage):
    """NFC / NFKC: characters compose with the marks after them, so alignment is per
    cluster (a starter and the non-starters that follow it)."""
    form = "NFC"

    def normalize_str(self, text):
        return text if text.isascii() else unicodedata.normalize(self.form, text)

    def normalize_aligned(self, text):
        if text.isascii():
            return text, [(i, i + 1) for i in range(len(text))]
        out, align = [], []
        start = 0
        for i in range(1, len(text) + 1):
            if i == len(text) or unicodedata.combining(text[i]) == 0:
                piece = unicodedata.normalize(self.form, text[start:i])
                out.append(piece)
                if len(piece) == i - start:  # nothing composed: keep per-character ranges
                    align += [(start + k, start + k + 1) for k in range(len(piece))]
                else:  # as the reference: a kept character keeps its place, a new one takes the next place
                    j = start
                    for ch in piece:
                        k = text.find(ch, j, i)
                        if k < 0:
                            k = min(j, i - 1)
                        align.append((k, k + 1))
                        j = k + 1
                start = i
        return "".join(out), align


class NFC(_Composing):
    form = "NFC"


class NFKC(_Composing):
    form = "NFKC"


class NormalizerSequence:
    """Applies normalizers in order; alignments compose back to the original text."""

    def __init__(self, normalizers):
        self.normalizers = list(normalizers)

    def to_dict(self):
        return {"type": "Sequence", "normalizers": [n.to_dict() for n in self.normalizers]}

    def normalize_str(self, text):
        for n in self.normalizers:
            text = n.normalize_str(text)
        return text

    def normalize_aligned(self, text):
        align = None
        for n in self.normalizers:
            text, step = n.normalize_aligned(text)
            align = step if align is None else [(align[a][0], align[b - 1][1]) for a, b in step]
        return text, align if align is not None else [(i, i + 1) for i in range(len(text))]


def compile_pattern(pattern):
    """tokenizer.json's {"String": s} or {"Regex": r} compiled as written (\\p{..} needs `regex`, whose
    Unicode version is newer than the reference's; `reference_twin` follows the reference's)."""
    import regex

    if "String" in pattern:
        return regex.compile(regex.escape(pattern["String"]))
    return regex.compile(pattern["Regex"])


class Replace:
    """Replaces every match of `pattern` ({"String": ..} or {"Regex": ..}) by `content`; the
    characters of a replacement are aligned with the last character they replace (the
    reference removes the match and inserts the content after what it removed)."""

    def __init__(self, pattern, content):
        self.pattern = dict(pattern)
        self.content = content
        self._compiled = compile_pattern(self.pattern)

    def normalize_str(self, text):
        literal = self.pattern.get("String")
        if literal is not None:
            return text.replace(literal, self.content) if literal else text
        content = self.content
        return self._compiled.sub(lambda m: content, text)

    def normalize_aligned(self, text):
        out, align, pos = [], [], 0
        for m in self._compiled.finditer(text):
            a, b = m.span()
            if a == b:
                continue
            out.append(text[pos:a])
            align += [(i, i + 1) for i in range(pos, a)]
            out.append(self.content)
            align += [(b - 1, b)] * len(self.content)
            pos = b
        out.append(text[pos:])
        align += [(i, i + 1) for i in range(pos, len(text))]
        return "".join(out), align

    def to_dict(self):
        return {"type": "Replace", "pattern": dict(self.pattern), "content": self.content}


class Prepend:
    """Puts `prepend` before a non-empty text, aligned with its first character."""

    def __init__(self, prepend):
        self.prepend = prepend

    def normalize_str(self, text):
        return self.prepend + text if text else text

    def normalize_aligned(self, text):
        if not text:
            return text, []
        return self.prepend + text, [(0, 1)] * len(self.prepend) + [(i, i + 1) for i in range(len(text))]

    def to_dict(self):
        return {"type": "Prepend", "prepend": self.prepend}


class Strip:
    """Removes leading (`left`) and trailing (`right`) Unicode whitespace."""

    def __init__(self, left=True, right=True):
        self.left, self.right = bool(left), bool(right)

    def _bounds(self, text):
        from .whitespace import WHITESPACE

        a, b = 0, len(text)
        if self.left:
            while a < b and text[a] in WHITESPACE:
                a += 1
        if self.right:
            while b > a and text[b - 1] in WHITESPACE:
                b -= 1
        return a, b

    def normalize_str(self, text):
        a, b = self._bounds(text)
        return text[a:b]

    def normalize_aligned(self, text):
        a, b = self._bounds(text)
        return text[a:b], [(i, i + 1) for i in range(a, b)]

    def to_dict(self):
        return {"type": "Strip", "strip_left": self.left, "strip_right": self.right}


# ---- pre-tokenizers -----------------------------------------------------------------------
# tokenizer.json's names of the split behaviours -> ours
SPLIT_BEHAVIORS = {"Removed": "removed", "Isolated": "isolated", "MergedWithPrevious": "merged_with_previous",
                   "MergedWithNext": "merged_with_next", "Contiguous": "contiguous"}


# ---- the reference's classes in Python's `re` ---------------------------------------------
# The reference's \p{L}, \p{N} and \s follow its Unicode version; `regex` follows a newer one (U+3D000
# is a letter there since Unicode 17, and cut "\U0003d000:" otherwise). _unicode_classes holds them as
# the reference sees them. `re` looks a character below U+10000 up in a class in one step but tests
# astral ranges one by one, so patterns take the BMP classes and text above U+FFFF takes stand-ins.
_BMP_MEMBERS = {"p{L}": _u.LETTERS, "p{N}": _u.NUMBERS, "s": _u.WHITESPACE}
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_ASTRAL_LETTER = re.compile(f"[{_u.LETTERS_ASTRAL}]")
_ASTRAL_NUMBER = re.compile(f"[{_u.NUMBERS_ASTRAL}]")
_KEPT_GROUP_OPENINGS = ("(?:", "(?i:", "(?=", "(?!", "(?<=", "(?<!")


class AstralStandIns:
    """Puts a character below U+10000 of the same class (letter, number, neither; no astral character
    is whitespace) in place of each one above U+FFFF. Lengths stay, so the cuts of the result are the
    cuts of the text. The stand-ins must not appear in the pattern."""

    def __init__(self, letter="a", number="0", other="\ue000"):
        self.letter, self.number, self.other = letter, number, other
        self._stand_in = Memo(self._stand_in_for)

    def _stand_in_for(self, c):
        return self.letter if _ASTRAL_LETTER.match(c) else self.number if _ASTRAL_NUMBER.match(c) else self.other

    def _replace(self, match):
        return self._stand_in[match.group()]

    def __call__(self, text):
        """`text` with stand-ins, itself when it has no astral character."""
        if text.isascii():
            return text
        replaced, n = _ASTRAL.subn(self._replace, text)
        return replaced if n else text


def cut_like(text, pieces):
    """`text` cut where its stand-in copy was cut into `pieces`."""
    out, pos = [], 0
    for piece in pieces:
        out.append(text[pos:pos + len(piece)])
        pos += len(piece)
    return out


def _bmp_rewrite(source):
    r"""`source` with \p{L}, \p{N}, \s and \S written as BMP classes of the reference, or None when it
    uses anything else (other properties, \w, \d, $, nested classes, astral characters, (?P...))."""
    out, i, in_class = [], 0, False
    while i < len(source):
        c = source[i]
        if c == "\\":
            name = source[i + 1:source.find("}", i) + 1] if source.startswith("p{", i + 1) else source[i + 1:i + 2]
            i += 1 + len(name)
            if name in _BMP_MEMBERS:
                out.append(_BMP_MEMBERS[name] if in_class else f"[{_BMP_MEMBERS[name]}]")
            elif name == "S" and not in_class:
                out.append(f"[^{_BMP_MEMBERS['s']}]")
            elif name in ("r", "n", "t") or (name and not name.isalnum() and not _ASTRAL.match(name)):
                out.append("\\" + name)
            else:
                return None
            continue
        if _ASTRAL.match(c) or c == "$" or (in_class and c == "["):  # Python's $ also matches before a last \n
            return None
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if source.startswith("^", i + 1):
                out.append("[^")
                i += 2
                continue
        elif c == "(" and source.startswith("?", i + 1):
            opening = next((o for o in _KEPT_GROUP_OPENINGS if source.startswith(o, i)), None)
            if opening is None:
                return None
            out.append(opening)
            i += len(opening)
            continue
        out.append(c)
        i += 1
    return "".join(out)


def reference_twin(source):
    r"""(pattern of Python's `re`, AstralStandIns) that together cut text as the reference cuts it
    with the tokenizer.json regex `source`, or None when `source` uses more than \p{L}, \p{N}, \s, \S,
    literal characters, classes, plain groups and quantifiers. Measured on Llama-3's split, 20,000
    sentences: `re` and the twin take 0.10 s on the ASCII ones where `regex` and `source` take 0.28 s,
    and 0.04 s against 0.07 s on the others."""
    rewritten = _bmp_rewrite(source)
    if rewritten is None:
        return None
    try:
        compiled = re.compile(rewritten)
    except re.error:
        return None
    folded = source.lower()
    letter = next(c for c in "abcdefghijklmnopqrstuvwxyzα" if c not in folded)
    number = next((c for c in "0123456789٠" if c not in source), None)
    other = next((c for c in "\ue000\ue001\ue002" if c not in source), None)
    if number is None or other is None:
        return None
    return compiled, AstralStandIns(letter, number, other)


class RegexSplit:
    """Splits with a regex. `behavior` says what happens to the matches, as the
    reference names it: 'removed', 'isolated', 'merged_with_previous',
    'merged_with_next', 'contiguous'. With `invert` the regex matches the words.
    As tokenizer.json's Split stage, `json_pattern` is its {"String": ..} or {"Regex": ..};
    `stand_ins` (AstralStandIns) replace the astral characters of the text before matching."""

    def __init__(self, pattern, behavior="isolated", invert=False, json_pattern=None, stand_ins=None):
        self.pattern = re.compile(pattern) if isinstance(pattern, str) else pattern
        self.behavior = behavior
        self.invert = invert
        self.json_pattern = json_pattern
        self.stand_ins = stand_ins

    @classmethod
    def from_dict(cls, d):
        """tokenizer.json's Split: a {"Regex": ..} runs as its `reference_twin` where it has one."""
        pattern = d["pattern"]
        twin = reference_twin(pattern["Regex"]) if "Regex" in pattern else None
        compiled, stand_ins = twin or (compile_pattern(pattern), None)
        return cls(compiled, SPLIT_BEHAVIORS[d["behavior"]], d.get("invert", False), pattern, stand_ins)

    def to_dict(self):
        behavior = next(name for name, ours in SPLIT_BEHAVIORS.items() if ours == self.behavior)
        pattern = dict(self.json_pattern or {"Regex": self.pattern.pattern})
        return {"type": "Split", "pattern": pattern, "behavior": behavior, "invert": self.invert}

    def _subject(self, text):
        """What the pattern runs on: `text`, with stand-ins for its astral characters when it has them."""
        return self.stand_ins(text) if self.stand_ins is not None else text

    def split(self, text):
        if self.behavior == "isolated" and not self.invert and self.pattern.groups == 0:
            # byte-level split patterns (GPT-2's, Llama-3's) match every character, so the matches
            # alone are the pieces: findall builds them in C (Llama-3's batch: 45% of its time
            # went to split_aligned's runs)
            subject = self._subject(text)
            pieces = self.pattern.findall(subject)
            if sum(map(len, pieces)) == len(text):
                if "" in pieces:
                    pieces = [piece for piece in pieces if piece]
                return pieces if subject is text else cut_like(text, pieces)
        return [piece for piece, _, _, _ in self.split_aligned(text)]

    def split_aligned(self, text):
        # (start, end, is_match) runs covering the text
        runs, pos = [], 0
        for m in self.pattern.finditer(self._subject(text)):
            if m.start() == m.end():
                continue
            if m.start() > pos:
                runs.append((pos, m.start(), self.invert))
            runs.append((m.start(), m.end(), not self.invert))
            pos = m.end()
        if pos < len(text):
            runs.append((pos, len(text), self.invert))
        behavior = self.behavior
        if behavior == "removed":
            spans = [[a, b] for a, b, is_match in runs if not is_match]
        elif behavior == "isolated":
            spans = [[a, b] for a, b, _ in runs]
        elif behavior == "merged_with_next":  # a match opens the piece that follows it
            spans, previous = [], False
            for a, b, is_match in reversed(runs):
                if is_match and not previous and spans:
                    spans[-1][0] = a
                else:
                    spans.append([a, b])
                previous = is_match
            spans.reverse()
        else:  # a match closes the piece before it; contiguous: runs of the same kind join
            spans, previous = [], False
            join_same = behavior == "contiguous"
            for a, b, is_match in runs:
                joins = (is_match == previous) if join_same else (is_match and not previous)
                if joins and spans:
                    spans[-1][1] = b
                else:
                    spans.append([a, b])
                previous = is_match
        return [(text[a:b], a, b, None) for a, b in spans]


class Whitespace(NamedStage, RegexSplit):
    """Words of word characters, or runs of other non-space characters. The word characters are the
    reference's \\w (letters, marks, digits, connectors of its Unicode version): Python's \\w lacks the
    marks, and split "हिन्दी" at its vowel signs."""

    def __init__(self):
        super().__init__(_WORDS_OR_SYMBOLS, behavior="removed", invert=True)  # keeps only the matches

    def split(self, text):
        return self.pattern.findall(text)


class WhitespaceSplit(NamedStage, RegexSplit):
    """Runs of non-whitespace: the reference's whitespace, which unlike Python's str.split() does not
    count the separators U+001C..U+001F."""

    def __init__(self):
        super().__init__(f"[^{_S}]+", behavior="removed", invert=True)  # keeps only the matches

    def split(self, text):
        return self.pattern.findall(text)


class PreTokenizerSequence:
    """Applies pre-tokenizers in order, each to the words of the previous one. A pre-tokenizer that
    `uses_position` (Metaspace with prepend_scheme "first") hears whether its word starts the text."""

    def __init__(self, pre_tokenizers):
        self.pre_tokenizers = tuple(pre_tokenizers)  # fixed once built: what follows is read from them
        self.uses_position = any(getattr(p, "uses_position", False) for p in self.pre_tokenizers)
        # a stage that `keeps_words` returns every non-empty word as it is (Llama-3's ByteLevel after
        # its Split: 634k calls per 20,000 sentences), so a non-empty text can pass it by
        self._cutting = tuple(p for p in self.pre_tokenizers if not getattr(p, "keeps_words", False))

    def to_dict(self):
        return {"type": "Sequence", "pretokenizers": [p.to_dict() for p in self.pre_tokenizers]}

    def split(self, text, at_start=True):
        if self.uses_position:
            return [word for word, _, _, _ in self.split_aligned(text, at_start)]
        stages = self._cutting if text else self.pre_tokenizers
        if not stages:
            return [text]
        words = stages[0].split(text)
        for p in stages[1:]:
            many = getattr(p, "split_many", None)  # a stage that splits a list of words at once
            words = many(words) if many is not None else [w for word in words for w in p.split(word)]
        return words

    def split_aligned(self, text, at_start=True):
        words = [(text, 0, len(text), None)]
        for p in (self._cutting if text else self.pre_tokenizers):
            out = []
            positional = getattr(p, "uses_position", False)
            for word, start, end, char_align in words:
                pieces = p.split_aligned(word, at_start and start == 0) if positional else p.split_aligned(word)
                for sub, a, b, sub_align in pieces:
                    if char_align is None and sub_align is None:
                        out.append((sub, start + a, start + b, None))
                        continue
                    # express the sub-word's characters in `text` coordinates
                    if char_align is None:
                        char_align = [(start + i, start + i + 1) for i in range(len(word))]
                    if sub_align is None:
                        sub_align = [(a + i, a + i + 1) for i in range(len(sub))]
                    mapped = [(char_align[x][0], char_align[y - 1][1]) for x, y in sub_align]
                    out.append((sub, mapped[0][0] if mapped else start + a,
                                mapped[-1][1] if mapped else start + a, mapped))
            words = out
        return words


class Digits(RegexSplit):
    """Cuts out runs of numbers (\\p{N}), or each number character alone (`individual_digits`)."""

    def __init__(self, individual_digits=False):
        self.individual_digits = bool(individual_digits)
        body = f"[{_u.NUMBERS}{_u.NUMBERS_ASTRAL}]"
        super().__init__(body if individual_digits else body + "+", behavior="isolated")

    def to_dict(self):
        return {"type": "Digits", "individual_digits": self.individual_digits}


class UnicodeScripts(NamedStage):
    """Cuts text where the Unicode script changes (Hiragana, Katakana and U+30FC count as
    Han; Common and Inherited are scripts of their own). A plain space belongs to no
    script: it stays with the word before it."""

    _scripts = {}  # character -> script name, filled as characters are met

    @classmethod
    def script(cls, c):
        name = cls._scripts.get(c)
        if name is None:
            if c == " ":
                name = ""
            elif c == "\u30fc":
                name = "HAN"
            else:
                name = next((n for n, p in _script_patterns() if p.match(c)), "")
                if name in ("HIRAGANA", "KATAKANA"):
                    name = "HAN"
                elif name == "UNKNOWN":
                    name = ""
            cls._scripts[c] = name
        return name

    def split(self, text):
        return [piece for piece, _, _, _ in self.split_aligned(text)]

    def split_aligned(self, text):
        # a space and a character of no script (unassigned, private use) belong to no script:
        # they stay with the word before them, and the reference drops them at the start
        cuts, last = [], None
        for i, c in enumerate(text):
            s = self.script(c)
            if s and s != last:
                cuts.append(i)
                last = s
        if not cuts:
            return []
        cuts.append(len(text))
        return [(text[a:b], a, b, None) for a, b in zip(cuts, cuts[1:])]



_SCRIPT_PATTERNS = []


def _script_patterns():
    """[(script name, pattern matching its characters)], common scripts first (the `regex`
    module knows the Script property; `unicodedata` does not)."""
    if not _SCRIPT_PATTERNS:
        import regex
        from regex import _regex_core

        first = ["LATIN", "COMMON", "INHERITED", "HAN", "CYRILLIC", "GREEK", "ARABIC", "HIRAGANA", "KATAKANA"]
        values = {}
        for name, value in _regex_core.PROPERTIES["SCRIPT"][1].items():
            if len(name) > len(values.get(value, "")):
                values[value] = name  # the long name of each value
        names = first + sorted(set(values.values()) - set(first))
        _SCRIPT_PATTERNS.extend((n, regex.compile(rf"\p{{Script={n}}}")) for n in names)
    return _SCRIPT_PATTERNS


# ---- post-processor -----------------------------------------------------------------------
class TemplateProcessing:
    """Adds special tokens by templates such as "[CLS]:0 $A:0 [SEP]:0" (token:type_id).

    `single` and `pair` are lists of ("$A" | "$B" | special-token name, type_id);
    `special_tokens` maps a name to (ids, tokens)."""

    def __init__(self, single, pair, special_tokens):
        self.single = _parse_template(single)
        self.pair = _parse_template(pair)
        self.special_tokens = {name: (list(ids), list(tokens)) for name, (ids, tokens) in special_tokens.items()}
        for name, _ in self.single + self.pair:
            if name not in ("$A", "$B") and name not in self.special_tokens:
                raise ValueError(f"TemplateProcessing: the template uses {name!r}, which is missing "
                                 "from its special_tokens; add it there with its id.")
        # the single template as (ids before $A, ids after, its one type id), when it has one type id
        # (BERT's, RoBERTa's): `process` then needs one concatenation (pinned by the oracle tests)
        self._single_around = None
        names = [name for name, _ in self.single]
        if names.count("$A") == 1 and "$B" not in names and len({t for _, t in self.single}) == 1:
            cut = names.index("$A")
            self._single_around = tuple(
                [i for name in part for i in self.special_tokens[name][0]] for part in (names[:cut], names[cut + 1:])
            ) + (self.single[0][1],)

    def num_special_tokens_to_add(self, is_pair):
        template = self.pair if is_pair else self.single
        return sum(len(self.special_tokens[name][0]) for name, _ in template if name not in ("$A", "$B"))

    def process(self, a, b, add_special_tokens):
        template = self.pair if b is not None else self.single
        if b is None and a.offsets is None and self._single_around is not None:
            before, after, type_id = self._single_around
            ids = before + a.ids + after if add_special_tokens else list(a.ids)
            return Encoding(ids, type_ids=[type_id] * len(ids) if type_id else None,  # None: zeros, built on use
                            deferred=(_fill_template, self.special_tokens, template, a, b, add_special_tokens))
        ids, type_ids = [], []
        offsets = [] if a.offsets is not None else None
        for name, type_id in template:
            if name == "$A" or name == "$B":
                e = a if name == "$A" else b
                ids += e.ids
                type_ids += [type_id] * len(e.ids)
                if offsets is not None:
                    offsets += e.offsets
            elif add_special_tokens:
                s_ids = self.special_tokens[name][0]
                ids += s_ids
                type_ids += [type_id] * len(s_ids)
                if offsets is not None:
                    offsets += [(0, 0)] * len(s_ids)
        return Encoding(ids, offsets=offsets, type_ids=type_ids,
                        deferred=(_fill_template, self.special_tokens, template, a, b, add_special_tokens))

    def to_dict(self):
        def items(template):
            return [{"Sequence": {"id": name[1], "type_id": t}} if name in ("$A", "$B")
                    else {"SpecialToken": {"id": name, "type_id": t}} for name, t in template]
        return {"type": "TemplateProcessing", "single": items(self.single), "pair": items(self.pair),
                "special_tokens": {name: {"id": name, "ids": ids, "tokens": tokens}
                                   for name, (ids, tokens) in self.special_tokens.items()}}


def _fill_template(out, special_tokens, template, a, b, add_special_tokens):
    """Deferred step: tokens, word ids, special-token mask and sequence ids."""
    tokens, word_ids, special, seq_ids = [], [], [], []
    for name, _ in template:
        if name == "$A" or name == "$B":
            e = a if name == "$A" else b
            tokens += e.tokens
            word_ids += e.word_ids
            special += e.special_tokens_mask
            seq_ids += [0 if name == "$A" else 1] * len(e.ids)
        elif add_special_tokens:
            s_tokens = special_tokens[name][1]
            n = len(s_tokens)
            tokens += s_tokens
            word_ids += [None] * n
            special += [1] * n
            seq_ids += [None] * n
    out._tokens, out._word_ids, out._special_tokens_mask, out._sequence_ids = tokens, word_ids, special, seq_ids


def _parse_template(template):
    """Accept "[CLS]:0 $A:0 [SEP]:0", a list of such strings, or (name, type_id) pairs."""
    if isinstance(template, str):
        template = template.split()
    out = []
    for item in template:
        if isinstance(item, str):
            name, _, type_id = item.rpartition(":") if ":" in item else (item, "", "0")
            type_id = int(type_id)
            if name in ("$", "$A", "A"):
                name = "$A"
            elif name in ("$B", "B"):
                name = "$B"
            out.append((name, type_id))
        else:
            out.append((item[0], int(item[1])))
    return out


class PostProcessorSequence:
    """Post-processors in order (Llama-3-style files: ByteLevel offset trimming, then a
    template). Every one but the last works on each sequence alone (`process` with one
    sequence); the last one joins them and adds its special tokens."""

    def __init__(self, processors):
        self.processors = list(processors)

    def num_special_tokens_to_add(self, is_pair):
        return sum(p.num_special_tokens_to_add(is_pair) for p in self.processors)

    def process(self, a, b, add_special_tokens):
        if not self.processors:
            return TemplateProcessing([("$A", 0)], [("$A", 0), ("$B", 1)], {}).process(a, b, add_special_tokens)
        *first, last = self.processors
        for p in first:  # (the core calls `process` for each overflow window itself)
            a = p.process(a, None, add_special_tokens)
            b = p.process(b, None, add_special_tokens) if b is not None else None
        return last.process(a, b, add_special_tokens)

    def to_dict(self):
        return {"type": "Sequence", "processors": [p.to_dict() for p in self.processors]}

