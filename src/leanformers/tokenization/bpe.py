"""The BPE model of GPT-2, RoBERTa and BART, and its files (vocab.json, merges.txt).

BPE merges the adjacent pair of symbols with the best rank until no ranked pair is
left. With a byte-level pre-tokenizer the symbols are the stand-in characters of a
word's UTF-8 bytes; byte_level.py explains them, and keeps the byte-level stages.
"""

import heapq
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


class BPE:
    """Byte-pair encoding: merge the adjacent pair with the best (lowest) rank until none is left.

    `vocab` maps token -> id, `merges` is the ordered list of (left, right) pairs. With
    `byte_level` set (the pre-tokenizer is ByteLevel) words arrive as text and are turned
    into stand-in characters here; offsets are then still in characters of the text.
    The per-word cache lives in `core.Tokenizer`, keyed by the word's text.

    The tokenizer.json options, as the reference applies them:
    `continuing_subword_prefix` is put before every character but the first of a word
    (and cut from the right side of a merge: "a" + "##b" -> "ab" with prefix "##"),
    `end_of_word_suffix` after the last; `byte_fallback` turns a character without a
    token into its UTF-8 bytes as `<0xXX>` tokens (when all of them are in the
    vocabulary); `fuse_unk` makes a run of unknown characters one `unk_token`;
    `ignore_merges` gives a word that is itself a token that token, without merging.
    """

    def __init__(self, vocab, merges, unk_token=None, byte_level=False, source="the BPE model", **options):
        check_vocab(vocab, source)
        unknown = sorted(set(options) - set(_OPTION_DEFAULTS))
        if unknown:
            raise BPEError(f"{source!r} sets BPE options that leanformers does not know: {unknown}. Supported: "
                           f"{sorted(_OPTION_DEFAULTS)}.")
        if options.get("dropout") is not None:
            raise BPEError(f"{source!r} sets the BPE dropout to {options['dropout']!r}: leanformers does not support "
                           "dropout (it encodes deterministically). Set \"dropout\": null.")
        # tokenizer.json's own spelling of the options (null or ""), written back as read
        self.options = {**_OPTION_DEFAULTS, **options}
        continuing_subword_prefix, end_of_word_suffix = (options.get("continuing_subword_prefix"),
                                                         options.get("end_of_word_suffix"))
        self.vocab = vocab
        self.id_to_token_map = {i: t for t, i in vocab.items()}
        self.merges = list(merges)
        self.prefix = continuing_subword_prefix or ""
        self.suffix = end_of_word_suffix or ""
        cut = len(self.prefix)
        self.ranks = {}  # (left, right) -> (rank, merged token)
        for rank, (a, b) in enumerate(self.merges):
            merged = a + b[cut:]
            for token in (a, b, merged):
                if token not in vocab:
                    raise BPEError(f"The merge {a!r} + {b!r} (rank {rank}) of {source!r} needs the token {token!r}, "
                                   "which is not in the vocabulary; vocab.json and merges.txt must come from the "
                                   "same tokenizer.")
            self.ranks.setdefault((a, b), (rank, merged))
        if unk_token is not None and unk_token not in vocab:
            raise BPEError(f"The unk_token {unk_token!r} of {source!r} is not in its vocabulary; add it or drop it.")
        self.unk_token = unk_token
        self.byte_level = byte_level
        self.fuse_unk = bool(options.get("fuse_unk"))
        self.byte_fallback = bool(options.get("byte_fallback"))
        self.ignore_merges = bool(options.get("ignore_merges"))
        self._byte_tokens = [f"<0x{b:02X}>" for b in range(256)]

    @classmethod
    def from_files(cls, vocab_file, merges_file, **kwargs):
        return cls(read_vocab_json(vocab_file), read_merges_txt(merges_file),
                   source=f"{vocab_file} + {merges_file}", **kwargs)

    # --- the interface core.Tokenizer uses

    def tokenize(self, word):
        """word -> (ids, tokens, offsets), offsets as (start, end) characters of `word`."""
        chars = to_byte_chars(word) if self.byte_level else word
        vocab = self.vocab
        if self.ignore_merges and chars in vocab:
            tokens, spans = [chars], [(0, len(chars))] if self.byte_level else [(0, len(word.encode("utf-8")))]
        else:
            tokens, spans = self.merge_word(self._symbols(chars))
        if not word.isascii():  # spans are in UTF-8 bytes: a token holding part of a character gets all of it
            char_of_byte = [i for i, c in enumerate(word) for _ in c.encode("utf-8")]
            spans = [(char_of_byte[s], char_of_byte[e - 1] + 1) if e > s else (char_of_byte[s], char_of_byte[s])
                     for s, e in spans]
        return tuple(vocab[t] for t in tokens), tuple(tokens), tuple(spans)

    def token_to_id(self, token):
        return self.vocab.get(token)

    def id_to_token(self, token_id):
        return self.id_to_token_map.get(token_id)

    def vocab_size(self):
        return len(self.vocab)

    def get_vocab(self):
        return self.vocab

    # --- the algorithm

    def _symbols(self, chars):
        """The word's first symbols as (tokens, spans in UTF-8 bytes): one per character (with
        the prefix / suffix), `<0xXX>` bytes or `unk_token` for characters without a token.
        Without an unk_token such a character is dropped and, as in the reference, takes no
        room: the positions of the symbols after it are counted without it."""
        vocab, prefix, suffix, unk = self.vocab, self.prefix, self.suffix, self.unk_token
        if not prefix and not suffix and all(c in vocab for c in chars):  # the common case
            if chars.isascii() or self.byte_level:
                return list(chars), [(i, i + 1) for i in range(len(chars))]
        tokens, spans, pos = [], [], 0
        last = len(chars) - 1
        for i, c in enumerate(chars):
            size = 1 if c.isascii() or self.byte_level else len(c.encode("utf-8"))
            piece = (prefix + c if i and prefix else c) + (suffix if i == last else "")
            if piece in vocab:
                tokens.append(piece)
                spans.append((pos, pos + size))
                pos += size
                continue
            if self.byte_fallback:
                pieces = [self._byte_tokens[b] for b in c.encode("utf-8")]
                if all(p in vocab for p in pieces):
                    tokens += pieces
                    spans += [(pos + k, pos + k + 1) for k in range(len(pieces))]
                    pos += size
                    continue
            if unk is None:
                continue
            if self.fuse_unk and tokens and tokens[-1] == unk and spans[-1][1] == pos:
                spans[-1] = (spans[-1][0], pos + size)
            else:
                tokens.append(unk)
                spans.append((pos, pos + size))
            pos += size
        return tokens, spans

    def merge_word(self, symbols):
        """BPE on (tokens, spans) -> (tokens, spans) merged.

        The trick: instead of scanning the whole word for its best pair after every merge
        (quadratic: a SentencePiece-style sentence reaches BPE as one long word), the
        symbols form a doubly linked list and the candidate pairs sit in a heap keyed
        (rank, position), so the pop is the lowest rank, leftmost on ties, as the
        reference merges. A merge changes only the pairs with its two neighbours: those
        are pushed, and entries made stale by earlier merges are recognised when popped
        (the pair at that position is no longer the one recorded) and dropped.
        """
        tokens, spans = symbols
        n = len(tokens)
        if n < 2:
            return tokens, spans
        ranks = self.ranks
        tokens, spans = list(tokens), list(spans)
        nxt = list(range(1, n + 1))
        prev = list(range(-1, n - 1))
        heap = []
        for i in range(n - 1):
            found = ranks.get((tokens[i], tokens[i + 1]))
            if found is not None:
                heap.append((found[0], i, i + 1))
        if not heap:
            return tokens, spans
        heapq.heapify(heap)
        pop, push = heapq.heappop, heapq.heappush
        alive = [True] * n
        while heap:
            rank, i, j = pop(heap)
            if not alive[i] or nxt[i] != j or not alive[j]:
                continue
            found = ranks.get((tokens[i], tokens[j]))
            if found is None or found[0] != rank:  # tokens[i] grew since: stale entry
                continue
            tokens[i] = found[1]
            spans[i] = (spans[i][0], spans[j][1])
            alive[j] = False
            k = nxt[j]
            nxt[i] = k
            if k < n:
                prev[k] = i
                after = ranks.get((tokens[i], tokens[k]))
                if after is not None:
                    push(heap, (after[0], i, k))
            h = prev[i]
            if h >= 0:
                before = ranks.get((tokens[h], tokens[i]))
                if before is not None:
                    push(heap, (before[0], h, i))
        keep = [i for i in range(n) if alive[i]]
        return [tokens[i] for i in keep], [spans[i] for i in keep]

    # --- files

    def vocabulary_files(self):
        """{file name: text} of vocab.json and merges.txt, written as the reference writes them."""
        return {"vocab.json": json.dumps(self.vocab, ensure_ascii=False) + "\n",
                "merges.txt": "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in self.merges)}

    def to_dict(self):
        return {"type": "BPE", "unk_token": self.unk_token, **self.options, "vocab": self.vocab,
                "merges": [list(m) for m in self.merges]}

    @classmethod
    def from_dict(cls, spec, source="tokenizer.json"):
        vocab = spec.get("vocab")
        check_vocab(vocab, f"{source} (model.vocab)")
        options = {k: v for k, v in spec.items() if k not in ("type", "vocab", "merges", "unk_token")}
        return cls(vocab, parse_merges(spec.get("merges", []), source), spec.get("unk_token"), source=source,
                   **options)


# the tokenizer.json BPE options and the values written for a model made from vocab.json + merges.txt
_OPTION_DEFAULTS = {"dropout": None, "continuing_subword_prefix": "", "end_of_word_suffix": "",
                    "fuse_unk": False, "byte_fallback": False, "ignore_merges": False}
