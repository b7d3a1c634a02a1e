"""Token classification ("ner"): a label per token, or per entity, as transformers' pipeline gives them.

`pipe("My name is Wolfgang and I live in Berlin")` -> one dict per token not labelled "O" with `entity`,
`score`, `index`, `word`, `start`, `end`. `aggregation_strategy`: "none" (per token), "simple" (adjacent
tokens of one entity merged: `entity_group`), and "first" / "average" / "max" (sub-words of a word forced
to one label first, then merged). `ignore_labels` (default ["O"]); `stride` splits long texts into
overlapping windows whose entities are merged; `offset_mapping` overrides the tokenizer's offsets.
"""

import numpy as np

from ..utils.options import check_int
from .base import ModelPipeline, torch

STRATEGIES = ("none", "simple", "first", "average", "max")


class TokenClassificationPipeline(ModelPipeline):
    def __init__(self, model, tokenizer, task="token-classification", **kwargs):
        super().__init__(model, tokenizer, task, **kwargs)
        self._options(self._check, self._defaults)

    def _check(self, aggregation_strategy="none", ignore_labels=None, stride=None, offset_mapping=None):
        strategy = str(getattr(aggregation_strategy, "value", aggregation_strategy) or "none").lower()
        if strategy not in STRATEGIES:
            raise ValueError(f"aggregation_strategy must be one of {STRATEGIES}, got {aggregation_strategy!r}.")
        if check_int("stride", stride, 0, none="no windows") is not None:
            if stride >= self.tokenizer.model_max_length:
                raise ValueError("`stride` must be less than `tokenizer.model_max_length` (or even lower if the "
                                 "tokenizer adds special tokens)")
            if strategy == "none":
                raise ValueError('stride splits the text into windows whose entities are merged, which needs an '
                                 'aggregation_strategy other than "none" (e.g. "simple").')
        return strategy, ["O"] if ignore_labels is None else ignore_labels, stride, offset_mapping

    def __call__(self, inputs, **kwargs):
        strategy, ignore_labels, stride, offset_mapping = self._options(self._check, {**self._defaults, **kwargs})
        texts = self._texts(inputs)
        results = [self._entities(text, strategy, ignore_labels, stride, offset_mapping) for text in texts]
        return results[0] if isinstance(inputs, str) else results

    # ----------------------------------------------------------------- running

    def _entities(self, sentence, strategy, ignore_labels, stride, offset_mapping):
        window_kwargs = dict(return_overflowing_tokens=True, padding=True, stride=stride) if stride else {}
        limit = self.tokenizer.model_max_length
        encoding = self.tokenizer(sentence, return_tensors="pt", truncation=bool(limit and limit > 0),
                                  return_special_tokens_mask=True, return_offsets_mapping=True, **window_kwargs)
        special = encoding.pop("special_tokens_mask")
        offsets = encoding.pop("offset_mapping")
        encoding.pop("overflow_to_sample_mapping", None)
        entities = []
        for i in range(len(encoding["input_ids"])):
            window = self._to_device({key: value[i:i + 1] for key, value in encoding.items()})
            with torch.inference_mode():
                logits = self.model(**window).logits[0].float().cpu().numpy()  # (T, num_labels)
            scores = np.exp(logits - logits.max(-1, keepdims=True))
            scores = scores / scores.sum(-1, keepdims=True)
            window_offsets = offset_mapping if offset_mapping is not None else offsets[i]
            tokens = self._tokens(sentence, encoding["input_ids"][i], scores, window_offsets, special[i].numpy())
            grouped = self._aggregate(tokens, strategy)
            entities += [e for e in grouped
                         if e.get("entity") not in ignore_labels and e.get("entity_group") not in ignore_labels]
        return _merge_overlapping(entities) if len(encoding["input_ids"]) > 1 else entities

    def _tokens(self, sentence, input_ids, scores, offsets, special):
        """One record per non-special token: its text, scores, character span and whether it continues a word."""
        model = getattr(self.tokenizer.backend_tokenizer, "model", None)
        has_subword_prefix = bool(getattr(model, "continuing_subword_prefix", None))
        tokens = []
        for index, token_scores in enumerate(scores):
            if special[index]:
                continue
            word = self.tokenizer.convert_ids_to_tokens(int(input_ids[index]))
            start, end = (int(x) for x in offsets[index])
            text = sentence[start:end]
            if has_subword_prefix:  # "##ing" is longer than the text "ing" it covers
                is_subword = len(word) != len(text)
            else:  # byte-level BPE: a token continues a word when no space precedes it
                is_subword = start > 0 and " " not in sentence[start - 1:start + 1]
            if int(input_ids[index]) == self.tokenizer.unk_token_id:
                word, is_subword = text, False
            tokens.append({"word": word, "scores": token_scores, "start": start, "end": end, "index": index,
                           "is_subword": is_subword})
        return tokens

    # ----------------------------------------------------------------- aggregation

    def _aggregate(self, tokens, strategy):
        id2label = self.model.config.id2label
        if strategy in ("none", "simple"):
            entities = []
            for token in tokens:
                best = int(token["scores"].argmax())
                entities.append({"entity": id2label[best], "score": token["scores"][best], "index": token["index"],
                                 "word": token["word"], "start": token["start"], "end": token["end"]})
        else:
            entities = [self._word_entity(word, strategy) for word in _words(tokens)]
        return entities if strategy == "none" else self._group(entities)

    def _word_entity(self, tokens, strategy):
        """One label for the sub-words of one word: the first's, the most confident one's, or the mean's."""
        if strategy == "first":
            scores = tokens[0]["scores"]
        elif strategy == "max":
            scores = max(tokens, key=lambda token: token["scores"].max())["scores"]
        else:
            scores = np.nanmean(np.stack([token["scores"] for token in tokens]), axis=0)
        best = int(scores.argmax())
        return {"entity": self.model.config.id2label[best], "score": scores[best],
                "word": self.tokenizer.convert_tokens_to_string([token["word"] for token in tokens]),
                "start": tokens[0]["start"], "end": tokens[-1]["end"]}

    def _group(self, entities):
        """Merge runs of entities with the same tag (B- starts a new run, I- or no prefix continues one)."""
        groups, run = [], []
        for entity in entities:
            if run:
                bi, tag = _tag(entity["entity"])
                if not (tag == _tag(run[-1]["entity"])[1] and bi != "B"):
                    groups.append(self._group_of(run))
                    run = []
            run.append(entity)
        if run:
            groups.append(self._group_of(run))
        return groups

    def _group_of(self, run):
        return {"entity_group": run[0]["entity"].split("-", 1)[-1],
                "score": np.mean(np.nanmean([entity["score"] for entity in run])),
                "word": self.tokenizer.convert_tokens_to_string([entity["word"] for entity in run]),
                "start": run[0]["start"], "end": run[-1]["end"]}


NerPipeline = TokenClassificationPipeline


def _words(tokens):
    """Split token records into words: a token that is not a sub-word starts a new one."""
    words = []
    for token in tokens:
        if words and token["is_subword"]:
            words[-1].append(token)
        else:
            words.append([token])
    return words


def _tag(label):
    if label.startswith(("B-", "I-")):
        return label[0], label[2:]
    return "I", label


def _merge_overlapping(entities):
    """Entities of overlapping windows: of those that overlap, keep the longest (then the most confident)."""
    if not entities:
        return entities
    entities = sorted(entities, key=lambda entity: entity["start"])
    merged, previous = [], entities[0]
    for entity in entities:
        if previous["start"] <= entity["start"] < previous["end"]:
            length, previous_length = entity["end"] - entity["start"], previous["end"] - previous["start"]
            if length > previous_length or length == previous_length and entity["score"] > previous["score"]:
                previous = entity
        else:
            merged.append(previous)
            previous = entity
    merged.append(previous)
    return merged
