"""PreTrainedTokenizer: the transformers call API on top of a core `Tokenizer`.

A family class (bert.py, gpt2.py, ...) only builds the stage chain:

    class MyTokenizer(PreTrainedTokenizer):
        vocab_files_names = {"vocab_file": "vocab.txt"}   # files from_pretrained looks for
        def __init__(self, vocab_file=None, tokenizer_file=None, ..., **kwargs):
            self._tokenizer = core.Tokenizer(model, normalizer, pre_tokenizer, post_processor, decoder)
            super().__init__(**kwargs)                      # special tokens, max length, sides, ...
        def _vocabulary_files(self):                        # what save_pretrained writes besides
            return {"vocab.txt": ...}                       # tokenizer.json and the configs

`super().__init__` registers the special tokens as added tokens (never split).
`from_pretrained(folder)` and `save_pretrained(folder)` read and write the folder's files
through tokenizer_files.py; tokenizer_json.py reads tokenizer.json into stages for classes
that want them.

A call: resolve padding/truncation strategies and check the inputs (call_options.py) ->
batch the inputs -> `Tokenizer.encode_raw` per sequence -> `truncate` (encoding.py) ->
`Tokenizer.post_process` -> flatten overflowing windows (the rows) -> pad (padding.py) ->
BatchEncoding. Two shortcuts, each pinned to the plain way by
tests/tokenization/test_tokenizer_lazy_rows.py: padded 'np'/'pt' model inputs are filled into
arrays from the unpadded rows (`padding.model_inputs`), and a plain batch call does not keep
its rows but rebuilds them if they are read (`rows.rows_again`): kept, they outlive the call and
Python's cycle collector walks them again and again, which cost more than tokenizing a
padded batch.
"""

import gc
import logging

from .. import hub
from . import tokenizer_files
from .added_tokens import AddedToken, as_added_token
from .batch_encoding import BatchEncoding
from .core import check_ids
from .call_options import (
    TOKENIZE_OPTIONS, VERY_LARGE_INTEGER, check_batch, check_inputs, resolve_strategies, split_pairs,
    truncation_budget,
)
from .padding import model_inputs, pad_columns, pad_plan, padded
from .rows import batch_rows, rows_again

logger = logging.getLogger(__name__)

SPECIAL_TOKENS_ATTRIBUTES = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")


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
                self._special[key] = as_added_token(value)
        extra = extra_special_tokens if extra_special_tokens is not None else additional_special_tokens
        self._extra_special = [as_added_token(t) for t in (extra or [])]
        self.init_kwargs = dict(kwargs)  # what else the config carried (do_lower_case, ...)

        # added tokens saved with the tokenizer, then every special token: never split
        for token_id, token in sorted((added_tokens_decoder or {}).items(), key=lambda kv: int(kv[0])):
            token = as_added_token(token)
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
            token_id = int(ids)
            check_ids([token_id], "convert_ids_to_tokens")
            return self._tokenizer.id_to_token(token_id)
        skip = set(self.all_special_ids) if skip_special_tokens else ()
        ids = [int(i) for i in _to_list(ids)]
        check_ids(ids, "convert_ids_to_tokens")
        return [self._tokenizer.id_to_token(i) for i in ids if i not in skip]

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
        """Tokenize a text, a batch, a pair (`text_pair`) or a batch of pairs, as transformers does.

        padding=True pads to the longest row, "max_length" to max_length; truncation=True cuts to max_length (or
        the model's limit); return_tensors="pt" (or "np", "tf") gives tensors instead of lists.

        >>> from leanformers import AutoTokenizer
        >>> tokenizer = AutoTokenizer.from_pretrained("leanformers/embedded-sentiment")   # ships in the package
        >>> tokenizer("Hello world!")["input_ids"]
        [101, 7592, 2088, 999, 102]
        >>> tokenizer(["Hello world!", "Hi"], padding=True)["attention_mask"]
        [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]
        """
        if text is None and text_target is None:
            raise ValueError("You need to specify either `text` or `text_target`.")
        if kwargs:
            unknown = ", ".join(sorted(kwargs))
            raise TypeError(f"Unexpected keyword argument(s) to the tokenizer call: {unknown}.")
        padding_strategy, truncation_strategy, max_length = resolve_strategies(
            self, padding, truncation, max_length, pad_to_multiple_of, verbose)
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
        check_batch(batch_text_or_text_pairs, "batch_text_or_text_pairs")
        return self(list(batch_text_or_text_pairs), **kwargs)  # the call splits the pairs (call_options.split_pairs)

    def tokenize(self, text, pair=None, add_special_tokens=False, **kwargs):
        """The token strings of a text (and pair)."""
        return self._encode(text, pair, **{**TOKENIZE_OPTIONS, **kwargs,
                                           "add_special_tokens": add_special_tokens}).tokens()


    def pad(self, encoded_inputs, padding=True, max_length=None, pad_to_multiple_of=None, padding_side=None,
            return_attention_mask=None, return_tensors=None, verbose=True):
        """Pad encoded inputs (a dict of lists, a list of dicts as a DataLoader gives them, or one encoding) with
        the pad token, as transformers' `tokenizer.pad`; padding=True pads to the longest row, "max_length" to
        max_length. Tensors or arrays in, the same kind out unless return_tensors says otherwise.

        >>> from leanformers import AutoTokenizer
        >>> tokenizer = AutoTokenizer.from_pretrained("leanformers/embedded-sentiment")
        >>> tokenizer.pad([{"input_ids": [101, 7592, 102]}, {"input_ids": [101, 102]}])
        {'input_ids': [[101, 7592, 102], [101, 102, 0]], 'attention_mask': [[1, 1, 1], [1, 1, 0]]}
        """
        main = self.model_input_names[0]
        columns, tensor_type = _columns(encoded_inputs, main)
        return_tensors = return_tensors if return_tensors is not None else tensor_type
        if return_attention_mask is None:
            return_attention_mask = "attention_mask" in self.model_input_names
        batched = bool(columns[main]) and isinstance(columns[main][0], (list, tuple))
        if batched and any(len(value) != len(columns[main]) for value in columns.values()):
            sizes = {key: len(value) for key, value in columns.items()}
            raise ValueError(f"pad() was given columns of different batch sizes {sizes}; every key needs one row "
                             "per example.")
        if not batched:  # one encoding: a batch of one
            columns = {key: [value] for key, value in columns.items()}
        strategy, _, max_length = resolve_strategies(self, padding, None, max_length, pad_to_multiple_of, verbose)
        pad_values = {main: self.pad_token_id, "token_type_ids": self.pad_token_type_id, "special_tokens_mask": 1}
        data = pad_columns(columns, main, strategy, max_length, pad_to_multiple_of, padding_side or self.padding_side,
                           pad_values, return_attention_mask and (batched or bool(columns[main][0])))
        if not batched:
            data = {key: value[0] for key, value in data.items()}
        return BatchEncoding(data, tensor_type=return_tensors)

    def get_special_tokens_mask(self, token_ids_0, token_ids_1=None, already_has_special_tokens=False):
        """1 for each special token of `token_ids_0` (ids that already hold them), 0 for the others."""
        if not already_has_special_tokens or token_ids_1 is not None:
            raise ValueError("get_special_tokens_mask reads ids that already hold their special tokens: pass one "
                             "sequence with already_has_special_tokens=True (or call the tokenizer with "
                             "return_special_tokens_mask=True).")
        special = set(self.all_special_ids)
        return [1 if int(i) in special else 0 for i in token_ids_0]

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
        text, text_pair = split_pairs(text, text_pair, is_split_into_words)
        batched = check_inputs(text, text_pair, is_split_into_words)
        if not batched:
            text = [text]
            # transformers treats an empty pair as no pair
            text_pair = [text_pair] if text_pair else None

        truncation = None  # (budget, strategy, stride, side) when truncating
        if truncation_strategy != "do_not_truncate":
            budget = truncation_budget(self._tokenizer, max_length, stride, add_special_tokens, text_pair is not None)
            truncation = (budget, truncation_strategy, stride, self.truncation_side)
        rows_args = (text, text_pair, add_special_tokens, truncation, return_offsets_mapping, is_split_into_words,
                     return_overflowing_tokens)
        encodings, rows = batch_rows(self._tokenizer, *rows_args)

        if return_token_type_ids is None:
            return_token_type_ids = "token_type_ids" in self.model_input_names
        if return_attention_mask is None:
            return_attention_mask = "attention_mask" in self.model_input_names
        pad = None
        if padding_strategy != "do_not_pad":
            pad = pad_plan(encodings, padding_strategy, max_length, pad_to_multiple_of,
                           padding_side or self.padding_side, self.pad_token_id, self.pad_token,
                           self.pad_token_type_id)
        data, lengths, rows_padded = model_inputs(rows, pad, return_tensors, return_token_type_ids,
                                                  return_attention_mask, return_special_tokens_mask,
                                                  return_offsets_mapping)
        if return_length:
            data["length"] = lengths
        if return_overflowing_tokens:
            data["overflow_to_sample_mapping"] = [i for i, e in enumerate(encodings)
                                                  for _ in range(1 + len(e.overflowing))]
        if max_length is None and verbose and self.model_max_length:
            self._warn_if_too_long(max(lengths, default=0))

        if not batched and return_tensors is None and not return_overflowing_tokens:
            # transformers keeps `length` a list even for one text
            return BatchEncoding({key: value if key == "length" else value[0] for key, value in data.items()},
                                 rows, n_sequences=None)
        if (not batched or return_offsets_mapping or return_special_tokens_mask or return_overflowing_tokens
                or is_split_into_words):
            # one text, or calls whose callers read the rows (offsets, word ids of windows or of given
            # words): keep them
            prepare = None if rows_padded or pad is None else (padded, rows, pad)
        else:
            # a plain batch (model inputs): the rows are rebuilt if ever read. Kept, the few objects
            # each row holds outlive the call, and Python's cycle collector walks them all again and
            # again afterwards, which cost more than the encoding itself in a padded 'pt' batch
            rows_args = (list(text), None if text_pair is None else list(text_pair), *rows_args[2:])
            prepare = (rows_again, self._tokenizer, self._tokenizer.generation, rows_args, pad)
            rows = None
        return BatchEncoding(data, rows, tensor_type=return_tensors, prepare_encodings=prepare)

    def _warn_if_too_long(self, longest):
        """Warn once per tokenizer when a call without max_length gives more tokens than the model takes."""
        if longest > self.model_max_length and not self.deprecation_warnings.get("too-long"):
            logger.warning("Token indices sequence length is longer than the specified maximum sequence length "
                           f"for this model ({longest} > {self.model_max_length}). Running this sequence "
                           "through the model will result in indexing errors")
            self.deprecation_warnings["too-long"] = True

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
        init = tokenizer_files.constructor_arguments(cls, path, hub_kwargs)
        init.update(kwargs)
        init.setdefault("name_or_path", str(path))
        return cls(*inputs, **init)

    def save_pretrained(self, save_directory, filename_prefix=None, **kwargs):
        """Write tokenizer_config.json, special_tokens_map.json, tokenizer.json and the
        family's vocabulary files, all or none of them; returns their paths."""
        return tokenizer_files.save(self, save_directory, filename_prefix)

    def save_vocabulary(self, save_directory, filename_prefix=None):
        """Write the family's own vocabulary files (vocab.txt, ...); returns their paths."""
        return tokenizer_files.write_texts(save_directory, self._vocabulary_files(), filename_prefix)

    def _vocabulary_files(self):
        """{file name: text} of the family's own vocabulary files; a family with files defines it."""
        return {}

    def __repr__(self):
        return (f"{type(self).__name__}(name_or_path={self.name_or_path!r}, vocab_size={self.vocab_size}, "
                f"model_max_length={self.model_max_length}, padding_side={self.padding_side!r}, "
                f"truncation_side={self.truncation_side!r}, special_tokens={self.special_tokens_map})")



# PreTrainedTokenizerFast (transformers 5's TokenizersBackend, any tokenizer.json) is in fast.py


def _columns(encoded_inputs, main):
    """({key: values} of what `pad` was given, 'pt' or 'np' when the ids were tensors or arrays, else None); tensors
    become lists."""
    if isinstance(encoded_inputs, (list, tuple)) and encoded_inputs and hasattr(encoded_inputs[0], "keys"):
        keys = list(encoded_inputs[0].keys())
        for i, example in enumerate(encoded_inputs):
            if not hasattr(example, "keys") or set(example.keys()) != set(keys):
                found = sorted(example.keys()) if hasattr(example, "keys") else type(example).__name__
                raise ValueError(f"encoded_inputs[{i}] has {found}, but encoded_inputs[0] has {sorted(keys)}; every "
                                 "example given to pad() must have the same keys.")
        encoded_inputs = {key: [example[key] for example in encoded_inputs] for key in keys}
    if not hasattr(encoded_inputs, "keys"):
        raise ValueError(f"pad() takes a dict of lists, a list of dicts or a BatchEncoding, got "
                         f"{type(encoded_inputs).__name__}.")
    if main not in encoded_inputs:
        raise ValueError(f"You should supply an encoding or a list of encodings to this method that includes "
                         f"{main}, but you provided {list(encoded_inputs.keys())}")
    ids = encoded_inputs[main]
    first = next((row[0] for row in ids if isinstance(row, (list, tuple)) and len(row)), ids[0] if len(ids) else 0)
    kind = type(first).__module__.partition(".")[0]
    if kind not in ("torch", "numpy"):
        return dict(encoded_inputs), None
    columns = {key: [_to_list(row) for row in value] if isinstance(value, (list, tuple)) else _to_list(value)
               for key, value in encoded_inputs.items()}
    return columns, {"torch": "pt", "numpy": "np"}[kind]


def _to_list(x):
    if hasattr(x, "tolist"):
        return x.tolist()
    if isinstance(x, tuple):
        return list(x)
    return x

