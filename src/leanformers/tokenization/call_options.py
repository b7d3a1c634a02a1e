"""The options of a tokenizer call, resolved and checked before any text is tokenized.

`resolve_strategies` turns `padding`, `truncation` and `max_length` into the padding and
truncation strategies and the length they work to, by transformers' rules;
`check_inputs` says whether `text` (and `text_pair`) is one input or a batch and rejects
what is neither; `truncation_budget` is the number of tokens truncation leaves the text.
"""

import re
import warnings

VERY_LARGE_INTEGER = int(1e30)  # model_max_length of a model without a limit (transformers' value)
LARGE_INTEGER = int(1e20)  # a model_max_length above this means "no limit"
# each list: what True means first, what False and None mean last (see `_strategy`)
PADDING_STRATEGIES = ("longest", "max_length", "do_not_pad")
TRUNCATION_STRATEGIES = ("longest_first", "only_first", "only_second", "do_not_truncate")
# the options of `tokenize`: the tokens of the text alone, neither padded nor truncated
TOKENIZE_OPTIONS = dict(add_special_tokens=False, padding_strategy="do_not_pad",
                        truncation_strategy="do_not_truncate", max_length=None)


_SURROGATE = re.compile("[\ud800-\udfff]")


class UnencodableTextError(ValueError, TypeError):
    """A text with a lone surrogate, which has no UTF-8 form. A ValueError, and a TypeError too: that
    is what the reference raises for it."""


def _check_encodable(text, label):
    """`label` names the text in the message: "`text`", "`text[3]`", "word 2 of `text`"."""
    found = None if text.isascii() else _SURROGATE.search(text)
    if found is not None:
        raise UnencodableTextError(
            f"{label} holds the lone surrogate U+{ord(found.group()):04X} at character {found.start()}: it is "
            "not a character and has no UTF-8 form, so it cannot be tokenized. It usually comes from bytes "
            "decoded with errors='surrogateescape'; decode them with errors='replace' instead, or remove it.")


def _value(x):
    return getattr(x, "value", x)  # accept enum members (PaddingStrategy.LONGEST, ...)


def resolve_strategies(tokenizer, padding, truncation, max_length, pad_to_multiple_of, verbose):
    """(padding strategy, truncation strategy, max_length) of a call to `tokenizer`, by transformers'
    rules: max_length alone turns truncation on; without max_length the model's max length is used,
    unless it has none."""
    if max_length is not None and padding is False and truncation is None:
        truncation = "longest_first"
    padding, truncation = _value(padding), _value(truncation)
    if padding is True and verbose and max_length is not None and truncation in (None, False, "do_not_truncate"):
        warnings.warn("`max_length` is ignored when `padding`=`True` and there is no truncation strategy. "
                      "To pad to max length, use `padding='max_length'`.")
    padding_strategy = _strategy("padding", padding, PADDING_STRATEGIES)
    truncation_strategy = _strategy("truncation", truncation, TRUNCATION_STRATEGIES)
    model_max_length = tokenizer.model_max_length
    if max_length is None:
        if padding_strategy == "max_length":
            if model_max_length > LARGE_INTEGER:
                padding_strategy = "do_not_pad"
            else:
                max_length = model_max_length
        if truncation_strategy != "do_not_truncate":
            if model_max_length > LARGE_INTEGER:
                truncation_strategy = "do_not_truncate"
            else:
                max_length = model_max_length
    if padding_strategy != "do_not_pad" and (tokenizer.pad_token is None or tokenizer.pad_token_id is None):
        raise ValueError("Asking to pad but the tokenizer does not have a padding token. Set one with "
                         "`tokenizer.pad_token = tokenizer.eos_token` or "
                         "`tokenizer.add_special_tokens({'pad_token': '[PAD]'})`.")
    if (truncation_strategy != "do_not_truncate" and padding_strategy != "do_not_pad"
            and pad_to_multiple_of is not None and max_length is not None and max_length % pad_to_multiple_of):
        raise ValueError(f"Truncation and padding are both activated but truncation length ({max_length}) is "
                         f"not a multiple of pad_to_multiple_of ({pad_to_multiple_of}).")
    return padding_strategy, truncation_strategy, max_length


def _strategy(name, value, strategies):
    """The strategy `value` of the `name` argument names: True the first of `strategies`, False or
    None the last (do_not_pad, do_not_truncate), a strategy name itself."""
    if value is True:
        return strategies[0]
    if value is False or value is None:
        return strategies[-1]
    if value in strategies:
        return value
    raise ValueError(f"{name}={value!r} is not a valid {name} strategy; use True, False or one of "
                     f"{list(strategies)}.")


def truncation_budget(core, max_length, stride, add_special_tokens, is_pair):
    """How many tokens of text (and pair) truncation to `max_length` keeps, once the special
    tokens of the core tokenizer `core` are counted; checks `max_length` and `stride` against it."""
    n_special = core.num_special_tokens_to_add(is_pair) if add_special_tokens else 0
    if max_length is not None and max_length < n_special:
        raise ValueError(f"max_length={max_length} is smaller than the {n_special} special tokens this "
                         "tokenizer adds; use a larger max_length or add_special_tokens=False.")
    # the reference checks the stride against the single-sequence budget up front, whether or
    # not special tokens are added; its unsigned arithmetic skips the check when max_length is
    # below the special-token count
    single_budget = max_length - core.num_special_tokens_to_add(False)
    if 0 <= single_budget < stride:
        raise ValueError(f"stride={stride} is larger than the effective max length "
                         f"{single_budget} (max_length={max_length} minus the special tokens); use a "
                         "smaller stride or a larger max_length.")
    return max_length - n_special


def split_pairs(text, text_pair, is_split_into_words):
    """(text, text_pair) of a call, where a batch given as [text, pair] lists or tuples (`[["a", "b"], ["c", "d"]]`,
    as transformers' guides write it) becomes two lists. Pre-split words are lists too, so with
    is_split_into_words the batch is left as it is."""
    if is_split_into_words or not isinstance(text, (list, tuple)) or not any(
            isinstance(item, (list, tuple)) for item in text):
        return text, text_pair
    if text_pair is not None:
        raise ValueError("`text` holds [text, pair] items and `text_pair` is given too; pass the pairs one way only: "
                         "tokenizer([[a, b], ...]) or tokenizer([a, ...], [b, ...]).")
    for i, item in enumerate(text):
        if isinstance(item, str):
            raise ValueError(f"`text` mixes texts (text[{i}]) and [text, pair] items; leanformers takes a batch of "
                             "either, not both: tokenize the single texts and the pairs in separate calls.")
        if len(item) != 2 or not all(isinstance(part, str) for part in item):
            raise TypeError(f"`text[{i}]` is a {type(item).__name__} of {len(item)} items; a pair is [text, "
                            "text_pair], two strings. Lists of words need is_split_into_words=True.")
    return [a for a, _ in text], [b for _, b in text]


def check_inputs(text, text_pair, is_split_into_words):
    """Validate the `text` and `text_pair` of a call; returns whether they are batches."""
    batched = _check_text(text, "text", is_split_into_words)
    if text_pair is not None:
        pair_batched = _check_text(text_pair, "text_pair", is_split_into_words)
        if batched != pair_batched:
            raise ValueError("`text` and `text_pair` must both be single inputs or both be batches (lists of "
                             "the same length).")
        if batched and len(text) != len(text_pair):
            raise ValueError(f"batch length of `text`: {len(text)} does not match batch length of `text_pair`: "
                             f"{len(text_pair)}. Pass lists of the same length.")
    return batched


def _check_text(text, name, is_split_into_words):
    """Validate one `text`/`text_pair` argument; returns whether it is a batch."""
    if isinstance(text, str):
        if is_split_into_words:
            raise ValueError(f"`{name}` is a string but is_split_into_words=True expects a list of words; pass "
                             f"{name}=text.split() or set is_split_into_words=False.")
        _check_encodable(text, f"`{name}`")
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
    for i, item in enumerate(text):
        if not isinstance(item, str):  # ([text, pair] lists were split before: call_options.split_pairs)
            raise TypeError(f"`{name}` must hold strings, but an item is {type(item).__name__}.")
        _check_encodable(item, f"`{name}[{i}]`")
    return True


def _check_words(words, name):
    if not isinstance(words, (list, tuple)) or not all(isinstance(w, str) for w in words):
        raise TypeError(f"`{name}` with is_split_into_words=True must be a list of word strings (or a batch of "
                        "such lists); an item is not a string.")
    for i, word in enumerate(words):
        _check_encodable(word, f"word {i} of `{name}`")


def check_batch(batch, name):
    """Validate the argument of batch_encode_plus: a list of texts or of (text, pair) tuples."""
    if not isinstance(batch, (list, tuple)):
        raise TypeError(f"`{name}` must be a list of texts or of (text, pair) tuples, got {type(batch).__name__}.")
