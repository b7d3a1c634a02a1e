"""Text classification ("sentiment-analysis"): texts in, `{'label', 'score'}` out, as transformers.

Where the time goes, and what this file does about it: inputs are tokenized a window at a time
in one tokenizer call, sorted by length so each batch pads to nearly its own length, run under
`torch.inference_mode`, and the results are put back in input order. Streams (generators and other
iterators) are read one window at a time, so memory stays bounded however long they are.

With `num_workers` (one worker thread is the default on CUDA) the same windows and batches go
through the overlapped path of overlap.py: tokenization in workers while the model runs, results
fetched without a synchronisation per batch.
"""

import inspect
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, replace
from itertools import islice

import numpy as np

from ..utils.options import check_int
from . import overlap
from .base import ModelPipeline, as_batch, as_stream, describe, first_given, torch

DEFAULT_BATCH_SIZE = 32
CUDA_BATCH_SIZE = 256  # a GPU wants large batches; the token budget keeps long texts' batches small
CUDA_MAX_BATCH_TOKENS = 16384  # padded tokens per batch: 256 rows of 64 tokens, 32 rows of 512
WINDOW_BATCHES = 32  # batches tokenized and sorted together: larger sorts better, smaller streams sooner
MAX_WINDOW = 2048  # inputs per window at most: a window is tokenized before its first batch runs
WINDOWS_AHEAD = 1  # windows handed to the workers beyond the one the model is on
BATCHES_IN_FLIGHT = 4  # batches launched on the device before the oldest one's scores are read
FUNCTIONS = ("softmax", "sigmoid", "none")
_UNSET = object()  # `top_k=None` means "every label", so absence needs its own marker
RUN_PARAMS = ("batch_size", "num_workers", "max_batch_tokens")
POST_PARAMS = ("top_k", "function_to_apply")
# the tokenizer's own parameters that the pipeline fills in itself
_TOKENIZER_INPUTS = {"text", "text_pair", "text_target", "text_pair_target"}
# transformers 5 dropped return_all_scores: a keyword it no longer knows, which its tokenizer ignores
RETURN_ALL_SCORES_HINT = (
    "return_all_scores is deprecated and ignored, as in transformers 5, which removed it; "
    "pass top_k=None for the score of every label (or leave both out for the best label only)."
)


class TextClassificationPipeline(ModelPipeline):
    """Classify texts or text pairs with a sequence classification model.

    `pipe("text")` -> `[{'label', 'score'}]`; `pipe(["a", "b"])` -> a list, one dict per text, and so
    for a tuple, a numpy array of strings, a pandas Series or any other sized sequence;
    `pipe({"text": a, "text_pair": b})` -> one dict; a generator or other iterator -> an iterator of results.
    With `top_k` (an int, or None for every label) each result is a list sorted by score.

    `num_workers`: 0 runs everything in the calling thread; N >= 1 tokenizes in N workers (a thread
    for 1, processes for more) while the model runs, as overlap.py explains. Default: 1 on CUDA, 0 on
    the CPU (where the model and the tokenizer share the cores). More than one is opt-in: worker
    processes import the caller's main script, so a script needs `if __name__ == "__main__":`, and
    the quicktour's two lines must run as written (`overlap.default_workers()` sizes it to the cores).
    `max_batch_tokens`: the most padded tokens (rows x longest row) one batch may hold, so that
    batches of short texts are long and batches of long texts short; `batch_size` still caps the
    rows. Default: 16384 on CUDA, none on the CPU. Both can be given when the pipeline is built
    or per call. A tokenizer without a pad token (GPT-2's) cannot pad: the default batch is then 1
    text, as transformers' default, and a larger batch_size over texts of different lengths is an error.
    """

    quantizable = True

    def __init__(self, model, tokenizer, task="text-classification", device=None, batch_size=None,
                 quantize=None, num_workers=None, max_batch_tokens=None, **kwargs):
        super().__init__(model, tokenizer, task, device=device, batch_size=batch_size, quantize=quantize)
        self.num_workers = num_workers
        self.max_batch_tokens = max_batch_tokens
        self._tokenizer_params = _call_parameters(tokenizer)
        self._defaults = self._split_params(**kwargs)  # the call defaults, split into postprocessing and tokenizer ones
        self._model_max_length = _model_max_length(self.model.config, tokenizer)
        if self._run_settings(None, None, None).num_workers > 1:
            overlap.start_fork_server()

    def __call__(self, inputs, batch_size=None, num_workers=None, max_batch_tokens=None, **kwargs):
        """The label and score of each input, in input order (see the class docstring for every input form).

        >>> from leanformers import pipeline
        >>> classifier = pipeline("text-classification", model="leanformers/embedded-sentiment")
        >>> classifier("I loved this film.")
        [{'label': 'POSITIVE', 'score': ...}]
        >>> [result["label"] for result in classifier(["A delight.", "Dull and far too long."])]
        ['POSITIVE', 'NEGATIVE']
        >>> sorted(scores["label"] for scores in classifier("Fine.", top_k=None))
        ['NEGATIVE', 'POSITIVE']
        """
        call = self._split_params(**kwargs)
        post = {**self._defaults["post"], **call["post"]}
        tokenizer_kwargs = {**self._defaults["tokenizer"], **call["tokenizer"]}
        run = self._run_settings(batch_size, num_workers, max_batch_tokens)

        if isinstance(inputs, (str, dict)):
            _text_and_pair(inputs, "inputs")  # checked here so that an error names no index
            # one input: nothing to overlap, and no workers worth starting
            result = next(self._stream([inputs], replace(run, num_workers=0), tokenizer_kwargs, post))
            # transformers wraps a lone string's result in a list, unless the call itself set top_k
            return [result] if isinstance(inputs, str) and "top_k" not in kwargs else result
        stream = as_stream(inputs)
        if stream is not None:
            return self._stream(stream, run, tokenizer_kwargs, post)
        batch = as_batch(inputs)
        if batch is not None:
            return list(self._stream(batch, run, tokenizer_kwargs, post))
        if isinstance(inputs, Iterable) and not isinstance(inputs, (bytes, bytearray)):
            return self._stream(inputs, run, tokenizer_kwargs, post)
        raise ValueError(
            f"inputs must be a string, a dict {{'text': ..., 'text_pair': ...}}, or a list, sequence or iterable of "
            f"them; got {describe(inputs)}."
        )

    # ----------------------------------------------------------------- parameters

    def _run_settings(self, batch_size, num_workers, max_batch_tokens):
        """The call's value, else the pipeline's, else the device's default (for the batch size, 1 when the
        tokenizer cannot pad, as transformers' default batch of 1, which needs no padding)."""
        cuda = self.device.type == "cuda"
        default_batch = CUDA_BATCH_SIZE if cuda else DEFAULT_BATCH_SIZE
        if self.tokenizer.pad_token_id is None:
            default_batch = 1
        return Run(
            batch_size=first_given(batch_size, self.batch_size, default_batch),
            num_workers=first_given(num_workers, self.num_workers, 1 if cuda else 0),
            max_batch_tokens=first_given(max_batch_tokens, self.max_batch_tokens,
                                         CUDA_MAX_BATCH_TOKENS if cuda else None))

    def _split_params(self, function_to_apply=None, top_k=_UNSET, return_all_scores=_UNSET, **tokenizer_kwargs):
        """Keyword arguments -> postprocessing options and tokenizer arguments (all the others, which must be
        the tokenizer's)."""
        if return_all_scores is not _UNSET:
            warnings.warn(RETURN_ALL_SCORES_HINT, FutureWarning, stacklevel=3)  # the caller of __call__/__init__
        unknown = sorted(set(tokenizer_kwargs) - self._tokenizer_params) if self._tokenizer_params is not None else []
        if unknown:
            raise TypeError(
                f"The {self.task} pipeline got unknown keyword arguments {unknown}; it takes "
                f"{', '.join(RUN_PARAMS + POST_PARAMS)} and the tokenizer's arguments "
                f"({', '.join(sorted(self._tokenizer_params))})."
            )
        if "max_length" in tokenizer_kwargs:
            check_int("max_length", tokenizer_kwargs["max_length"], 1, none="the model's maximum")
        post = {}
        if top_k is not _UNSET:
            post["top_k"] = check_int("top_k", top_k, 0, none="every label")
        if function_to_apply is not None:
            name = str(getattr(function_to_apply, "value", function_to_apply)).lower()
            if name not in FUNCTIONS:
                raise ValueError(f"function_to_apply must be one of {FUNCTIONS}, got {function_to_apply!r}.")
            post["function_to_apply"] = name
        return {"post": post, "tokenizer": tokenizer_kwargs}

    def _default_function(self):
        config = self.model.config
        problem_type = getattr(config, "problem_type", None)
        if problem_type == "regression":
            return "none"
        if problem_type == "multi_label_classification" or config.num_labels == 1:
            return "sigmoid"
        return "softmax"

    # ----------------------------------------------------------------- running

    def _stream(self, inputs, run, tokenizer_kwargs, post):
        """Yield one result per input, in input order, a window of batches at a time. With workers,
        windows are tokenized ahead in them and each batch's scores are read a few batches after it
        was launched (overlap.py); without, each step waits for the one before. The batches are the
        same either way, and so are the results."""
        kwargs = self._tokenizer_kwargs(tokenizer_kwargs)
        windows = _windows(inputs, min(run.batch_size * WINDOW_BATCHES, MAX_WINDOW))
        pool = overlap.TokenizerPool(self.tokenizer, run.num_workers) if run.num_workers else None
        encode = pool.encode if pool is not None else self._encode_now
        try:
            encoded = overlap.ahead((self._encode_later(encode, window, start, kwargs) for start, window in windows),
                                    WINDOWS_AHEAD if pool is not None else 0)
            launched = overlap.ahead(self._launch(encoded, run, self._function(post)),
                                     BATCHES_IN_FLIGHT if pool is not None else 0)
            for results, rows, scores, last in launched:
                for row, row_scores in zip(rows, scores()):
                    results[row] = self._format(row_scores, post)
                if last:
                    yield from results
        finally:
            if pool is not None:
                pool.close()

    def _encode_now(self, texts, pairs, kwargs, keys):
        """`TokenizerPool.encode` in the calling thread."""
        columns = overlap.encode(self.tokenizer, texts, pairs, kwargs, keys)
        return lambda: columns

    def _encode_later(self, encode, window, start, kwargs):
        """Start tokenizing a window -> (its size, a function that waits for its columns)."""
        parts = [(rows, texts and encode(texts, pairs, kwargs, self._input_names))
                 for rows, texts, pairs in self._split(window, start)]
        return len(window), lambda: self._merge(len(window), [(rows, wait and wait()) for rows, wait in parts])

    def _launch(self, encoded, run, function):
        """Start the model on each batch of each window -> (the window's results, the batch's rows,
        a function giving its scores, whether it is the window's last batch)."""
        for size, columns in encoded:
            columns = columns()
            results = [None] * size
            batches = self._batches(columns, run)
            if self.tokenizer.pad_token_id is None and any(len(columns["input_ids"][rows[0]]) !=
                                                           len(columns["input_ids"][rows[-1]]) for rows in batches):
                raise self._no_pad_token(run.batch_size, "texts")  # a batch's rows are sorted by length
            for i, rows in enumerate(batches):
                batch = overlap.to_device(self._collate(columns, rows), self.device)
                with torch.inference_mode():
                    scores = _probabilities(self.model(**batch).logits.float(), function)  # (B, num_labels)
                yield results, rows, overlap.copy_back(scores), i == len(batches) - 1

    def _tokenizer_kwargs(self, tokenizer_kwargs):
        kwargs = dict(tokenizer_kwargs)
        if "truncation" not in kwargs and "max_length" not in kwargs:
            # A text longer than the model accepts would fail in the model; cut it to the model's size.
            kwargs["truncation"] = True
            if self._model_max_length is not None:
                kwargs["max_length"] = self._model_max_length
        return kwargs

    @staticmethod
    def _split(window, start):
        """[(rows, texts, None), (rows, texts, pairs)]: the window's single texts and its pairs, which
        the tokenizer takes in separate calls; a bad input is an error naming its position."""
        texts, text_rows, pairs, pair_rows = [], [], [], []
        for row, item in enumerate(window):
            text, pair = _text_and_pair(item, f"inputs[{start + row}]")
            if pair is None:
                texts.append(text)
                text_rows.append(row)
            else:
                pairs.append((text, pair))
                pair_rows.append(row)
        return [(text_rows, texts, None), (pair_rows, [t for t, _ in pairs], [p for _, p in pairs])]

    @staticmethod
    def _merge(size, parts):
        """[(rows, encoding)] -> {key: [ids per input]} in window order."""
        columns = {}
        for rows, encoding in parts:
            for key, values in (encoding or {}).items():
                column = columns.setdefault(key, [None] * size)
                for row, value in zip(rows, values):
                    column[row] = value
        return columns

    @staticmethod
    def _batches(columns, run):
        """The rows sorted by length (so each batch pads to nearly its own length), cut into batches of
        at most `batch_size` rows and, with a token budget, at most `max_batch_tokens` padded tokens."""
        lengths = [len(ids) for ids in columns["input_ids"]]
        order = sorted(range(len(lengths)), key=lengths.__getitem__)
        if run.max_batch_tokens is None:
            return [order[first:first + run.batch_size] for first in range(0, len(order), run.batch_size)]
        batches, batch = [], []
        for row in order:  # each row is the longest of its batch so far: the batch pads to it
            if batch and (len(batch) == run.batch_size or (len(batch) + 1) * lengths[row] > run.max_batch_tokens):
                batches.append(batch)
                batch = []
            batch.append(row)
        return batches + [batch]

    def _collate(self, columns, rows):
        """Pad the encodings of `rows` to their longest and stack them: {key: (B, T) int64 array}."""
        length = max(len(columns["input_ids"][row]) for row in rows)
        left = getattr(self.tokenizer, "padding_side", "right") == "left"
        batch = {}
        for key, column in columns.items():
            if not self._takes(key):
                continue  # e.g. token_type_ids from a BERT tokenizer, which DistilBERT does not take
            # attention_mask and token_type_ids pad with 0; without a pad token the rows are of one length (_launch)
            pad = self.tokenizer.pad_token_id if key == "input_ids" else 0
            array = np.full((len(rows), length), pad or 0, dtype=np.int64)  # (B, T)
            for i, row in enumerate(rows):
                values = column[row]
                if left:
                    array[i, length - len(values):] = values
                else:
                    array[i, :len(values)] = values
            batch[key] = array
        return batch

    def _function(self, post):
        return post.get("function_to_apply") or self._default_function()

    def _format(self, scores, post):
        id2label = self.model.config.id2label
        if "top_k" not in post:  # the plain call: the best label only, as a dict
            best = max(range(len(scores)), key=scores.__getitem__)
            return {"label": id2label[best], "score": scores[best]}
        ranked = sorted(({"label": id2label[i], "score": s} for i, s in enumerate(scores)),
                        key=lambda entry: entry["score"], reverse=True)
        return ranked if post["top_k"] is None else ranked[:post["top_k"]]


@dataclass(frozen=True)
class Run:
    """How one call runs: rows per batch, tokenizer workers (0: none), padded tokens per batch (None: any)."""
    batch_size: int
    num_workers: int
    max_batch_tokens: int | None

    def __post_init__(self):
        check_int("batch_size", self.batch_size, 1)
        check_int("num_workers", self.num_workers, 0)
        check_int("max_batch_tokens", self.max_batch_tokens, 1, none="no limit")


def _windows(inputs, size):
    """(index of the first input, list of the next `size` inputs), reading `inputs` one window at a time."""
    items, start = iter(inputs), 0
    while window := list(islice(items, size)):
        yield start, window
        start += len(window)


def _probabilities(logits, function):
    """Scores from float32 logits: softmax, sigmoid or the logits themselves."""
    if function == "softmax":
        return torch.softmax(logits, dim=-1)
    if function == "sigmoid":
        return torch.sigmoid(logits)
    return logits


def _text_and_pair(item, where):
    """(text, text_pair or None) of one input; a clear error naming its position otherwise."""
    if isinstance(item, str):
        return item, None
    if isinstance(item, dict):
        unknown = set(item) - {"text", "text_pair"}
        text, pair = item.get("text"), item.get("text_pair")
        if not unknown and isinstance(text, str) and (pair is None or isinstance(pair, str)):
            return text, pair
        raise ValueError(
            f"{where} is the dict {item!r}: a dict input needs a string 'text' and, for a pair, a "
            "string 'text_pair', and no other keys, e.g. {'text': 'My text', 'text_pair': 'My pair'}."
        )
    raise ValueError(
        f"{where} is {describe(item)}: each input must be a string or a dict "
        "{'text': ..., 'text_pair': ...} (send text pairs as dicts, not lists)."
    )


def _call_parameters(tokenizer):
    """The keyword arguments a tokenizer call takes beyond its texts; None when they cannot be known."""
    try:
        parameters = inspect.signature(tokenizer.__call__).parameters.values()
    except (TypeError, ValueError):  # no signature to read (a C callable): let the tokenizer judge
        return None
    names = {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)} - _TOKENIZER_INPUTS
    return names or None  # only **kwargs: let the tokenizer judge


def _model_max_length(config, tokenizer):
    """The longest input the model takes, when the tokenizer does not know it (None when it does)."""
    positions = config.max_sequence_length  # the config knows its position offset (RoBERTa's)
    if positions is None:
        return None
    tokenizer_max = getattr(tokenizer, "model_max_length", None)
    return None if tokenizer_max is not None and tokenizer_max <= positions else positions
