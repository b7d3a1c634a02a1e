"""Metaspace: SentencePiece's way of keeping spaces, as a pre-tokenizer and as a decoder.

SentencePiece treats a space as an ordinary character and writes it as "▁" (U+2581), so that
"Hello world" becomes the pieces "▁Hello", "▁world" and decoding is joining pieces and turning
"▁" back into spaces. The text usually gets a "▁" in front too (the "dummy prefix"), so the
first word looks like every other word: `prepend_scheme` says when ("always"; "first": only
when the text starts the input, not after an added token such as "<s>"; "never"). With
`split` the text is then cut before each "▁", each word keeping its "▁" in front.
"""


class Metaspace:
    """The Metaspace pre-tokenizer and decoder of tokenizer.json."""

    def __init__(self, replacement="▁", prepend_scheme="always", split=True):
        if not isinstance(replacement, str) or len(replacement) != 1:
            raise ValueError(f"Metaspace: replacement must be one character, got {replacement!r}.")
        if prepend_scheme not in ("always", "first", "never"):
            raise ValueError(f"Metaspace: prepend_scheme must be 'always', 'first' or 'never', got "
                             f"{prepend_scheme!r}.")
        self.replacement = replacement
        self.prepend_scheme = prepend_scheme
        self.split_words = bool(split)

    @property
    def uses_position(self):
        """prepend_scheme "first" needs to know whether a text starts the input."""
        return self.prepend_scheme == "first"

    # ---- pre-tokenizer
    def _prepends(self, text_r, at_start):
        return (text_r != "" and not text_r.startswith(self.replacement)
                and (self.prepend_scheme == "always" or (self.prepend_scheme == "first" and at_start)))

    def split(self, text, at_start=True):
        """The words of `split_aligned` without their offsets (the path of calls without offsets)."""
        r = self.replacement
        text_r = text.replace(" ", r)
        if self._prepends(text_r, at_start):
            if self.split_words and r not in text_r:  # one word (as after WhitespaceSplit): the common case
                return [r + text_r]
            text_r = r + text_r
        if not self.split_words:
            return [text_r]
        first, *rest = text_r.split(r)
        return ([first] if first else []) + [r + piece for piece in rest]

    def split_many(self, words):
        """`split` of each word, flattened. Words without a space or a replacement (what WhitespaceSplit
        gives T5's Metaspace: 493k words per 20,000 sentences, a third of its time one call each)
        are prefixed in one join and one str.split."""
        r = self.replacement
        if self.prepend_scheme != "first" and self.split_words and all(words):
            blob = "".join(words)
            if " " not in blob and r not in blob:
                if self.prepend_scheme == "never":
                    return list(words)
                return (r + (" " + r).join(words)).split(" ") if words else []
        return [piece for word in words for piece in self.split(word)]

    def split_aligned(self, text, at_start=True):
        """[(word, start, end, char_align)]: spaces become the replacement (same length, so no
        alignment is needed); a prepended replacement takes the place of the first character."""
        r = self.replacement
        text_r = text.replace(" ", r)
        prepended = self._prepends(text_r, at_start)
        if not self.split_words:
            if not prepended:
                return [(text_r, 0, len(text), None)]
            return [(r + text_r, 0, len(text), [(0, 1)] + [(i, i + 1) for i in range(len(text))])]
        starts = [i for i, c in enumerate(text_r) if c == r and i > 0]
        bounds = list(zip([0] + starts, starts + [len(text_r)]))
        out = []
        for a, b in bounds:
            if a == b:
                continue
            if prepended and a == 0:
                out.append((r + text_r[a:b], a, b, [(0, 1)] + [(i, i + 1) for i in range(a, b)]))
            else:
                out.append((text_r[a:b], a, b, None))
        return out

    # ---- decoder
    def decode_chain(self, tokens):
        """Each token with the replacement turned into spaces; in the first token every replacement is
        dropped unless prepend_scheme is "never" (the reference drops them all, not only a leading one)."""
        r = self.replacement
        out = []
        for i, token in enumerate(tokens):
            if i == 0 and self.prepend_scheme != "never":
                out.append(token.replace(r, ""))
            else:
                out.append(token.replace(r, " "))
        return out

    def decode(self, tokens):
        return "".join(self.decode_chain(tokens))

    # ---- tokenizer.json
    def to_dict(self):
        return {"type": "Metaspace", "replacement": self.replacement, "prepend_scheme": self.prepend_scheme,
                "split": self.split_words}

    @classmethod
    def from_dict(cls, d):
        scheme = d.get("prepend_scheme")
        if scheme is None:  # files of older versions: add_prefix_space (true by default) instead
            scheme = "always" if d.get("add_prefix_space", True) else "never"
        return cls(d.get("replacement", "▁"), scheme, d.get("split", True))
