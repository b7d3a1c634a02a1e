"""Extractive question answering: the span of the context that best answers the question.

transformers 5 removed this pipeline; its interface and scoring are kept as transformers 4 had them.
`pipe(question=..., context=...)` -> `{'score', 'start', 'end', 'answer'}` (a list of `top_k` of them when
top_k > 1; one result per pair for lists). A long context is cut into windows of `max_seq_len` tokens that
overlap by `doc_stride`; in each window the start and end logits outside the context become -10000, are
softmaxed, and a span scores p(start) * p(end) with start <= end and at most `max_answer_len` tokens. With
`align_to_words` the answer is widened to whole words. Spans that give the same answer text (ignoring
case), in one window or several, are one answer whose score is the sum of theirs. `handle_impossible_answer`
adds the empty answer, scored by the [CLS] position of the window where it scores lowest.
"""

import numpy as np

from ..utils.options import check_int
from .base import ModelPipeline, describe, torch

NULL_SCORE = 1000000  # any real null score is lower
MODEL_INPUTS = ("input_ids", "attention_mask", "token_type_ids")  # of the encoding; the model's forward may take fewer


class QuestionAnsweringPipeline(ModelPipeline):
    def __init__(self, model, tokenizer, task="question-answering", **kwargs):
        super().__init__(model, tokenizer, task, **kwargs)

    def __call__(self, *args, **kwargs):
        examples, kwargs = _examples(args, kwargs)
        settings = self._options(self._settings, {**self._defaults, **kwargs})
        results = [self._answer(question, context, **settings) for question, context in examples]
        return results[0] if len(results) == 1 else results

    def _settings(self, top_k=1, doc_stride=None, max_answer_len=15, max_seq_len=None, max_question_len=64,
                  handle_impossible_answer=False, align_to_words=True, padding="do_not_pad"):
        for name, value in (("top_k", top_k), ("max_answer_len", max_answer_len),
                            ("max_question_len", max_question_len)):
            check_int(name, value, 1)
        if check_int("max_seq_len", max_seq_len, 1, none="the tokenizer's, at most 384") is None:
            max_seq_len = min(self.tokenizer.model_max_length, 384)
        if check_int("doc_stride", doc_stride, 0, none="half of max_seq_len, at most 128") is None:
            doc_stride = min(max_seq_len // 2, 128)
        if doc_stride > max_seq_len:
            raise ValueError(f"`doc_stride` ({doc_stride}) is larger than `max_seq_len` ({max_seq_len})")
        return dict(top_k=top_k, doc_stride=doc_stride, max_answer_len=max_answer_len, max_seq_len=max_seq_len,
                    handle_impossible_answer=handle_impossible_answer, align_to_words=align_to_words,
                    padding=padding)

    def _answer(self, question, context, top_k, doc_stride, max_answer_len, max_seq_len, handle_impossible_answer,
                align_to_words, padding):
        question_first = self.tokenizer.padding_side == "right"
        first, second = (question, context) if question_first else (context, question)
        encoding = self.tokenizer(first, second, padding=padding,
                                  truncation="only_second" if question_first else "only_first",
                                  max_length=max_seq_len, stride=doc_stride, return_token_type_ids=True,
                                  return_overflowing_tokens=True, return_offsets_mapping=True,
                                  return_special_tokens_mask=True)
        context_index = 1 if question_first else 0
        null_score, answers = NULL_SCORE, []
        for window in range(len(encoding["input_ids"])):
            input_ids = np.array(encoding["input_ids"][window])
            # 1 where a token cannot be part of the answer: the question and special tokens, but not [CLS]
            sequence_ids = encoding.sequence_ids(window)
            p_mask = np.array([s != 1 if question_first else 0 for s in sequence_ids], dtype=np.int64)
            if self.tokenizer.cls_token_id is not None:
                p_mask[input_ids == self.tokenizer.cls_token_id] = 0
            batch = self._to_device({name: torch.tensor([encoding[name][window]]) for name in MODEL_INPUTS
                                     if name in encoding})
            with torch.inference_mode():
                out = self.model(**batch)
            attention = np.array([encoding["attention_mask"][window]]) if "attention_mask" in encoding else None
            # aligning to words can turn several spans into one answer: take more candidates
            candidates = top_k * 2 + 10 if align_to_words else top_k
            starts, ends, scores, null_score = _best_spans(
                out.start_logits.float().cpu().numpy(), out.end_logits.float().cpu().numpy(), p_mask, attention,
                null_score, candidates, handle_impossible_answer, max_answer_len)
            offset = int((input_ids == self.tokenizer.pad_token_id).sum()) if not question_first else 0
            for s, e, score in zip(starts, ends, scores):
                start, end = self._char_span(encoding.encodings[window], s - offset, e - offset, context_index,
                                             align_to_words)
                text = context[start:end]
                # the same text (ignoring case) from another span or window adds its score to the first one's
                same = next((a for a in answers if a["answer"].lower() == text.lower()), None)
                if same is not None:
                    same["score"] += score.item()
                else:
                    answers.append({"score": score.item(), "start": start, "end": end, "answer": text})
        if handle_impossible_answer:
            answers.append({"score": null_score, "start": 0, "end": 0, "answer": ""})
        answers = sorted(answers, key=lambda answer: answer["score"], reverse=True)[:top_k]
        return answers[0] if len(answers) == 1 else answers

    @staticmethod
    def _char_span(enc, s, e, sequence_index, align_to_words):
        """Token span -> character span of the context; whole words when aligning (and the tokens have words)."""
        if align_to_words:
            start_word, end_word = enc.word_ids[s], enc.word_ids[e]
            if start_word is not None and end_word is not None:
                return (_word_chars(enc, start_word, sequence_index)[0], _word_chars(enc, end_word, sequence_index)[1])
        return enc.offsets[s][0], enc.offsets[e][1]


def _word_chars(enc, word, sequence_index):
    spans = [offset for offset, w, seq in zip(enc.offsets, enc.word_ids, enc.sequence_ids)
             if w == word and seq == sequence_index]
    return spans[0][0], spans[-1][1]


def _best_spans(start, end, p_mask, attention_mask, null_score, top_k, handle_impossible_answer, max_answer_len):
    """The top_k (start, end, score) of one window, and the null score updated with this window's [CLS]."""
    allowed = np.abs(p_mask - 1)
    if attention_mask is not None:
        allowed = allowed & attention_mask
    start = np.where(allowed == 0, -10000.0, start)
    end = np.where(allowed == 0, -10000.0, end)
    start = np.exp(start - start.max(axis=-1, keepdims=True))
    start = start / start.sum()
    end = np.exp(end - end.max(axis=-1, keepdims=True))
    end = end / end.sum()
    if handle_impossible_answer:
        null_score = min(null_score, (start[0, 0] * end[0, 0]).item())
    start[0, 0] = end[0, 0] = 0.0  # [CLS] is never a span, only the null answer

    outer = start[:, :, None] @ end[:, None, :]  # (1, T, T): p(start) * p(end)
    candidates = np.tril(np.triu(outer), max_answer_len - 1)  # start <= end < start + max_answer_len
    flat = candidates.flatten()
    if top_k == 1:
        order = [np.argmax(flat)]
    elif len(flat) < top_k:
        order = np.argsort(-flat)
    else:
        best = np.argpartition(-flat, top_k)[0:top_k]
        order = best[np.argsort(-flat[best])]
    starts, ends = np.unravel_index(order, candidates.shape)[1:]
    # as transformers 4: membership in the (row, column) index arrays of the allowed tokens
    keep = np.isin(starts, allowed.nonzero()) & np.isin(ends, allowed.nonzero())
    starts, ends = starts[keep], ends[keep]
    return starts, ends, candidates[0, starts, ends], null_score


def _examples(args, kwargs):
    """(question, context) pairs from the call forms transformers 4 accepted: question=/context= (strings or
    lists of the same length), a dict or list of dicts with those keys, or two positional strings."""
    if args and len(args) == 2 and all(isinstance(a, str) for a in args):
        pairs = [{"question": args[0], "context": args[1]}]
    elif len(args) == 1:
        pairs = args[0] if isinstance(args[0], (list, tuple)) else [args[0]]
    elif args:
        raise ValueError(f"question-answering got {len(args)} positional arguments; pass question= and context=.")
    elif "question" in kwargs and "context" in kwargs:
        question, context = kwargs.pop("question"), kwargs.pop("context")
        if isinstance(question, list) and isinstance(context, list):
            if len(question) != len(context):
                raise ValueError(f"question and context are lists of different lengths ({len(question)} and "
                                 f"{len(context)}); pass one question per context.")
            pairs = [{"question": q, "context": c} for q, c in zip(question, context)]
        elif isinstance(question, list):
            pairs = [{"question": q, "context": context} for q in question]
        else:
            pairs = [{"question": question, "context": context}]
    else:
        raise ValueError("question-answering needs question= and context= (or a dict with both keys).")
    examples = []
    for pair in pairs:
        if not isinstance(pair, dict) or set(pair) != {"question", "context"}:
            raise ValueError(f"Each input must be a dict with the keys 'question' and 'context', got "
                             f"{describe(pair)}.")
        for key in ("question", "context"):
            if not isinstance(pair[key], str) or not pair[key].strip():
                raise ValueError(f"`{key}` cannot be empty: pass a non-empty string (got {pair[key]!r}).")
        examples.append((pair["question"], pair["context"]))
    return examples, kwargs
