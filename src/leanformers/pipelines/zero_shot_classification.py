"""Zero-shot classification: texts and candidate labels in, the labels ranked by score out, as transformers.

An NLI model (one fine-tuned on premise/hypothesis pairs, such as facebook/bart-large-mnli) judges each
(text, hypothesis) pair, where the hypothesis is `hypothesis_template` with a candidate label in it
("This example is sports."). The label's score comes from the entailment logit: with `multi_label=False` the
entailment logits of a text's labels are softmaxed together (the scores sum to 1); with `multi_label=True`
(and whenever there is one label) each label's entailment logit is softmaxed against its contradiction logit
alone. The entailment logit is the one whose label in `config.label2id` starts with "entail" (any case).

`pipe(text, candidate_labels=[...])` -> `{'sequence', 'labels', 'scores'}` (labels best first); a list of
texts -> a list of those; an iterator -> an iterator of them. The pairs of every text of a call are tokenized
together (the text cut first when too long: truncation="only_first", as transformers), sorted by length and
run `batch_size` pairs at a time, padded to each batch's longest.
"""

import inspect
import logging

import numpy as np

from ..utils.options import check_int
from .base import ModelPipeline, as_batch, as_stream, describe, first_given, torch
from .text_classification import _model_max_length

logger = logging.getLogger(__name__)

DEFAULT_TEMPLATE = "This example is {}."
DEFAULT_BATCH_SIZE = 32  # pairs per batch when neither the pipeline nor the call says (transformers' is 1)
_UNSET = object()
LABELS_HINT = "e.g. candidate_labels=['politics', 'sports'] or candidate_labels='politics, sports'"


def _given(candidate_labels=_UNSET, hypothesis_template=_UNSET, multi_label=_UNSET):
    """The zero-shot options given (by name) -> {name: value}, each checked; those not given are left out."""
    options = {}
    if candidate_labels is not _UNSET:
        options["candidate_labels"] = parse_labels(candidate_labels)
    if hypothesis_template is not _UNSET:
        if not isinstance(hypothesis_template, str):
            raise ValueError(f"hypothesis_template must be a string with {{}} where the label goes, e.g. "
                             f"{DEFAULT_TEMPLATE!r}; got {describe(hypothesis_template)}.")
        options["hypothesis_template"] = hypothesis_template
    if multi_label is not _UNSET:
        if not isinstance(multi_label, (bool, np.bool_)) and multi_label not in (0, 1):
            raise ValueError(f"multi_label must be True or False, got {describe(multi_label)}.")
        options["multi_label"] = bool(multi_label)
    return options


def parse_labels(labels):
    """candidate_labels -> a list of label strings: a string is split at its commas (each part stripped, empty
    parts dropped, as transformers), a list or other sized collection is taken as it is."""
    if isinstance(labels, str):
        return [label.strip() for label in labels.split(",") if label.strip()]
    parsed = as_batch(labels)
    if parsed is None or not all(isinstance(label, str) for label in parsed):
        raise ValueError(f"candidate_labels must be a string of comma-separated labels or a list of label strings "
                         f"({LABELS_HINT}); got {describe(labels)}.")
    return parsed


def hypotheses(template, labels):
    """The hypothesis of each label: `template` formatted with it; a clear error when the template has no {}
    for the label or cannot be formatted with one value."""
    if not labels:
        raise ValueError(f"zero-shot-classification needs at least one candidate label; pass them as "
                         f"candidate_labels ({LABELS_HINT}).")
    try:
        formatted = [template.format(label) for label in labels]
    except (IndexError, KeyError, ValueError) as err:
        raise ValueError(
            f"hypothesis_template {template!r} cannot be formatted with a label ({type(err).__name__}: {err}): "
            f"it takes one {{}} where the label goes, e.g. {DEFAULT_TEMPLATE!r}; write literal braces as {{{{ }}}}."
        ) from None
    if formatted[0] == template:  # transformers' check: the label went nowhere
        raise ValueError(f"hypothesis_template {template!r} has no {{}} for the label, so every label would give "
                         f"the same hypothesis; put {{}} where the label goes, e.g. {DEFAULT_TEMPLATE!r}.")
    return formatted


def entailment_id(config):
    """The index of the entailment logit: the first label of config.label2id starting with "entail" (any case),
    -1 (the last logit, as transformers) when none does."""
    for label, index in (getattr(config, "label2id", None) or {}).items():
        if str(label).lower().startswith("entail"):
            return int(index)
    return -1


class ZeroShotClassificationPipeline(ModelPipeline):
    """Classify texts into labels chosen at call time, with an NLI sequence classification model.

    `pipe(text, candidate_labels=["urgent", "phone"])` (or the labels as the second positional argument) ->
    `{'sequence': text, 'labels': [...], 'scores': [...]}`, labels sorted by score, best first;
    `hypothesis_template` (default "This example is {}.") turns a label into the hypothesis; `multi_label`
    (default False) scores each label on its own instead of sharing 1 among them; `batch_size`: (text, label)
    pairs per model call. Any of these may also be given when the pipeline is built, as call defaults.
    """

    def __init__(self, model, tokenizer, task="zero-shot-classification", device=None, batch_size=None,
                 quantize=None, **kwargs):
        super().__init__(model, tokenizer, task, device=device, batch_size=batch_size, quantize=quantize)
        if batch_size is not None:
            check_int("batch_size", batch_size, 1)
        self._defaults = self._options(_given, kwargs)
        self._model_max_length = _model_max_length(self.model.config, tokenizer)
        self._use_cache = "use_cache" in inspect.signature(self.model.forward).parameters
        if self.entailment_id == -1:
            logger.warning(
                "Failed to determine 'entailment' label id from the label2id mapping in the model config. Setting to "
                "-1. Define a descriptive label2id mapping in the model config to ensure correct outputs."
            )

    @property
    def entailment_id(self):
        return entailment_id(self.model.config)

    def __call__(self, sequences, *args, batch_size=None, **kwargs):
        """The ranked labels of each text (see the class docstring)."""
        if len(args) == 1 and "candidate_labels" not in kwargs:
            kwargs["candidate_labels"] = args[0]
        elif args:
            raise ValueError(f"zero-shot-classification takes the texts and, optionally, the candidate labels as "
                             f"positional arguments; got {len(args)} more: {args!r}. Pass the others by name "
                             "(hypothesis_template=..., multi_label=...).")
        options = {**self._defaults, **self._options(_given, kwargs)}
        if "candidate_labels" not in options:
            raise ValueError(f"zero-shot-classification needs candidate labels; pass candidate_labels ({LABELS_HINT}).")
        labels = options["candidate_labels"]
        pairs = hypotheses(options.get("hypothesis_template", DEFAULT_TEMPLATE), labels)
        multi_label = options.get("multi_label", False)
        batch_size = check_int("batch_size", first_given(batch_size, self.batch_size, self._default_batch()), 1)

        if isinstance(sequences, str):
            return self._classify([self._text(sequences, "sequences")], labels, pairs, multi_label, batch_size)[0]
        stream = as_stream(sequences)
        if stream is not None:
            return (self._classify([self._text(text, f"sequences[{i}]")], labels, pairs, multi_label, batch_size)[0]
                    for i, text in enumerate(stream))
        texts = as_batch(sequences)
        if texts is None:
            raise ValueError(f"zero-shot-classification takes a text or a list of texts as sequences, got "
                             f"{describe(sequences)}.")
        if not texts:
            raise ValueError("sequences is an empty list: pass at least one text to classify, e.g. "
                             "pipe(['I loved this film.'], candidate_labels=['cinema', 'sports']).")
        texts = [self._text(text, f"sequences[{i}]") for i, text in enumerate(texts)]
        return self._classify(texts, labels, pairs, multi_label, batch_size)

    @staticmethod
    def _text(text, where):
        if not isinstance(text, str):
            raise ValueError(f"{where} is {describe(text)}: each sequence to classify must be a string.")
        if not text:
            raise ValueError(f"{where} is an empty string: pass a non-empty text to classify.")
        return text

    def _default_batch(self):
        # without a pad token the pairs cannot be padded to one length: one at a time, as transformers' default
        return DEFAULT_BATCH_SIZE if self.tokenizer.pad_token_id is not None else 1

    # ----------------------------------------------------------------- running

    def _classify(self, texts, labels, pairs, multi_label, batch_size):
        """One result per text: every (text, hypothesis) pair encoded, run in batches, and scored."""
        premises = [text for text in texts for _ in pairs]
        encoded = self._encode(premises, pairs * len(texts))
        logits = self._logits(encoded, batch_size).reshape(len(texts), len(labels), -1)  # (texts, labels, classes)
        results = []
        for text, scores in zip(texts, self._scores(logits, multi_label)):
            order = np.argsort(scores)[::-1]  # transformers' order (numpy's sort reversed), ties included
            results.append({"sequence": text, "labels": [labels[i] for i in order], "scores": scores[order].tolist()})
        return results

    def _encode(self, premises, hypotheses_):
        """{key: [ids per pair]}; the premise is cut when a pair is too long (truncation="only_first"), and a pair
        whose premise cannot be cut enough is kept whole, as transformers does."""
        kwargs = {"truncation": "only_first"}
        if self._model_max_length is not None:  # the tokenizer does not know how long the model's inputs may be
            kwargs["max_length"] = self._model_max_length
        try:
            return dict(self.tokenizer(premises, hypotheses_, **kwargs))
        except ValueError as err:
            if not _premise_too_short(err):
                raise
        columns = {}
        for premise, hypothesis in zip(premises, hypotheses_):
            try:
                encoding = self.tokenizer(premise, hypothesis, **kwargs)
            except ValueError as err:
                if not _premise_too_short(err):
                    raise
                encoding = self.tokenizer(premise, hypothesis, truncation=False)
            for key, values in encoding.items():
                columns.setdefault(key, []).append(values)
        return columns

    def _logits(self, columns, batch_size):
        """The float32 logits of every pair, in pair order: (pairs, classes). Pairs run sorted by length, so that
        each batch pads to nearly its own length."""
        ids = columns["input_ids"]
        order = sorted(range(len(ids)), key=lambda row: len(ids[row]))
        logits = [None] * len(ids)
        for first in range(0, len(order), batch_size):
            rows = order[first:first + batch_size]
            with torch.inference_mode():
                out = self.model(**self._to_device(self._collate(columns, rows, batch_size)),
                                 **({"use_cache": False} if self._use_cache else {}))
            for row, row_logits in zip(rows, out.logits.float().cpu().numpy()):
                logits[row] = row_logits
        return np.stack(logits)

    def _collate(self, columns, rows, batch_size):
        """The rows' encodings padded (on the tokenizer's side) to their longest: {key: (B, T) int64 tensor}."""
        length = max(len(columns["input_ids"][row]) for row in rows)
        pad_id = self.tokenizer.pad_token_id
        if pad_id is None and any(len(columns["input_ids"][row]) != length for row in rows):
            raise self._no_pad_token(batch_size, "(text, label) pairs")
        left = getattr(self.tokenizer, "padding_side", "right") == "left"
        batch = {}
        for key, column in columns.items():
            if key not in ("input_ids", "attention_mask", "token_type_ids") or not self._takes(key):
                continue
            array = np.full((len(rows), length), (pad_id or 0) if key == "input_ids" else 0, dtype=np.int64)
            for i, row in enumerate(rows):
                values = column[row]
                if left:
                    array[i, length - len(values):] = values
                else:
                    array[i, :len(values)] = values
            batch[key] = torch.from_numpy(array)
        return batch

    def _scores(self, logits, multi_label):
        """(texts, labels) float32 scores from (texts, labels, classes) logits."""
        entail = self.entailment_id
        if multi_label or logits.shape[1] == 1:  # each label: entailment against contradiction
            contradiction = -1 if entail == 0 else 0
            return _softmax(logits[..., [contradiction, entail]])[..., 1]
        return _softmax(logits[..., entail])  # the labels of a text share 1


def _premise_too_short(err):
    """Whether a tokenizer's error says that the premise cannot be cut enough for its pair to fit (ours says "...
    to reach max_length ...", the `tokenizers` library "... too short ...")."""
    return "to reach max_length" in str(err) or "too short" in str(err)


def _softmax(x):
    """Softmax over the last axis, in the logits' float32 (shifted by the maximum, so large logits do not overflow)."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
