"""The stage chain that turns one text into token ids: `Tokenizer`.

One `Tokenizer.encode` call, in order:

1. added tokens: `AddedVocabulary.split` cuts the raw text around added tokens whose
   `normalized` flag is False (e.g. "[CLS]"): those pieces become tokens as they are
   and are never split further.
2. normalizer: each remaining piece goes through `normalizer.normalize_str(text) -> str`,
   or `normalizer.normalize_aligned(text) -> (str, align)` when offsets are asked for.
   `align[i]` is the `(start, end)` range of original characters (relative to the piece)
   that normalized character `i` came from.
3. added tokens again: normalized added tokens (`normalized=True`) are matched in the
   normalized text; their token string is the matched normalized text.
4. pre_tokenizer: `pre_tokenizer.split(text) -> list[str]` cuts normalized text into
   words; `pre_tokenizer.split_aligned(text) -> list[(word, start, end, char_align)]`
   also gives the word's range in `text`. A pre-tokenizer may rewrite the word
   (byte-level BPE maps bytes to printable characters): `char_align` is then a list of
   `(start, end)` ranges in `text`, one per character of `word`; it is None when `word`
   is exactly `text[start:end]`.
5. model: `model.tokenize(word) -> (ids, tokens, offsets)`, three tuples, offsets
   relative to `word`. The results are cached per word string, so a word seen before
   costs one dict look-up; models must be deterministic in `word`.
6. truncation (`truncate`), then post-processor:
   `post_processor.process(a, b, add_special_tokens) -> Encoding` merges the encodings
   of the first and the optional second sequence, adding special tokens (word id None,
   offsets (0, 0), special_tokens_mask 1) and setting type ids and sequence ids;
   `post_processor.num_special_tokens_to_add(is_pair) -> int` says how many it adds.
   Without a post-processor the sequences are concatenated as they are.
7. decoder (for decode only): `decoder.decode(tokens: list[str]) -> str`.

Offsets are character offsets into the original text (into each word for
pre-tokenized input, as transformers does). They are computed only when asked
for; ids, tokens and word ids always are. Every word of a sequence, added tokens
included, gets the next word id.
"""

import re
from dataclasses import dataclass
from itertools import chain

# Rust's char::is_whitespace, the set the reference uses to strip around added tokens
_WHITESPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


@dataclass(frozen=True)
class AddedToken:
    """A token added on top of the model's vocabulary; never split by the model."""
    content: str
    single_word: bool = False  # match only when not glued to word characters
    lstrip: bool = False       # also swallow the whitespace on its left
    rstrip: bool = False       # ... and on its right
    normalized: bool = True    # match against normalized text (False: raw text)
    special: bool = False      # skipped by decode(skip_special_tokens=True)

    def __str__(self):
        return self.content


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


class AddedVocabulary:
    """Added tokens and the two regexes that find them (raw text / normalized text)."""

    def __init__(self):
        self.tokens = {}  # id -> AddedToken
        self.ids = {}     # content -> id
        self.text = {}   # id -> token string (normalized tokens show their normalized content)
        self._raw_pattern = None
        self._normalized_pattern = None

    def add(self, token, token_id):
        self.tokens[token_id] = token
        self.ids[token.content] = token_id

    def compile(self, normalizer):
        """Rebuild the matching regexes; call after adding tokens."""
        raw = [t for t in self.tokens.values() if not t.normalized]
        normed = [t for t in self.tokens.values() if t.normalized]
        self._raw_pattern = _added_pattern(raw, lambda s: s, self.ids)
        norm = normalizer.normalize_str if normalizer is not None else (lambda s: s)
        self._normalized_pattern = _added_pattern(normed, norm, self.ids)
        self.text = {i: norm(t.content) if t.normalized else t.content for i, t in self.tokens.items()}

    def split(self, text, normalized):
        """Cut `text` around added tokens: a list of (text, start, end, added_id), where
        added_id is None for plain text and, for an added token, text is all that matched,
        the whitespace an lstrip/rstrip token swallowed included (the reference's token
        string; byte-level offset trimming then drops that whitespace again).
        Returns None when no added token occurs (the common case)."""
        found = self._normalized_pattern if normalized else self._raw_pattern
        if found is None:
            return None
        pattern, group_ids, first_chars = found
        if not first_chars.search(text):  # cheap test that usually settles it
            return None
        pieces, pos = [], 0
        for m in pattern.finditer(text):
            start, end = m.span()
            if start > pos:
                pieces.append((text[pos:start], pos, start, None))
            pieces.append((m.group(), start, end, group_ids[m.lastindex]))
            pos = end
        if not pieces:
            return None
        if pos < len(text):
            pieces.append((text[pos:], pos, len(text), None))
        return pieces


def _added_pattern(tokens, norm, ids):
    """One regex matching any of `tokens` (longest first, so the longest wins at a
    position), with their strip/word rules, and the token id of each capture group."""
    if not tokens:
        return None
    alternatives, group_ids = [], [None]
    firsts = {norm(t.content)[:1] for t in tokens}
    # the longest wins at a position; between equal texts, the smallest id
    for t in sorted(tokens, key=lambda t: (-len(norm(t.content)), ids[t.content])):
        body = re.escape(norm(t.content))
        if t.single_word:
            body = rf"(?<!\w){body}(?!\w)"
        left = f"[{_WHITESPACE}]*" if t.lstrip else ""
        right = f"[{_WHITESPACE}]*" if t.rstrip else ""
        alternatives.append(f"{left}({body}){right}")
        group_ids.append(ids[t.content])
    first_chars = re.compile("|".join(re.escape(f) for f in sorted(firsts)))
    return re.compile("|".join(alternatives)), group_ids, first_chars


class Tokenizer:
    """normalizer -> pre_tokenizer -> model -> post_processor (+ decoder), with added tokens."""

    def __init__(self, model, normalizer=None, pre_tokenizer=None, post_processor=None, decoder=None):
        self.model = model
        self.normalizer = normalizer
        self.pre_tokenizer = pre_tokenizer
        self.post_processor = post_processor
        self.decoder = decoder
        self.added = AddedVocabulary()
        self.generation = 0  # counts the changes to the added tokens (see `refresh`)
        self._cache = {}    # word -> ids from the model
        self._details = {}  # word -> (tokens, offsets) from the model

    # ---- vocabulary -------------------------------------------------------------------
    def add_tokens(self, tokens):
        """Add AddedToken objects. A content already added keeps its id (its flags are
        replaced); a content of the model's vocabulary keeps the model's id. Returns how
        many of `tokens` changed the added vocabulary, as the reference counts."""
        changed = 0
        for token in tokens:
            token_id = self.added.ids.get(token.content)
            if token_id is not None:
                if self.added.tokens[token_id] != token:
                    self.added.add(token, token_id)
                    changed += 1
                continue
            token_id = self.model.token_to_id(token.content)
            if token_id is None:
                token_id = self.get_vocab_size(with_added_tokens=True)
            self.added.add(token, token_id)
            changed += 1
        if changed:  # results of earlier calls stay readable after a no-op (e.g. setting the same pad token)
            self.refresh()
        return changed

    def refresh(self):
        """Recompile added-token matching (after changing tokens or the normalizer)."""
        self.added.compile(self.normalizer)
        self._cache, self._details = {}, {}  # new dicts: pending encodings keep the old details
        self.generation += 1

    def get_vocab_size(self, with_added_tokens=True):
        size = self.model.vocab_size()
        if with_added_tokens:
            extra = [i for i in self.added.tokens if i >= size]
            size = max([size - 1] + extra) + 1
        return size

    def token_to_id(self, token):
        token_id = self.added.ids.get(token)
        return token_id if token_id is not None else self.model.token_to_id(token)

    def id_to_token(self, token_id):
        token = self.added.text.get(token_id)
        return token if token is not None else self.model.id_to_token(token_id)

    def get_vocab(self, with_added_tokens=True):
        vocab = dict(self.model.get_vocab())
        if with_added_tokens:
            vocab.update(self.added.ids)
        return vocab

    # ---- encoding ---------------------------------------------------------------------
    def encode_raw(self, text, with_offsets=False, is_pretokenized=False):
        """Encoding of one sequence without special tokens. `text` is a str, or a list
        of words when `is_pretokenized` (each word then is its own word id)."""
        if not is_pretokenized:
            return self._encode_words([text], with_offsets, word_per_piece=True)
        return self._encode_words(text, with_offsets, word_per_piece=False)

    def _encode_words(self, texts, with_offsets, word_per_piece):
        """Encode each text of `texts`; word ids count pieces (word_per_piece) or are
        the index of the text (pre-tokenized input)."""
        ids, groups = [], []
        offsets = [] if with_offsets else None
        word = -1
        for text_index, text in enumerate(texts):
            segments = self.added.split(text, normalized=False) or ((text, 0, 0, None),)
            for segment, seg_start, seg_end, added_id in segments:
                if added_id is None:
                    word = self._encode_segment(segment, seg_start, offsets, word_per_piece, text_index, word,
                                                ids, groups)
                    continue
                word = word + 1 if word_per_piece else text_index
                ids.append(added_id)
                groups += ((segment,), word, None)
                if with_offsets:
                    offsets.append((seg_start, seg_end))
        return Encoding(ids, offsets=offsets, deferred=(_fill_words, groups, self._details))

    def _encode_segment(self, segment, seg_start, offsets, word_per_piece, text_index, word, ids, groups):
        """Normalize, pre-tokenize and tokenize one piece of text free of raw added
        tokens, appending ids to `ids` and the triple words, first word id, whether
        each word has its own id to `groups` (see `_fill_words`). Returns the last word id used."""
        normalizer, pre_tokenizer = self.normalizer, self.pre_tokenizer
        if offsets is None:
            text, align = (normalizer.normalize_str(segment) if normalizer is not None else segment), None
        elif normalizer is not None:
            text, align = normalizer.normalize_aligned(segment)
        else:
            text, align = segment, None
        parts = self.added.split(text, normalized=True) or ((text, 0, len(text), None),)
        for part, part_start, part_end, added_id in parts:
            if added_id is not None:
                word = word + 1 if word_per_piece else text_index
                ids.append(added_id)
                groups += ((part,), word, None)
                if offsets is not None:
                    offsets.append(_to_original(align, part_start, part_end, seg_start))
                continue
            if offsets is None:
                words = pre_tokenizer.split(part) if pre_tokenizer is not None else [part]
                self._extend_ids(ids, words)
            else:
                aligned = pre_tokenizer.split_aligned(part) if pre_tokenizer is not None else [(part, 0, len(part), None)]
                words = [w for w, _, _, _ in aligned]
                self._extend_ids(ids, words)
                details = self._details
                for w, start, _, char_align in aligned:
                    base = part_start + start
                    for a, b in details[w][1]:
                        if char_align is not None:  # rewritten word: map through its alignment
                            a, b = char_align[a][0] - start, char_align[b - 1][1] - start
                        offsets.append(_to_original(align, base + a, base + b, seg_start))
            if word_per_piece:
                groups += (words, word + 1, True)
                word += len(words)
            else:
                word = text_index
                groups += (words, word, False)
        return word

    def _extend_ids(self, ids, words):
        """Append the ids of `words` to `ids`. Words seen before (nearly all of them) cost one
        dict look-up made from C; the first unseen word sends them through the model."""
        n = len(ids)
        try:
            ids += chain.from_iterable(map(self._cache.__getitem__, words))  # one ids tuple per word
        except KeyError:
            del ids[n:]
            get, miss = self._cache.get, self._tokenize_word
            ids += chain.from_iterable([get(w) or miss(w) for w in words])

    def _tokenize_word(self, word):
        ids, tokens, offsets = self.model.tokenize(word)
        self._details[word] = (tokens, offsets)
        self._cache[word] = ids
        return ids

    def encode(self, text, pair=None, add_special_tokens=True, with_offsets=False,
               is_pretokenized=False, truncation=None):
        """Full encoding of a text (and optional pair). `truncation` is None or a dict
        with max_length, strategy, stride, direction (as `truncate` takes them)."""
        a = self.encode_raw(text, with_offsets, is_pretokenized)
        b = self.encode_raw(pair, with_offsets, is_pretokenized) if pair is not None else None
        if truncation is not None:
            n_special = self.num_special_tokens_to_add(b is not None) if add_special_tokens else 0
            truncate(a, b, truncation["max_length"] - n_special, truncation["strategy"],
                     truncation["stride"], truncation["direction"])
        return self.post_process(a, b, add_special_tokens)

    def num_special_tokens_to_add(self, is_pair):
        if self.post_processor is None:
            return 0
        return self.post_processor.num_special_tokens_to_add(is_pair)

    def post_process(self, a, b=None, add_special_tokens=True):
        """Add special tokens; overflowing windows are processed the same way and, for
        pairs, combined as the reference does (every window of one with the other)."""
        process = self._process_one
        out = process(a, b, add_special_tokens)
        if b is None:
            if a.overflowing:  # otherwise keep the shared empty tuple
                out.overflowing = [process(o, None, add_special_tokens) for o in a.overflowing]
            return out
        overflowing = []
        for a_o in a.overflowing:
            overflowing.append(process(a_o, b, add_special_tokens))
            overflowing += [process(a_o, b_o, add_special_tokens) for b_o in b.overflowing]
        overflowing += [process(a, b_o, add_special_tokens) for b_o in b.overflowing]
        out.overflowing = overflowing
        return out

    def _process_one(self, a, b, add_special_tokens):
        if self.post_processor is not None:
            return self.post_processor.process(a, b, add_special_tokens)
        if b is None:
            return a
        b.sequence_ids = [1] * len(b)
        b.type_ids = [1] * len(b)  # the reference's type id for a pair without a template
        return merge([a, b])

    def decode(self, ids, skip_special_tokens=False):
        tokens = []
        for token_id in ids:
            added = self.added.tokens.get(token_id)
            if added is not None:
                if skip_special_tokens and added.special:
                    continue
                tokens.append(self.added.text[token_id])
            else:
                token = self.model.id_to_token(token_id)
                if token is not None:
                    tokens.append(token)
        if self.decoder is None:
            return " ".join(tokens)
        return self.decoder.decode(tokens)


def _fill_words(e, groups, details):
    """Deferred step of a raw encoding: tokens and word ids from the words' model results.
    `groups` is a flat list of triples (one object fewer per group than a list of
    tuples): words, first word id, whether each word has its own id; or, for an added
    token, (token,), word id, None."""
    tokens, word_ids = [], []
    triples = iter(groups)
    for words, first, one_id_per_word in zip(triples, triples, triples):
        if one_id_per_word is None:
            tokens += words
            word_ids.append(first)
            continue
        word_tokens = [details[w][0] for w in words]
        tokens += chain.from_iterable(word_tokens)
        if one_id_per_word:
            word_ids += [i for i, t in enumerate(word_tokens, first) for _ in t]
        else:
            word_ids += [first] * sum(map(len, word_tokens))
    n = len(tokens)
    e._tokens, e._word_ids, e._special_tokens_mask, e._sequence_ids = tokens, word_ids, [0] * n, [0] * n


def _to_original(align, start, end, shift):
    """Map a [start, end) range of normalized text to original characters."""
    if align is None:
        return (start + shift, end + shift)
    if start >= end:  # empty token: anchor at the position it sits in
        pos = align[start][0] if start < len(align) else (align[-1][1] if align else 0)
        return (pos + shift, pos + shift)
    return (align[start][0] + shift, align[end - 1][1] + shift)


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
