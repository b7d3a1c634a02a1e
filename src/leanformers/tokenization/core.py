"""The stage chain that turns one text into token ids: `Tokenizer`.

One `Tokenizer.encode` call, in order:

1. added tokens: `AddedVocabulary.split` (added_tokens.py) cuts the raw text around added tokens whose
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
   also gives the word's range in `text`. A pre-tokenizer with `uses_position` set also takes
   `at_start`: whether the text begins the input (not after an added token), which
   Metaspace's prepend_scheme "first" needs. A pre-tokenizer may rewrite the word
   (byte-level BPE maps bytes to printable characters): `char_align` is then a list of
   `(start, end)` ranges in `text`, one per character of `word`; it is None when `word`
   is exactly `text[start:end]`.
5. model: `model.tokenize(word) -> (ids, tokens, offsets)`, three tuples, offsets
   relative to `word`. The results are cached per word string, so a word seen before
   costs one dict look-up; models must be deterministic in `word`.
6. truncation (`truncate`, encoding.py), then post-processor:
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

from itertools import chain

from .added_tokens import AddedVocabulary
from .encoding import Encoding, merge, truncate


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
        self._cache = {}    # word -> ids from the model; at most WORD_CACHE_LIMIT words (see `_encode_words`)
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
        if len(self._cache) > WORD_CACHE_LIMIT:  # start afresh; pending encodings keep the old details
            self._cache, self._details = {}, {}
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
            # a pre-tokenizer that `uses_position` (Metaspace, prepend_scheme "first") hears whether the
            # part starts the text: after an added token it does not
            where = ({"at_start": seg_start == 0 and part_start == 0}
                     if getattr(pre_tokenizer, "uses_position", False) else {})
            if offsets is None:
                words = pre_tokenizer.split(part, **where) if pre_tokenizer is not None else [part]
                self._extend_ids(ids, words)
            else:
                aligned = (pre_tokenizer.split_aligned(part, **where) if pre_tokenizer is not None
                           else [(part, 0, len(part), None)])
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
        check_ids(ids, "decode")
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


# Words whose model results are kept. The benchmark corpus has 9,335 (Llama-3) to 24,445 (t5-small)
# distinct words, so it never reaches the limit; 300,000 distinct random words grew the RSS by 350 MiB
# (BertTokenizer) and 210 MiB (Llama-3) when every result was kept, by 89 and 42 MiB with the limit.
WORD_CACHE_LIMIT = 50_000


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


class TokenIdError(ValueError, OverflowError):
    """A negative token id. A ValueError, and an OverflowError too: that is what the reference raises."""


def check_ids(ids, name):
    """Refuse negative ids (ids past the vocabulary decode to nothing, as in the reference)."""
    lowest = min(ids, default=0)
    if lowest < 0:
        raise TokenIdError(f"{name}: the token id {lowest} is negative; ids run from 0 to the vocabulary size "
                           "minus 1. Padding labels (-100) must be replaced by the pad token id before decoding.")
