"""The encoding of a sequence (`Encoding`), and how it is cut (`truncate`) and joined (`merge`).

An encoding holds parallel per-token lists: ids, type ids, offsets, tokens, word ids,
the special-tokens mask, sequence ids and, after padding, the attention mask. A batch
creates many of them and most callers read only the ids, so the other fields can be
deferred (see `Encoding`). The stage chain that fills them is core.py's `Tokenizer`.
"""


class Encoding:
    """The encoding of one sequence (or a merged pair): parallel per-token lists.

    `ids` is always built; `type_ids` too, except the all-zero type ids of a raw
    encoding, built on first access. `tokens`, `word_ids`, `special_tokens_mask` and
    `sequence_ids` may be deferred: `deferred` is then one step `(function, *args)`,
    called as `function(encoding, *args)` on first access to fill them in, so a call
    that only returns ids never builds them. `defer(function, *args)` adds a step (or
    runs it at once when nothing is pending).

    A batch creates a few of these per text, and every list, tuple and object that
    holds others is one more thing for Python's cycle collector to walk after the
    call; so steps are plain tuples (not partials in a list) and an encoding without
    overflow shares one empty tuple."""
    __slots__ = ("ids", "_type_ids", "offsets", "_attention_mask", "overflowing", "_tokens", "_word_ids",
                 "_special_tokens_mask", "_sequence_ids", "_deferred")

    def __init__(self, ids, tokens=None, word_ids=None, offsets=None, type_ids=None,
                 special_tokens_mask=None, sequence_ids=None, deferred=None):
        self.ids = ids
        self._type_ids = type_ids  # None: all zeros, built when read
        self.offsets = offsets  # list of (start, end), or None when not computed
        self._attention_mask = None  # set by padding; None: all ones
        self.overflowing = ()  # encodings of the windows cut off by truncation
        self._deferred = deferred
        if deferred is None:
            n = len(ids)
            self._tokens = tokens
            self._word_ids = word_ids
            self._special_tokens_mask = special_tokens_mask if special_tokens_mask is not None else [0] * n
            self._sequence_ids = sequence_ids if sequence_ids is not None else [0] * n

    @property
    def type_ids(self):
        if self._type_ids is None:
            self._type_ids = [0] * len(self.ids)
        return self._type_ids

    @type_ids.setter
    def type_ids(self, value):
        self._type_ids = value

    @property
    def attention_mask(self):
        return [1] * len(self.ids) if self._attention_mask is None else self._attention_mask

    @attention_mask.setter
    def attention_mask(self, value):
        self._attention_mask = value

    def _resolve(self):
        step, self._deferred = self._deferred, None
        step[0](self, *step[1:])

    def defer(self, function, *args):
        if self._deferred is None:
            function(self, *args)
        else:
            self._deferred = (_in_turn, self._deferred, (function, *args))

    def _field(name):  # noqa: N805 - builds the properties below
        slot = "_" + name

        def get(self):
            if self._deferred is not None:
                self._resolve()
            return getattr(self, slot)

        def set_(self, value):
            if self._deferred is not None:
                self._resolve()
            setattr(self, slot, value)
        return property(get, set_)

    tokens = _field("tokens")
    word_ids = _field("word_ids")
    special_tokens_mask = _field("special_tokens_mask")
    sequence_ids = _field("sequence_ids")
    del _field

    def __len__(self):
        return len(self.ids)

    def slice(self, start, stop):
        """Tokens start..stop as a new encoding; its deferred fields are cut from this
        encoding's when first read (truncation cuts many windows nobody reads)."""
        return Encoding(self.ids[start:stop], offsets=None if self.offsets is None else self.offsets[start:stop],
                        type_ids=None if self._type_ids is None else self._type_ids[start:stop],
                        deferred=(_slice_of, self, start, stop))

    def _moved(self):
        """A new encoding holding this one's state (so this one can become something else)."""
        out = Encoding.__new__(Encoding)
        for slot in Encoding.__slots__:
            if hasattr(self, slot):
                setattr(out, slot, getattr(self, slot))
        return out

    def truncate(self, max_length, stride=0, direction="right"):
        """Keep `max_length` tokens; the rest goes to `overflowing` as windows of
        `max_length` tokens that overlap their neighbour by `stride` tokens."""
        n = len(self.ids)
        if max_length >= n:
            return
        if max_length == 0:
            cut = self._moved()
            self.__init__([], [], [], None if self.offsets is None else [], [], [], [])
            self.overflowing = [cut]
            return
        if stride >= max_length:
            raise ValueError(f"`stride` ({stride}) must be smaller than the truncated length "
                             f"({max_length}); lower stride or raise max_length.")
        step = max_length - stride
        windows = []
        for begin in range(0, n, step):
            end = min(begin + max_length, n)
            windows.append((begin, end) if direction == "right" else (n - end, n - begin))
            if end == n:
                break
        whole = self._moved()
        first = whole.slice(*windows[0])
        self.ids, self._type_ids, self.offsets = first.ids, first._type_ids, first.offsets
        self._deferred = first._deferred
        self.overflowing = [whole.slice(a, b) for a, b in windows[1:]]


def _in_turn(e, first, second):
    """Deferred step running two steps in order (padding after a pending fill)."""
    first[0](e, *first[1:])
    second[0](e, *second[1:])


def _slice_of(e, source, start, stop):
    """Deferred step of a truncation window: its fields cut from the whole encoding."""
    e._tokens = source.tokens[start:stop]
    e._word_ids = source.word_ids[start:stop]
    e._special_tokens_mask = source.special_tokens_mask[start:stop]
    e._sequence_ids = source.sequence_ids[start:stop]


def merge(encodings):
    """Concatenate encodings into a new one (no overflow handling)."""
    out = Encoding([], [], [], [] if all(e.offsets is not None for e in encodings) else None, [], [], [])
    for e in encodings:
        out.ids += e.ids
        out.tokens += e.tokens
        out.word_ids += e.word_ids
        out.type_ids += e.type_ids
        out.special_tokens_mask += e.special_tokens_mask
        out.sequence_ids += e.sequence_ids
        if out.offsets is not None:
            out.offsets += e.offsets
    return out


def truncate(a, b, max_length, strategy, stride, direction):
    """Truncate encoding `a` (and pair `b`) in place so their total is `max_length`,
    moving what is cut into each one's `overflowing`. Strategies as the reference:
    'longest_first' shares the budget so the shorter keeps as much as it can,
    'only_first' / 'only_second' cut one sequence only."""
    if max_length < 0:
        raise ValueError("max_length is smaller than the number of special tokens to add")
    n_a = len(a)
    n_b = len(b) if b is not None else 0
    total = n_a + n_b
    if total <= max_length:
        return
    to_remove = total - max_length
    if strategy == "longest_first":
        if b is None:
            a.truncate(max_length, stride, direction)
            return
        short, long_ = sorted((n_a, n_b))
        if short > max_length:
            keep_short = keep_long = short
        else:
            keep_short, keep_long = short, max(short, max_length - short)
        if keep_short + keep_long > max_length:
            keep_short = max_length // 2
            keep_long = keep_short + max_length % 2
        keep_a, keep_b = (keep_long, keep_short) if n_a > n_b else (keep_short, keep_long)
        a.truncate(keep_a, stride, direction)
        b.truncate(keep_b, stride, direction)
        return
    target = a if strategy == "only_first" else b
    if target is None:
        raise ValueError("truncation='only_second' needs a pair of sequences (text_pair); "
                         "use 'longest_first' or 'only_first' for single sequences.")
    if len(target) <= to_remove:
        raise ValueError(
            f"We need to remove {to_remove} tokens to reach max_length but the sequence truncated by "
            f"{strategy!r} has only {len(target)} tokens; use truncation='longest_first' or a larger max_length.")
    target.truncate(len(target) - to_remove, stride, direction)
