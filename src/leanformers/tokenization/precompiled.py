"""The Precompiled normalizer: SentencePiece's character map (T5, ALBERT, XLNet, XLM-R, ...).

The map arrives as bytes (base64 text in tokenizer.json, raw bytes in a `.model` file):

    u32 little-endian  N, the size in bytes of the trie
    N bytes            a darts-clone double-array trie over UTF-8 keys, N / 4 u32 units
    the rest           the replacement strings, UTF-8, each ended by a NUL byte

A key's leaf holds the byte offset of its replacement in the last part.

How the reference applies it (and we with it): the text is cut into extended grapheme
clusters. A cluster shorter than 6 UTF-8 bytes is looked up whole, and the *shortest*
key that is a prefix of it decides: the whole cluster becomes that key's replacement,
so a mapped first character swallows the marks after it ("Ａ\u0301" -> "A"). Otherwise,
or when no key matches, each character is looked up on its own.

Alignment follows the reference's bookkeeping: the first k characters of a replacement
stand for the first k characters they replace, one each; extra replacement characters
are inserted after them; a shorter replacement makes its last character (or, when it is
empty, the previous output character) swallow the rest. A cluster removed at the very
start of the text is recorded nowhere, so the characters after it shift onto its place,
as they do in the reference.
"""

import base64
import binascii
import struct

import regex

from .components import Memo

_CLUSTER = regex.compile(r"\X")
# What can join a character to its neighbours in a cluster; a text without any is one cluster per
# character, and takes a translate table: of t5-small's 20,000 benchmark sentences, 2,904 of the 5,140
# that are not ASCII (their \X cut took 0.09 s)
_JOINS = regex.compile("[" + "".join(rf"\p{{Grapheme_Cluster_Break={name}}}" for name in (
    "Extend", "SpacingMark", "Prepend", "ZWJ", "Regional_Indicator", "L", "V", "T", "LV", "LVT")) + r"]|\r\n")
# Marks that `regex` (Unicode 17) lets join the character before them but the reference
# (Unicode 16) does not know yet; measured over every code point after "²" with t5-small's map.
_UNKNOWN_TO_REFERENCE = regex.compile("([\u05c8\u05c9\u0b53\u0b54\u1ade\u1adf\u1aec-\u1af0])")
_MISSING = object()


class Precompiled:
    def __init__(self, charsmap, source="the Precompiled normalizer"):
        if isinstance(charsmap, str):
            text = charsmap
            try:
                charsmap = base64.b64decode(charsmap, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError(f"{source}: precompiled_charsmap is not valid base64 text; re-save the tokenizer "
                                 "with save_pretrained, or take the tokenizer.json of the original model.") from None
        else:
            charsmap = bytes(charsmap)
            text = base64.b64encode(charsmap).decode("ascii")
        self.charsmap_text = text
        if len(charsmap) < 4:
            raise ValueError(f"{source}: precompiled_charsmap is {len(charsmap)} bytes; a SentencePiece charsmap "
                             "starts with a 4-byte trie size. The file is truncated: take it again from the model.")
        size = int.from_bytes(charsmap[:4], "little")
        if size % 4 or 4 + size > len(charsmap):
            raise ValueError(f"{source}: precompiled_charsmap declares a trie of {size} bytes but holds "
                             f"{len(charsmap) - 4}; the charsmap is truncated or not a SentencePiece one. Take it "
                             "again from the model.")
        self._units = struct.unpack_from(f"<{size // 4}I", charsmap, 4)
        self._replacements = charsmap[4 + size:]
        try:
            self._replacements.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"{source}: the replacement strings of precompiled_charsmap are not UTF-8; the "
                             "charsmap is damaged. Take it again from the model.") from None
        self._cache = {}
        self._normalized_clusters = Memo(self._normalize_cluster)
        self._normalized_chars = Memo(self._normalize_code_point)  # a translate table
        # ASCII text has one-character clusters except "\r\n", so a table does it
        self._ascii = {}
        for code in range(128):
            found = self.transform(chr(code))
            if found is not None:
                self._ascii[code] = found

    def transform(self, piece):
        """The replacement of the shortest key that is a prefix of `piece`, or None."""
        found = self._cache.get(piece, _MISSING)
        if found is not _MISSING:
            return found
        units, found = self._units, None
        node = (units[0] >> 10) << ((units[0] & 512) >> 6) if units else 0
        for byte in piece.encode("utf-8"):
            if byte == 0:
                break
            node ^= byte
            if node >= len(units):
                break
            unit = units[node]
            if unit & 0x800000FF != byte:  # the unit's label must be this byte
                break
            node ^= (unit >> 10) << ((unit & 512) >> 6)
            if unit & 256:  # a key ends here: its leaf holds the replacement's offset
                if node < len(units):
                    start = units[node] & 0x7FFFFFFF
                    end = self._replacements.find(b"\0", start)
                    found = self._replacements[start:end if end >= 0 else None].decode("utf-8", "replace")
                break
        self._cache[piece] = found
        return found

    @staticmethod
    def _clusters(text):
        clusters = _CLUSTER.findall(text)
        if _UNKNOWN_TO_REFERENCE.search(text):  # each such mark is a cluster of its own there
            clusters = [part for cluster in clusters for part in _UNKNOWN_TO_REFERENCE.split(cluster) if part]
        return clusters

    def _cluster_pieces(self, cluster):
        """[(original characters, replacement or None)] of one cluster."""
        if len(cluster.encode("utf-8")) < 6:
            found = self.transform(cluster)
            if found is not None:
                return [(cluster, found)]
        return [(c, self.transform(c)) for c in cluster]

    def _normalize_cluster(self, cluster):
        return "".join(c if found is None else found for c, found in self._cluster_pieces(cluster))

    def _normalize_code_point(self, code):
        return self._normalized_clusters[chr(code)]

    def _pieces(self, text):
        """(original characters, replacement or None) in order, as the reference cuts the text."""
        for cluster in self._clusters(text):
            yield from self._cluster_pieces(cluster)

    def normalize_str(self, text):
        if text.isascii() and "\r\n" not in text:
            return text.translate(self._ascii) if self._ascii else text
        if not _JOINS.search(text):
            return text.translate(self._normalized_chars)
        return "".join(map(self._normalized_clusters.__getitem__, self._clusters(text)))

    def normalize_aligned(self, text):
        steps = []  # [character, change]: 0 stands for one original character, 1 is inserted, -n also swallows n
        for old, new in self._pieces(text):
            if new is None:
                steps.append([old, 0])
                continue
            steps += [[c, 0] for c in new]
            diff = len(new) - len(old)
            if diff > 0:
                for step in steps[-diff:]:
                    step[1] = 1
            elif diff < 0 and steps:
                steps[-1][1] += diff
        out, align, position = [], [], 0  # position: the next original character to stand for
        for c, change in steps:
            if change > 0:
                align.append((position - 1, position) if position else (0, 0))
            else:
                align.append((position, position + 1))
                position += 1 - change
            out.append(c)
        return "".join(out), align

    def to_dict(self):
        return {"type": "Precompiled", "precompiled_charsmap": self.charsmap_text}

    @classmethod
    def from_dict(cls, spec, source="tokenizer.json"):
        charsmap = spec.get("precompiled_charsmap")
        if not isinstance(charsmap, str):
            raise ValueError(f"{source}: the Precompiled normalizer needs \"precompiled_charsmap\", the base64 text "
                             f"of a SentencePiece charsmap; found {type(charsmap).__name__}.")
        return cls(charsmap, source)
