"""Text classification ("sentiment-analysis"): texts in, `{'label', 'score'}` out, as transformers.

Where the time goes, and what this file does about it: inputs are tokenized a window at a time
in one tokenizer call, sorted by length so each batch pads to nearly its own length, run under
`torch.inference_mode`, and the results are put back in input order. Streams (generators) are
read one window at a time, so memory stays bounded however long they are.
"""

import copy
import inspect
import warnings
from collections.abc import Iterable
from itertools import islice

import numpy as np
import torch

DEFAULT_BATCH_SIZE = 32
WINDOW_BATCHES = 32  # batches tokenized and sorted together: larger sorts better, smaller streams sooner
FUNCTIONS = ("softmax", "sigmoid", "none")
_UNSET = object()  # `top_k=None` means "every label", so absence needs its own marker


class TextClassificationPipeline:
    """Classify texts or text pairs with a sequence classification model.

    `pipe("text")` -> `[{'label', 'score'}]`; `pipe(["a", "b"])` -> one dict per text;
    `pipe({"text": a, "text_pair": b})` -> one dict; a generator -> an iterator of results.
    With `top_k` (an int, or None for every label) each result is a list sorted by score.
    """

    def __init__(self, model, tokenizer, task="text-classification", device=None, batch_size=None,
                 quantize=None, **kwargs):
        self.task = task
        self.tokenizer = tokenizer
        self.device = _resolve_device(device, model)
        if _model_device(model) != self.device:
            model = model.to(self.device)
        if quantize is not None:
            model = _quantize(model, quantize, self.device)
        self.model = model
        self.batch_size = batch_size
        self._defaults = self._split_params(**kwargs)
        self._model_max_length = _model_max_length(model.config, tokenizer)
        self._input_names = _forward_parameters(model)

    @property
    def dtype(self):
        return next(self.model.parameters()).dtype

    def __repr__(self):
        return f"{type(self).__name__}(task={self.task!r}, model={type(self.model).__name__}, device={self.device})"

    def __call__(self, inputs, batch_size=None, **kwargs):
        call = self._split_params(**kwargs)
        post = {**self._defaults["post"], **call["post"]}
        tokenizer_kwargs = {**self._defaults["tokenizer"], **call["tokenizer"]}
        if batch_size is None:
            batch_size = self.batch_size if self.batch_size is not None else DEFAULT_BATCH_SIZE
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")

        if isinstance(inputs, (str, dict)):
            _text_and_pair(inputs, "inputs")  # checked here so that an error names no index
            result = next(self._stream([inputs], batch_size, tokenizer_kwargs, post))
            # transformers wraps a lone string's result in a list, unless the call itself set top_k
            return [result] if isinstance(inputs, str) and "top_k" not in kwargs else result
        if isinstance(inputs, (list, tuple)):
            return list(self._stream(inputs, batch_size, tokenizer_kwargs, post))
        if isinstance(inputs, Iterable) and not isinstance(inputs, (bytes, bytearray)):
            return self._stream(inputs, batch_size, tokenizer_kwargs, post)
        raise ValueError(
            f"inputs must be a string, a dict {{'text': ..., 'text_pair': ...}}, or a list or iterable of "
            f"them; got {_describe(inputs)}."
        )

    # ----------------------------------------------------------------- parameters

    def _split_params(self, function_to_apply=None, top_k=_UNSET, **tokenizer_kwargs):
        """Keyword arguments -> postprocessing options and tokenizer arguments (all the others)."""
        post = {}
        if top_k is not _UNSET:
            if top_k is not None and (not isinstance(top_k, int) or isinstance(top_k, bool)):
                raise ValueError(f"top_k must be an int or None (every label), got {top_k!r}.")
            post["top_k"] = top_k
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

    def _stream(self, inputs, batch_size, tokenizer_kwargs, post):
        """Yield one result per input, in input order, a window of batches at a time."""
        items = iter(inputs)
        start = 0
        while window := list(islice(items, batch_size * WINDOW_BATCHES)):
            yield from self._classify_window(window, start, batch_size, tokenizer_kwargs, post)
            start += len(window)

    def _classify_window(self, window, start, batch_size, tokenizer_kwargs, post):
        columns = self._encode(window, start, tokenizer_kwargs)
        lengths = [len(ids) for ids in columns["input_ids"]]
        order = sorted(range(len(window)), key=lengths.__getitem__)
        results = [None] * len(window)
        for first in range(0, len(order), batch_size):
            rows = order[first:first + batch_size]
            scores = self._scores(self._collate(columns, rows), post)
            for row, row_scores in zip(rows, scores):
                results[row] = self._format(row_scores, post)
        return results

    def _encode(self, window, start, tokenizer_kwargs):
        """Tokenize a window (one tokenizer call for texts, one for pairs) -> {key: [ids per input]}."""
        texts, text_rows, pairs, pair_rows = [], [], [], []
        for row, item in enumerate(window):
            text, pair = _text_and_pair(item, f"inputs[{start + row}]")
            if pair is None:
                texts.append(text)
                text_rows.append(row)
            else:
                pairs.append((text, pair))
                pair_rows.append(row)
        kwargs = dict(tokenizer_kwargs)
        if "truncation" not in kwargs and "max_length" not in kwargs:
            # A text longer than the model accepts would fail in the model; cut it to the model's size.
            kwargs["truncation"] = True
            if self._model_max_length is not None:
                kwargs["max_length"] = self._model_max_length
        columns = {}
        for rows, encoding in (
            (text_rows, texts and self.tokenizer(texts, **kwargs)),
            (pair_rows, pairs and self.tokenizer([t for t, _ in pairs], [p for _, p in pairs], **kwargs)),
        ):
            for key, values in (encoding or {}).items():
                column = columns.setdefault(key, [None] * len(window))
                for row, value in zip(rows, values):
                    column[row] = value
        return columns

    def _collate(self, columns, rows):
        """Pad the encodings of `rows` to their longest and stack them: {key: (B, T) tensor}."""
        length = max(len(columns["input_ids"][row]) for row in rows)
        left = getattr(self.tokenizer, "padding_side", "right") == "left"
        batch = {}
        for key, column in columns.items():
            if self._input_names is not None and key not in self._input_names:
                continue  # e.g. token_type_ids from a BERT tokenizer, which DistilBERT does not take
            pad = self._pad_id(key, length, rows, column)
            array = np.full((len(rows), length), pad, dtype=np.int64)  # (B, T)
            for i, row in enumerate(rows):
                values = column[row]
                if left:
                    array[i, length - len(values):] = values
                else:
                    array[i, :len(values)] = values
            batch[key] = torch.from_numpy(array).to(self.device)
        return batch

    def _pad_id(self, key, length, rows, column):
        if key != "input_ids":
            return 0  # attention_mask and token_type_ids pad with 0
        pad = self.tokenizer.pad_token_id
        if pad is None and any(len(column[row]) != length for row in rows):
            raise ValueError(
                "The tokenizer has no pad token, so texts of different lengths cannot be batched. "
                "Set one (`pipe.tokenizer.pad_token = pipe.tokenizer.eos_token`) or pass batch_size=1."
            )
        return pad

    def _scores(self, batch, post):
        """Run the model on a batch -> per-row score lists (python floats)."""
        with torch.inference_mode():
            logits = self.model(**batch).logits.float().cpu()  # (B, num_labels)
        function = post.get("function_to_apply") or self._default_function()
        if function == "softmax":
            logits = torch.softmax(logits, dim=-1)
        elif function == "sigmoid":
            logits = torch.sigmoid(logits)
        return logits.tolist()

    def _format(self, scores, post):
        id2label = self.model.config.id2label
        if "top_k" not in post:  # the plain call: the best label only, as a dict
            best = max(range(len(scores)), key=scores.__getitem__)
            return {"label": id2label[best], "score": scores[best]}
        ranked = sorted(({"label": id2label[i], "score": s} for i, s in enumerate(scores)),
                        key=lambda entry: entry["score"], reverse=True)
        return ranked if post["top_k"] is None else ranked[:post["top_k"]]


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
        f"{where} is {_describe(item)}: each input must be a string or a dict "
        "{'text': ..., 'text_pair': ...} (send text pairs as dicts, not lists)."
    )


def _describe(value):
    if value is None:
        return "None"
    text = repr(value)
    return f"{type(value).__name__} {text[:60] + '...' if len(text) > 60 else text}"


def _model_max_length(config, tokenizer):
    """The longest input the model takes, when the tokenizer does not know it (None when it does)."""
    positions = getattr(config, "max_position_embeddings", None)
    if positions is None:
        return None
    if getattr(config, "model_type", None) == "roberta":
        positions -= config.pad_token_id + 1  # RoBERTa's positions start after the padding index
    tokenizer_max = getattr(tokenizer, "model_max_length", None)
    return None if tokenizer_max is not None and tokenizer_max <= positions else positions


def _forward_parameters(model):
    """Names the model's forward accepts, or None when it takes any keyword (**kwargs)."""
    parameters = inspect.signature(model.forward).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters}


def _resolve_device(device, model):
    """`device` as transformers reads it: None/0.. -> the first/nth GPU when there is one (else the CPU),
    -1 -> wherever the model already is, other negatives -> the CPU."""
    if isinstance(device, torch.device):
        return device
    if isinstance(device, str):
        return torch.device(device)
    if device is None:
        device = 0
    if not isinstance(device, int) or isinstance(device, bool):
        raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:N', an index or a torch.device, got {device!r}.")
    if device == -1:
        return _model_device(model)
    if device < 0:
        return torch.device("cpu")
    return torch.device(f"cuda:{device}") if torch.cuda.is_available() else torch.device("cpu")


def _model_device(model):
    return next(model.parameters()).device


def _quantize(model, quantize, device):
    """Dynamic int8 Linear layers (per-channel weights) in the encoder of a float32 copy of `model`.

    The head (pooler, pre_classifier, classifier) stays in float32: it costs almost nothing and its
    error would go straight into the logits. The caller's model is left untouched.
    """
    if quantize != "int8":
        raise ValueError(f"quantize must be None or 'int8', got {quantize!r}.")
    if device.type != "cpu":
        raise ValueError(f"quantize='int8' runs on the CPU only; got device {device}. Pass device='cpu'.")
    with warnings.catch_warnings():
        # torch marks torch.ao.quantization as deprecated in favour of torchao, a further dependency
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*quantize_per_tensor.*")
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        model = copy.deepcopy(model).float()
        prefix = getattr(model, "base_model_prefix", "")
        base = getattr(model, prefix, model)
        pooler = set(base.pooler.modules()) if getattr(base, "pooler", None) is not None else set()
        encoder = {f"{prefix}.{name}" if base is not model else name: per_channel_dynamic_qconfig
                   for name, module in base.named_modules()
                   if isinstance(module, torch.nn.Linear) and module not in pooler}
        return quantize_dynamic(model, encoder, dtype=torch.qint8, inplace=True)
