"""The SentencePiece Unigram model of tokenizer.json (T5, ALBERT, XLNet, XLM-R, ...).

A word is cut by Viterbi over its character positions, as the reference's optimized
encoder does: going through the start positions left to right, every vocabulary piece
that is a prefix of the rest of the word offers `best[start] + score` for the position
where it ends, and replaces the best path there only when strictly greater (the first
offer wins ties; prefixes are offered from shortest to longest). Where no
one-character piece matches, an unknown one-character step scoring
`min(scores) - 10` is offered too. Consecutive steps whose id is `unk_id` are fused
into one token whose string is their raw text. Each token string is then looked up in
the vocabulary; a string that is not there is unknown: with `byte_fallback` it becomes
one `<0xXX>` piece per UTF-8 byte (all with the run's offsets) when every such piece
exists, otherwise it gets `unk_id`.
"""

_UNK_PENALTY = 10.0
_MISSING = object()


class Unigram:
    """SentencePiece Unigram: `vocab` is a list of (piece, score), ids are list positions."""

    def __init__(self, vocab, unk_id=None, byte_fallback=False, source="the Unigram model"):
        vocab = [(piece, float(score)) for piece, score in vocab]
        if not vocab:
            raise ValueError(f"{source}: the Unigram vocabulary is empty; it needs at least one [piece, score] pair.")
        if unk_id is not None and not (isinstance(unk_id, int) and not isinstance(unk_id, bool)
                                       and 0 <= unk_id < len(vocab)):
            raise ValueError(f"{source}: the Unigram unk_id {unk_id!r} is not the id of a piece of its vocabulary "
                             f"(ids 0..{len(vocab) - 1}).")
        for piece, _ in vocab:
            if not isinstance(piece, str):
                raise ValueError(f"{source}: the Unigram vocabulary has the piece {piece!r}; pieces must be strings.")
        self.vocab = vocab
        self.unk_id = unk_id
        self.byte_fallback = bool(byte_fallback)
        self.source = source
        ids = {}
        for i, (piece, _) in enumerate(vocab):
            ids[piece] = i  # as the reference: a repeated piece gets its last id
        self._ids = ids
        self._min_score = min(score for _, score in vocab)
        # every prefix of every piece -> (id, score) when it is a piece, None when only a prefix
        prefixes = {}
        for piece, i in ids.items():
            for end in range(1, len(piece)):
                prefixes.setdefault(piece[:end], None)
            if piece:
                prefixes[piece] = (i, vocab[i][1])
        self._prefixes = prefixes
        self._bytes = {}
        if self.byte_fallback:
            for b in range(256):
                tid = ids.get(f"<0x{b:02X}>")
                if tid is not None:
                    self._bytes[b] = tid

    # ---- vocabulary -------------------------------------------------------------------
    def token_to_id(self, token):
        return self._ids.get(token)

    def id_to_token(self, token_id):
        if isinstance(token_id, int) and 0 <= token_id < len(self.vocab):
            return self.vocab[token_id][0]
        return None

    def vocab_size(self):
        return len(self.vocab)

    def get_vocab(self):
        return dict(self._ids)

    # ---- encoding ---------------------------------------------------------------------
    def _pieces(self, word):
        """The reference's Viterbi: [(start, end)] of the best path's pieces, unknown runs fused."""
        n = len(word)
        prefixes, missing, unk_id = self._prefixes, _MISSING, self.unk_id
        unk_score = self._min_score - _UNK_PENALTY
        score = [0.0] * (n + 1)
        back = [-1] * (n + 1)  # start of the best piece ending here (-1: none yet)
        back_id = [0] * (n + 1)
        for start in range(n):
            here = score[start]
            single = False
            end = start + 1
            while end <= n:
                info = prefixes.get(word[start:end], missing)
                if info is missing:
                    break
                if info is not None:
                    candidate = here + info[1]
                    if back[end] < 0 or candidate > score[end]:
                        score[end], back[end], back_id[end] = candidate, start, info[0]
                    if end == start + 1:
                        single = True
                end += 1
            if not single:
                if unk_id is None:
                    raise ValueError(f"{self.source}: the Unigram model has no unk_id, so it cannot encode "
                                     f"{word[start]!r}, which no piece of its vocabulary covers.")
                end = start + 1
                candidate = here + unk_score
                if back[end] < 0 or candidate > score[end]:
                    score[end], back[end], back_id[end] = candidate, start, unk_id
        spans = []
        end = n
        run_end = -1  # end of the pending run of unknown steps
        while end > 0:
            start = back[end]
            if unk_id is not None and back_id[end] == unk_id:
                if run_end < 0:
                    run_end = end
            else:
                if run_end >= 0:
                    spans.append((end, run_end))
                    run_end = -1
                spans.append((start, end))
            end = start
        if run_end >= 0:
            spans.append((0, run_end))
        spans.reverse()
        return spans

    def tokenize(self, word):
        """(ids, tokens, offsets) of one word; offsets are (start, end) in characters of `word`."""
        if not word:
            return (), (), ()
        ids, tokens, offsets = [], [], []
        lookup = self._ids
        for start, end in self._pieces(word):
            text = word[start:end]
            tid = lookup.get(text)
            if tid is None:
                if self.byte_fallback:
                    data = text.encode("utf-8")
                    byte_ids = [self._bytes.get(b) for b in data]
                    if None not in byte_ids:
                        ids += byte_ids
                        tokens += [f"<0x{b:02X}>" for b in data]
                        offsets += [(start, end)] * len(data)
                        continue
                tid = self.unk_id
                if tid is None:
                    raise ValueError(f"{self.source}: the Unigram model has no unk_id, so it cannot encode "
                                     f"{text!r}.")
            ids.append(tid)
            tokens.append(text)
            offsets.append((start, end))
        return tuple(ids), tuple(tokens), tuple(offsets)

    # ---- tokenizer.json ---------------------------------------------------------------
    def to_dict(self):
        return {"type": "Unigram", "unk_id": self.unk_id, "vocab": [[piece, score] for piece, score in self.vocab],
                "byte_fallback": self.byte_fallback}

    @classmethod
    def from_dict(cls, spec, source="tokenizer.json"):
        if not isinstance(spec, dict):
            raise ValueError(f"{source}: the Unigram model must be a JSON object, found {type(spec).__name__}.")
        vocab = spec.get("vocab")
        if not isinstance(vocab, list):
            raise ValueError(f"{source}: the Unigram model needs a \"vocab\" list of [piece, score] pairs, found "
                             f"{type(vocab).__name__}.")
        pairs = []
        for n, item in enumerate(vocab):
            if (not isinstance(item, (list, tuple)) or len(item) != 2 or not isinstance(item[0], str)
                    or isinstance(item[1], bool) or not isinstance(item[1], (int, float))):
                raise ValueError(f"{source}: entry {n} of the Unigram vocab is {item!r}; each entry must be a "
                                 "[piece, score] pair, like [\"\u2581the\", -3.1].")
            pairs.append((item[0], item[1]))
        return cls(pairs, spec.get("unk_id"), spec.get("byte_fallback", False), source=source)
