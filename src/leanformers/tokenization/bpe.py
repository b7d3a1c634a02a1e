"""The BPE model of GPT-2, RoBERTa and BART, and its files (vocab.json, merges.txt).

BPE merges the adjacent pair of symbols with the best rank until no ranked pair is
left. With a byte-level pre-tokenizer the symbols are the stand-in characters of a
word's UTF-8 bytes; byte_level.py explains them, and keeps the byte-level stages.
"""

import json

from ..utils.files import read_json
from .byte_level import to_byte_chars


class BPEError(ValueError):
    """A vocab.json / merges.txt that cannot be used."""


def read_vocab_json(path):
    """Load vocab.json ({token: id}) with errors that name the file."""
    try:
        vocab = read_json(path, "vocab.json must be one JSON object mapping each token to its id.", error=BPEError,
                          expect=None)  # check_vocab says what a vocabulary of the wrong kind should look like
    except OSError as e:
        raise BPEError(f"Cannot read the BPE vocabulary file {path!r}: {e}. Pass the path of a readable "
                       "vocab.json.") from e
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

    def vocabulary_files(self):
        """{file name: text} of vocab.json and merges.txt, written as the reference writes them."""
        return {"vocab.json": json.dumps(self.vocab, ensure_ascii=False) + "\n",
                "merges.txt": "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in self.merges)}

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
