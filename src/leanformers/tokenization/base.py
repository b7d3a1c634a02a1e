"""PreTrainedTokenizer: the transformers call API on top of a core `Tokenizer`.

A family class (bert.py, gpt2.py, ...) only builds the stage chain:

    class MyTokenizer(PreTrainedTokenizer):
        vocab_files_names = {"vocab_file": "vocab.txt"}   # files from_pretrained looks for
        def __init__(self, vocab_file=None, tokenizer_file=None, ..., **kwargs):
            self._tokenizer = core.Tokenizer(model, normalizer, pre_tokenizer, post_processor, decoder)
            super().__init__(**kwargs)                      # special tokens, max length, sides, ...

`super().__init__` registers the special tokens as added tokens (never split).
`from_pretrained(folder)` reads tokenizer_config.json and special_tokens_map.json into
keyword arguments, passes the paths of `vocab_files_names` and of tokenizer.json
(`tokenizer_file`) and calls the class; `tokenizer_json.read_tokenizer_json` reads
tokenizer.json into stages for classes that want them.

A call: resolve padding/truncation strategies (as transformers does) -> check and
batch the inputs -> `Tokenizer.encode_raw` per sequence -> `core.truncate` ->
`Tokenizer.post_process` -> flatten overflowing windows (the rows) -> pad -> BatchEncoding.
Two shortcuts, each pinned to the plain way by tests/test_tokenizer_lazy_rows.py: padded
'np'/'pt' model inputs are filled into arrays from the unpadded rows (`_padded_arrays`),
and a plain batch call does not keep its rows but rebuilds them if they are read
(`_rows_again`): kept, they outlive the call and Python's cycle collector walks them again
and again, which cost more than tokenizing a padded batch.
"""

import gc
import json
import logging
import os
import warnings
from itertools import chain

from .. import hub
from .batch_encoding import BatchEncoding
from .core import AddedToken, truncate

logger = logging.getLogger(__name__)

VERY_LARGE_INTEGER = int(1e30)  # model_max_length of a model without a limit (transformers' value)
LARGE_INTEGER = int(1e20)
PADDING_STRATEGIES = ("longest", "max_length", "do_not_pad")
TRUNCATION_STRATEGIES = ("longest_first", "only_first", "only_second", "do_not_truncate")
SPECIAL_TOKENS_ATTRIBUTES = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")
# tokenizer_config.json keys that describe the file rather than configure the tokenizer
_CONFIG_ONLY_KEYS = ("tokenizer_class", "auto_map", "added_tokens_decoder", "name_or_path", "is_local",
                     "local_files_only", "backend", "processor_class", "files_loaded", "model_type")


def _value(x):
    return getattr(x, "value", x)  # accept enum members (PaddingStrategy.LONGEST, ...)


class PreTrainedTokenizer:
    vocab_files_names = {}
    model_input_names = ["input_ids", "token_type_ids", "attention_mask"]
    padding_side = "right"
    truncation_side = "right"
    _tokenizer = None  # the core.Tokenizer, built by the family class

    def __init__(self, model_max_length=None, padding_side=None, truncation_side=None,
                 clean_up_tokenization_spaces=False, model_input_names=None, name_or_path="",
                 additional_special_tokens=None, extra_special_tokens=None, added_tokens_decoder=None,
                 split_special_tokens=False, **kwargs):
        if self._tokenizer is None:
            raise TypeError(f"{type(self).__name__} did not build its core Tokenizer before calling "
                            "PreTrainedTokenizer.__init__.")
        self.name_or_path = name_or_path
        self.model_max_length = int(model_max_length) if model_max_length is not None else VERY_LARGE_INTEGER
        self.padding_side = padding_side or type(self).padding_side
        self.truncation_side = truncation_side or type(self).truncation_side
        for name, side in (("padding_side", self.padding_side), ("truncation_side", self.truncation_side)):
            if side not in ("right", "left"):
                raise ValueError(f"{name} must be 'right' or 'left', got {side!r}.")
        self.model_input_names = list(model_input_names or type(self).model_input_names)
        self.clean_up_tokenization_spaces = clean_up_tokenization_spaces
        self.split_special_tokens = split_special_tokens
        self.deprecation_warnings = {}
        self._special = {}
        for key in SPECIAL_TOKENS_ATTRIBUTES:
            value = kwargs.pop(key, None)
            if value is not None:
                self._special[key] = _as_added(value) if isinstance(value, dict) else value
        extra = extra_special_tokens if extra_special_tokens is not None else additional_special_tokens
        self._extra_special = [_as_added(t) if isinstance(t, dict) else t for t in (extra or [])]
        self.init_kwargs = dict(kwargs)  # what else the config carried (do_lower_case, ...)

        # added tokens saved with the tokenizer, then every special token: never split
        for token_id, token in sorted((added_tokens_decoder or {}).items(), key=lambda kv: int(kv[0])):
            token = _as_added(token) if isinstance(token, dict) else token
            self._tokenizer.added.add(token, int(token_id))
        self._tokenizer.refresh()  # matches the tokens set directly above
        specials = [t for t in list(self._special.values()) + self._extra_special]
        self._tokenizer.add_tokens([t if isinstance(t, AddedToken) else AddedToken(t, normalized=False, special=True)
                                    for t in specials if str(t) not in self._tokenizer.added.ids])

    # ---- special tokens --------------------------------------------------------------------
    def __getattr__(self, name):
        # bos_token, ..., mask_token and their *_id twins; looked up only when not set otherwise
        if name in SPECIAL_TOKENS_ATTRIBUTES:
            value = self.__dict__.get("_special", {}).get(name)
            return None if value is None else str(value)
        if name.endswith("_token_id") and name[:-3] in SPECIAL_TOKENS_ATTRIBUTES:
            token = getattr(self, name[:-3])
            return None if token is None else self.convert_tokens_to_ids(token)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name, value):
        if name in SPECIAL_TOKENS_ATTRIBUTES:
            self._special[name] = value
        elif name.endswith("_token_id") and name[:-3] in SPECIAL_TOKENS_ATTRIBUTES:
            self._special[name[:-3]] = None if value is None else self.convert_ids_to_tokens(value)
        else:
            super().__setattr__(name, value)

    @property
    def additional_special_tokens(self):
        return [str(t) for t in self._extra_special]

    extra_special_tokens = additional_special_tokens

    @property
    def special_tokens_map(self):
        out = {key: str(value) for key, value in self._special.items() if value is not None}
        if self._extra_special:
            out["additional_special_tokens"] = self.additional_special_tokens
        return out

    @property
    def all_special_tokens(self):
        # each token once, in attribute order (RoBERTa's <s> is both bos and cls), as transformers
        named = [self._special[k] for k in SPECIAL_TOKENS_ATTRIBUTES if self._special.get(k) is not None]
        return list(dict.fromkeys(str(t) for t in named + self._extra_special))

    @property
    def all_special_ids(self):
        return self.convert_tokens_to_ids(self.all_special_tokens)

    @property
    def pad_token_type_id(self):
        return 0

    # ---- vocabulary --------------------------------------------------------------------------
    @property
    def vocab_size(self):
        """Size of the base vocabulary (added tokens not counted; len() counts them)."""
        return self._tokenizer.get_vocab_size(with_added_tokens=False)

    def __len__(self):
        return self._tokenizer.get_vocab_size(with_added_tokens=True)

    def get_vocab(self):
        return self._tokenizer.get_vocab(with_added_tokens=True)

    def get_added_vocab(self):
        return {t.content: i for i, t in sorted(self._tokenizer.added.tokens.items())}

    @property
    def added_tokens_decoder(self):
        return dict(sorted(self._tokenizer.added.tokens.items()))

    @property
    def added_tokens_encoder(self):
        return {t.content: i for i, t in sorted(self._tokenizer.added.tokens.items())}

    @property
    def backend_tokenizer(self):
        return self._tokenizer

    @property
    def is_fast(self):
        return True

    def convert_tokens_to_ids(self, tokens):
        """A token (str) or a list of tokens -> id(s); unknown tokens give unk_token_id."""
        if tokens is None:
            return None
        if isinstance(tokens, str):
            return self._token_to_id(tokens)
        return [self._token_to_id(t) for t in tokens]

    def _token_to_id(self, token):
        token_id = self._tokenizer.token_to_id(token)
        if token_id is None:
            unk = self._special.get("unk_token")
            return None if unk is None else self._tokenizer.token_to_id(str(unk))
        return token_id

    def convert_ids_to_tokens(self, ids, skip_special_tokens=False):
        if isinstance(ids, int) or hasattr(ids, "item") and not hasattr(ids, "__len__"):
            return self._tokenizer.id_to_token(int(ids))
        skip = set(self.all_special_ids) if skip_special_tokens else ()
        return [self._tokenizer.id_to_token(int(i)) for i in _to_list(ids) if int(i) not in skip]

    def convert_tokens_to_string(self, tokens):
        decoder = self._tokenizer.decoder
        return decoder.decode(tokens) if decoder is not None else " ".join(tokens)

    def add_tokens(self, new_tokens, special_tokens=False):
        """Add tokens that are never split; returns how many new ids were created."""
        if not new_tokens:
            return 0
        if isinstance(new_tokens, (str, AddedToken)):
            new_tokens = [new_tokens]
        tokens = []
        for t in new_tokens:
            if isinstance(t, str):
                t = AddedToken(t, normalized=not special_tokens, special=special_tokens)
            elif not isinstance(t, AddedToken):
                raise TypeError(f"add_tokens expects strings or AddedToken objects, got {type(t).__name__}.")
            tokens.append(t)
        return self._tokenizer.add_tokens(tokens)

    def add_special_tokens(self, special_tokens_dict, replace_extra_special_tokens=True):
        """Set special tokens ({'pad_token': '[PAD]', 'additional_special_tokens': [...]})
        and add them to the vocabulary if needed; returns how many new ids were created."""
        tokens = []
        for key, value in special_tokens_dict.items():
            if key in ("additional_special_tokens", "extra_special_tokens"):
                if not isinstance(value, (list, tuple)):
                    raise TypeError(f"add_special_tokens: {key} must be a list of tokens, got {type(value).__name__}.")
                self._extra_special = list(value) if replace_extra_special_tokens else self._extra_special + [
                    t for t in value if str(t) not in map(str, self._extra_special)]
                tokens += list(value)
            elif key in SPECIAL_TOKENS_ATTRIBUTES:
                self._special[key] = value
                tokens.append(value)
            else:
                raise ValueError(f"add_special_tokens: unknown key {key!r}; use one of "
                                 f"{list(SPECIAL_TOKENS_ATTRIBUTES) + ['additional_special_tokens']}.")
        return self.add_tokens([t if isinstance(t, AddedToken) else AddedToken(t, normalized=False, special=True)
                                for t in tokens])

    def num_special_tokens_to_add(self, pair=False):
        return self._tokenizer.num_special_tokens_to_add(pair)

    @property
    def max_len_single_sentence(self):
        return self.model_max_length - self.num_special_tokens_to_add(pair=False)

    @property
    def max_len_sentences_pair(self):
        return self.model_max_length - self.num_special_tokens_to_add(pair=True)

    # ---- encoding ------------------------------------------------------------------------------
    def __call__(self, text=None, text_pair=None, text_target=None, text_pair_target=None,
                 add_special_tokens=True, padding=False, truncation=None, max_length=None, stride=0,
                 is_split_into_words=False, pad_to_multiple_of=None, padding_side=None, return_tensors=None,
                 return_token_type_ids=None, return_attention_mask=None, return_overflowing_tokens=False,
                 return_special_tokens_mask=False, return_offsets_mapping=False, return_length=False,
                 verbose=True, **kwargs):
        """Tokenize a text, a batch, a pair or a batch of pairs (see transformers)."""
        if text is None and text_target is None:
            raise ValueError("You need to specify either `text` or `text_target`.")
        if kwargs:
            unknown = ", ".join(sorted(kwargs))
            raise TypeError(f"Unexpected keyword argument(s) to the tokenizer call: {unknown}.")
        padding_strategy, truncation_strategy, max_length = self._strategies(
            padding, truncation, max_length, pad_to_multiple_of, verbose)
        options = dict(add_special_tokens=add_special_tokens, padding_strategy=padding_strategy,
                       truncation_strategy=truncation_strategy, stride=stride,
                       is_split_into_words=is_split_into_words, pad_to_multiple_of=pad_to_multiple_of,
                       padding_side=padding_side, return_tensors=return_tensors,
                       return_token_type_ids=return_token_type_ids, return_attention_mask=return_attention_mask,
                       return_overflowing_tokens=return_overflowing_tokens,
                       return_special_tokens_mask=return_special_tokens_mask,
                       return_offsets_mapping=return_offsets_mapping, return_length=return_length, verbose=verbose)
        encodings = None
        if text is not None:
            encodings = self._encode(text, text_pair, max_length=max_length, **options)
        if text_target is not None:
            targets = self._encode(text_target, text_pair_target, max_length=max_length, **options)
            if encodings is None:
                return targets
            encodings["labels"] = targets["input_ids"]
        return encodings

    def encode(self, text, text_pair=None, add_special_tokens=True, padding=False, truncation=None,
               max_length=None, stride=0, padding_side=None, return_tensors=None, **kwargs):
        """The input ids of one text (or pair)."""
        return self(text, text_pair, add_special_tokens=add_special_tokens, padding=padding,
                    truncation=truncation, max_length=max_length, stride=stride, padding_side=padding_side,
                    return_tensors=return_tensors, **kwargs)["input_ids"]

    def encode_plus(self, text, text_pair=None, **kwargs):
        """One text or pair; the same as calling the tokenizer (kept from transformers 4)."""
        return self(text, text_pair, **kwargs)

    def batch_encode_plus(self, batch_text_or_text_pairs, **kwargs):
        """A batch of texts or of (text, pair) tuples (kept from transformers 4)."""
        _check_batch(batch_text_or_text_pairs, "batch_text_or_text_pairs")
        if batch_text_or_text_pairs and isinstance(batch_text_or_text_pairs[0], tuple) \
                and not kwargs.get("is_split_into_words"):
            firsts = [p[0] for p in batch_text_or_text_pairs]
            seconds = [p[1] for p in batch_text_or_text_pairs]
            return self(firsts, seconds, **kwargs)
        return self(list(batch_text_or_text_pairs), **kwargs)

    def tokenize(self, text, pair=None, add_special_tokens=False, **kwargs):
        """The token strings of a text (and pair)."""
        return self._encode(text, pair, **{**_DEFAULT_OPTIONS, **kwargs,
                                            "add_special_tokens": add_special_tokens}).tokens()

    def _strategies(self, padding, truncation, max_length, pad_to_multiple_of, verbose):
        """transformers' rules: max_length alone turns truncation on; without max_length the
        model's max length is used, unless it has none."""
        if max_length is not None and padding is False and truncation is None:
            truncation = "longest_first"
        padding, truncation = _value(padding), _value(truncation)
        if padding is True:
            if verbose and max_length is not None and truncation in (None, False, "do_not_truncate"):
                warnings.warn("`max_length` is ignored when `padding`=`True` and there is no truncation strategy. "
                              "To pad to max length, use `padding='max_length'`.")
            padding_strategy = "longest"
        elif padding is False or padding is None:
            padding_strategy = "do_not_pad"
        elif padding in PADDING_STRATEGIES:
            padding_strategy = padding
        else:
            raise ValueError(f"padding={padding!r} is not a valid padding strategy; use True, False or one of "
                             f"{list(PADDING_STRATEGIES)}.")
        if truncation is True:
            truncation_strategy = "longest_first"
        elif truncation is False or truncation is None:
            truncation_strategy = "do_not_truncate"
        elif truncation in TRUNCATION_STRATEGIES:
            truncation_strategy = truncation
        else:
            raise ValueError(f"truncation={truncation!r} is not a valid truncation strategy; use True, False or one "
                             f"of {list(TRUNCATION_STRATEGIES)}.")
        if max_length is None:
            if padding_strategy == "max_length":
                if self.model_max_length > LARGE_INTEGER:
                    padding_strategy = "do_not_pad"
                else:
                    max_length = self.model_max_length
            if truncation_strategy != "do_not_truncate":
                if self.model_max_length > LARGE_INTEGER:
                    truncation_strategy = "do_not_truncate"
                else:
                    max_length = self.model_max_length
        if padding_strategy != "do_not_pad" and (self.pad_token is None or self.pad_token_id is None):
            raise ValueError("Asking to pad but the tokenizer does not have a padding token. Set one with "
                             "`tokenizer.pad_token = tokenizer.eos_token` or "
                             "`tokenizer.add_special_tokens({'pad_token': '[PAD]'})`.")
        if (truncation_strategy != "do_not_truncate" and padding_strategy != "do_not_pad"
                and pad_to_multiple_of is not None and max_length is not None and max_length % pad_to_multiple_of):
            raise ValueError(f"Truncation and padding are both activated but truncation length ({max_length}) is "
                             f"not a multiple of pad_to_multiple_of ({pad_to_multiple_of}).")
        return padding_strategy, truncation_strategy, max_length

    def _encode(self, *args, **kwargs):
        # a batch allocates many small lists, which would trigger the cycle collector
        # over and over; none of them can form a cycle
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._encode_batch(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    def _encode_batch(self, text, text_pair=None, add_special_tokens=True, padding_strategy="do_not_pad",
                truncation_strategy="do_not_truncate", max_length=None, stride=0, is_split_into_words=False,
                pad_to_multiple_of=None, padding_side=None, return_tensors=None, return_token_type_ids=None,
                return_attention_mask=None, return_overflowing_tokens=False, return_special_tokens_mask=False,
                return_offsets_mapping=False, return_length=False, verbose=True):
        batched = _check_text(text, "text", is_split_into_words)
        if text_pair is not None:
            pair_batched = _check_text(text_pair, "text_pair", is_split_into_words)
            if batched != pair_batched:
                raise ValueError("`text` and `text_pair` must both be single inputs or both be batches (lists of "
                                 "the same length).")
            if batched and len(text) != len(text_pair):
                raise ValueError(f"batch length of `text`: {len(text)} does not match batch length of `text_pair`: "
                                 f"{len(text_pair)}. Pass lists of the same length.")
        if not batched:
            text = [text]
            # transformers treats an empty pair as no pair
            text_pair = [text_pair] if text_pair else None

        tok = self._tokenizer
        truncating = truncation_strategy != "do_not_truncate"
        if truncating:
            n_special = tok.num_special_tokens_to_add(text_pair is not None) if add_special_tokens else 0
            if max_length is not None and max_length < n_special:
                raise ValueError(f"max_length={max_length} is smaller than the {n_special} special tokens this "
                                 "tokenizer adds; use a larger max_length or add_special_tokens=False.")
            budget = max_length - n_special
            # the reference checks the stride against the single-sequence budget up front, whether or
            # not special tokens are added; its unsigned arithmetic skips the check when max_length is
            # below the special-token count
            single_budget = max_length - tok.num_special_tokens_to_add(False)
            if 0 <= single_budget < stride:
                raise ValueError(f"stride={stride} is larger than the effective max length "
                                 f"{single_budget} (max_length={max_length} minus the special tokens); use a "
                                 "smaller stride or a larger max_length.")
        rows_args = (text, text_pair, add_special_tokens,
                     (budget, truncation_strategy, stride, self.truncation_side) if truncating else None,
                     return_offsets_mapping, is_split_into_words, return_overflowing_tokens)
        encodings, rows = self._rows(*rows_args)
        if return_overflowing_tokens:
            sample_map = [i for i, e in enumerate(encodings) for _ in range(1 + len(e.overflowing))]

        if return_token_type_ids is None:
            return_token_type_ids = "token_type_ids" in self.model_input_names
        if return_attention_mask is None:
            return_attention_mask = "attention_mask" in self.model_input_names
        lengths = [len(e.ids) for e in rows]
        pad = None  # (target, right, pad id, pad token, pad type id) when padding
        if padding_strategy != "do_not_pad":
            side = padding_side or self.padding_side
            if side not in ("right", "left"):
                raise ValueError(f"padding_side must be 'right' or 'left', got {side!r}.")
            # the longest main encoding sets the length (overflowing windows do not count, as in the reference)
            target = max((len(e.ids) for e in encodings), default=0) if padding_strategy == "longest" else max_length
            if pad_to_multiple_of and target % pad_to_multiple_of:
                target += pad_to_multiple_of - target % pad_to_multiple_of
            pad = (target, side == "right", self.pad_token_id, self.pad_token, self.pad_token_type_id)
            lengths = [max(n, target) for n in lengths]

        rows_padded = False
        if (pad is not None and return_tensors in ("np", "pt") and lengths and len(set(lengths)) == 1
                and not (return_special_tokens_mask or return_offsets_mapping)):
            # the common model-input call: fill the padded arrays straight from the unpadded rows;
            # the rows are padded only when someone reads them (BatchEncoding.encodings)
            data = _padded_arrays(rows, target, side == "right", return_token_type_ids, return_attention_mask,
                                  self.pad_token_id, self.pad_token_type_id)
        else:
            if pad is not None:
                _pad_rows(rows, *pad)
                rows_padded = True
            data = {"input_ids": [e.ids for e in rows]}
            if return_token_type_ids:
                data["token_type_ids"] = [e.type_ids for e in rows]
            if return_attention_mask:
                data["attention_mask"] = [e.attention_mask for e in rows]
            if return_special_tokens_mask:
                data["special_tokens_mask"] = [e.special_tokens_mask for e in rows]
            if return_offsets_mapping:
                data["offset_mapping"] = [e.offsets for e in rows]
        if return_length:
            data["length"] = lengths
        if return_overflowing_tokens:
            data["overflow_to_sample_mapping"] = sample_map

        if max_length is None and verbose and self.model_max_length:
            longest = max(lengths, default=0)
            if longest > self.model_max_length and not self.deprecation_warnings.get("too-long"):
                logger.warning("Token indices sequence length is longer than the specified maximum sequence length "
                               f"for this model ({longest} > {self.model_max_length}). Running this sequence "
                               "through the model will result in indexing errors")
                self.deprecation_warnings["too-long"] = True

        if not batched and return_tensors is None and not return_overflowing_tokens:
            # transformers keeps `length` a list even for one text
            return BatchEncoding({key: value if key == "length" else value[0] for key, value in data.items()},
                                 rows, n_sequences=None)
        if (not batched or return_offsets_mapping or return_special_tokens_mask or return_overflowing_tokens
                or is_split_into_words):
            # one text, or calls whose callers read the rows (offsets, word ids of windows or of given
            # words): keep them
            prepare = None if rows_padded or pad is None else (_padded, rows, pad)
        else:
            # a plain batch (model inputs): the rows are rebuilt if ever read. Kept, the few objects
            # each row holds outlive the call, and Python's cycle collector walks them all again and
            # again afterwards, which cost more than the encoding itself in a padded 'pt' batch
            rows_args = (list(text), None if text_pair is None else list(text_pair), *rows_args[2:])
            prepare = (_rows_again, self, self._tokenizer.generation, rows_args, pad)
            rows = None
        return BatchEncoding(data, rows, tensor_type=return_tensors, prepare_encodings=prepare)

    def _rows(self, text, text_pair, add_special_tokens, truncation, with_offsets, is_split_into_words,
              with_overflow):
        """(encodings, rows) of a batch: the post-processed encoding of each text (or pair), and
        the rows of the result: the encodings, each followed by its overflowing windows when
        `with_overflow`. `truncation` is None or (budget, strategy, stride, side)."""
        tok = self._tokenizer
        if text_pair is None and truncation is None:  # the common case, kept lean
            encodings = [tok.post_process(tok.encode_raw(t, with_offsets, is_split_into_words), None,
                                          add_special_tokens) for t in text]
        else:
            encodings = []
            for i, t in enumerate(text):
                a = tok.encode_raw(t, with_offsets, is_split_into_words)
                b = tok.encode_raw(text_pair[i], with_offsets, is_split_into_words) if text_pair is not None else None
                if truncation is not None:
                    truncate(a, b, *truncation)
                encodings.append(tok.post_process(a, b, add_special_tokens))
        if not with_overflow:
            return encodings, encodings
        rows = []
        for e in encodings:
            rows.append(e)
            rows += e.overflowing
        return encodings, rows

    # ---- decoding ------------------------------------------------------------------------------
    def decode(self, token_ids, skip_special_tokens=False, clean_up_tokenization_spaces=None, **kwargs):
        """Ids -> text; a batch (list of lists, 2-D tensor) gives a list of texts."""
        token_ids = _to_list(token_ids)
        if isinstance(token_ids, int):
            token_ids = [token_ids]
        if token_ids and isinstance(token_ids[0], list):
            return [self._decode(ids, skip_special_tokens, clean_up_tokenization_spaces) for ids in token_ids]
        return self._decode(token_ids, skip_special_tokens, clean_up_tokenization_spaces)

    def batch_decode(self, sequences, skip_special_tokens=False, clean_up_tokenization_spaces=None, **kwargs):
        sequences = _to_list(sequences)
        return [self._decode(ids, skip_special_tokens, clean_up_tokenization_spaces) for ids in sequences]

    def _decode(self, ids, skip_special_tokens, clean_up_tokenization_spaces):
        if isinstance(ids, int):
            ids = [ids]
        text = self._tokenizer.decode(ids, skip_special_tokens=skip_special_tokens)
        if clean_up_tokenization_spaces is None:
            clean_up_tokenization_spaces = self.clean_up_tokenization_spaces
        return self.clean_up_tokenization(text) if clean_up_tokenization_spaces else text

    @staticmethod
    def clean_up_tokenization(text):
        return (text.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re"))

    # ---- files ------------------------------------------------------------------------------------
    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *inputs, **kwargs):
        """Load from a folder holding tokenizer_config.json / special_tokens_map.json and the
        class's vocabulary files and/or tokenizer.json. Keyword arguments override the config."""
        hub_kwargs = hub.pop_hub_kwargs(kwargs)
        path = pretrained_model_name_or_path
        config = _read_json(hub.resolve_file(path, "tokenizer_config.json", required=False, **hub_kwargs))
        special_map = _read_json(hub.resolve_file(path, "special_tokens_map.json", required=False, **hub_kwargs))
        init = {k: v for k, v in config.items() if k not in _CONFIG_ONLY_KEYS}
        for key, value in special_map.items():
            init.setdefault(key, value)
        if "added_tokens_decoder" in config:
            init["added_tokens_decoder"] = {int(i): _as_added(t) for i, t in config["added_tokens_decoder"].items()}
        files = {}
        for arg, filename in cls.vocab_files_names.items():
            files[arg] = hub.resolve_file(path, filename, required=False, **hub_kwargs)
        files["tokenizer_file"] = hub.resolve_file(path, "tokenizer.json", required=False, **hub_kwargs)
        if not any(files.values()):
            wanted = sorted(set(cls.vocab_files_names.values()) | {"tokenizer.json"})
            raise FileNotFoundError(f"{cls.__name__}.from_pretrained({str(path)!r}): none of the files {wanted} "
                                    "was found there; point it at a folder written by save_pretrained.")
        init.update(files)
        init.update(kwargs)
        init.setdefault("name_or_path", str(path))
        return cls(*inputs, **init)

    def save_pretrained(self, save_directory, filename_prefix=None, **kwargs):
        """Write tokenizer_config.json, special_tokens_map.json, tokenizer.json and the
        family's vocabulary files; returns their paths."""
        from .tokenizer_json import tokenizer_to_json

        if os.path.isfile(save_directory):
            raise ValueError(f"save_pretrained: {save_directory!r} is a file; pass a folder path.")
        os.makedirs(save_directory, exist_ok=True)
        prefix = f"{filename_prefix}-" if filename_prefix else ""
        config = self._config_dict()
        written = [
            _write_atomic(os.path.join(save_directory, prefix + "tokenizer_config.json"),
                          json.dumps(config, indent=2, sort_keys=True, ensure_ascii=False) + "\n"),
            _write_atomic(os.path.join(save_directory, prefix + "special_tokens_map.json"),
                          json.dumps(self.special_tokens_map, indent=2, sort_keys=True, ensure_ascii=False) + "\n"),
            _write_atomic(os.path.join(save_directory, prefix + "tokenizer.json"),
                          json.dumps(tokenizer_to_json(self._tokenizer), indent=2, ensure_ascii=False) + "\n"),
        ]
        written += self.save_vocabulary(save_directory, filename_prefix)
        return tuple(written)

    def save_vocabulary(self, save_directory, filename_prefix=None):
        """Write the family's own vocabulary files (vocab.txt, ...); returns their paths."""
        return ()

    def _config_dict(self):
        config = {k: v for k, v in self.init_kwargs.items() if k not in self.vocab_files_names
                  and k != "tokenizer_file" and _jsonable(v)}
        config.update({key: str(value) for key, value in self._special.items() if value is not None})
        if self._extra_special:
            config["extra_special_tokens"] = self.additional_special_tokens
        config.update(tokenizer_class=type(self).__name__, model_max_length=self.model_max_length,
                      clean_up_tokenization_spaces=self.clean_up_tokenization_spaces,
                      padding_side=self.padding_side, truncation_side=self.truncation_side,
                      added_tokens_decoder={str(i): _added_dict(t) for i, t in self.added_tokens_decoder.items()})
        return config

    def __repr__(self):
        return (f"{type(self).__name__}(name_or_path={self.name_or_path!r}, vocab_size={self.vocab_size}, "
                f"model_max_length={self.model_max_length}, padding_side={self.padding_side!r}, "
                f"truncation_side={self.truncation_side!r}, special_tokens={self.special_tokens_map})")


PreTrainedTokenizerFast = PreTrainedTokenizer  # transformers 5 has one class for both

_DEFAULT_OPTIONS = dict(add_special_tokens=False, padding_strategy="do_not_pad",
                        truncation_strategy="do_not_truncate", max_length=None)


def _padded(rows, pad):
    _pad_rows(rows, *pad)
    return rows


def _rows_again(tokenizer, generation, rows_args, pad):
    """The rows of a plain batch call, encoded again from the call's own inputs when first read."""
    if tokenizer._tokenizer.generation != generation:
        raise RuntimeError("The tokens and word ids of this batch are rebuilt when first read, but tokens were "
                           "added to the tokenizer since the call; read them (e.g. .tokens(), .word_ids(), "
                           ".encodings) before changing the tokenizer, or call the tokenizer again.")
    _, rows = tokenizer._rows(*rows_args)
    return rows if pad is None else _padded(rows, pad)


def _pad_rows(rows, target, right, pad_id, pad_token, pad_type):
    """Pad every encoding of `rows` in place to `target` tokens (longer ones stay as they are)."""
    for e in rows:
        n = target - len(e.ids)
        if n <= 0:
            continue
        real = [1] * len(e.ids)
        type_ids = e.type_ids  # before ids grow: unbuilt type ids are built from the length of ids
        if right:
            e.ids = e.ids + [pad_id] * n
            e.type_ids = type_ids + [pad_type] * n
            e.attention_mask = real + [0] * n
        else:
            e.ids = [pad_id] * n + e.ids
            e.type_ids = [pad_type] * n + type_ids
            e.attention_mask = [0] * n + real
        if e.offsets is not None:
            e.offsets = e.offsets + [(0, 0)] * n if right else [(0, 0)] * n + e.offsets
        e.defer(_pad_deferred, n, right, pad_token)


def _pad_deferred(e, n, right, pad_token):
    """Padding of the deferred fields of an encoding (see core.Encoding)."""
    for slot, pad in (("_tokens", pad_token), ("_word_ids", None), ("_special_tokens_mask", 1),
                      ("_sequence_ids", None)):
        values = getattr(e, slot)
        setattr(e, slot, values + [pad] * n if right else [pad] * n + values)


def _padded_arrays(rows, target, right, with_type_ids, with_attention_mask, pad_id, pad_type):
    """input_ids (and token_type_ids, attention_mask) of unpadded `rows`, none longer than
    `target`, as (B, target) int64 arrays padded on the right or left: what padding the
    rows and converting the lists gives (tests/test_tokenizer_lazy_rows.py pins it)."""
    import numpy as np

    lengths = np.fromiter((len(e.ids) for e in rows), dtype=np.int64, count=len(rows))  # (B,)
    positions = np.arange(target)  # (T,)
    real = positions < lengths[:, None] if right else positions >= (target - lengths)[:, None]  # (B, T)
    n_real = int(lengths.sum())

    def padded(values, pad):
        out = np.full((len(rows), target), pad, dtype=np.int64)
        out[real] = np.fromiter(chain.from_iterable(values), dtype=np.int64, count=n_real)  # fills row by row
        return out

    data = {"input_ids": padded((e.ids for e in rows), pad_id)}
    if with_type_ids:
        if any(e._type_ids is not None for e in rows):
            data["token_type_ids"] = padded((e.type_ids for e in rows), pad_type)
        else:  # all zeros, left unbuilt by the post-processor (core.Encoding)
            data["token_type_ids"] = np.where(real, 0, pad_type)
    if with_attention_mask:
        data["attention_mask"] = real.astype(np.int64)
    return data


def _check_text(text, name, is_split_into_words):
    """Validate one `text`/`text_pair` argument; returns whether it is a batch."""
    if isinstance(text, str):
        if is_split_into_words:
            raise ValueError(f"`{name}` is a string but is_split_into_words=True expects a list of words; pass "
                             f"{name}=text.split() or set is_split_into_words=False.")
        return False
    if not isinstance(text, (list, tuple)):
        raise TypeError(f"`{name}` must be a string, a list of strings or (with is_split_into_words=True) a "
                        f"list of lists of strings, got {type(text).__name__}.")
    if is_split_into_words:
        if text and isinstance(text[0], (list, tuple)):
            for words in text:
                _check_words(words, name)
            return True
        _check_words(text, name)
        return False
    for item in text:
        if not isinstance(item, str):
            hint = (" Nested lists are pre-tokenized words: pass is_split_into_words=True."
                    if isinstance(item, (list, tuple)) else "")
            raise TypeError(f"`{name}` must hold strings, but an item is {type(item).__name__}.{hint}")
    return True


def _check_words(words, name):
    if not isinstance(words, (list, tuple)) or not all(isinstance(w, str) for w in words):
        raise TypeError(f"`{name}` with is_split_into_words=True must be a list of word strings (or a batch of "
                        "such lists); an item is not a string.")


def _check_batch(batch, name):
    if not isinstance(batch, (list, tuple)):
        raise TypeError(f"`{name}` must be a list of texts or of (text, pair) tuples, got {type(batch).__name__}.")


def _to_list(x):
    if hasattr(x, "tolist"):
        return x.tolist()
    if isinstance(x, tuple):
        return list(x)
    return x


def _as_added(token):
    """An AddedToken from its JSON form ({'content': ..., 'lstrip': ..., ...})."""
    if isinstance(token, AddedToken):
        return token
    if isinstance(token, str):
        return token
    return AddedToken(token["content"], single_word=token.get("single_word", False),
                      lstrip=token.get("lstrip", False), rstrip=token.get("rstrip", False),
                      normalized=token.get("normalized", True), special=token.get("special", False))


def _added_dict(token):
    return {"content": token.content, "single_word": token.single_word, "lstrip": token.lstrip,
            "rstrip": token.rstrip, "normalized": token.normalized, "special": token.special}


def _jsonable(value):
    return value is None or isinstance(value, (str, int, float, bool, list, dict))


def _read_json(path):
    if path is None:
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"Could not read {path!r}: {error}. The file must be valid UTF-8 JSON; re-save it with "
                         "save_pretrained.") from error
    if not isinstance(data, dict):
        raise ValueError(f"{path!r} must hold a JSON object, found {type(data).__name__}.")
    return data


def _write_atomic(path, text):
    """Write `text` to `path` via a temporary file in the same folder, so readers never
    see a half-written file."""
    import tempfile

    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
