"""pipeline("question-answering") on a tiny BERT checkpoint saved by transformers. transformers 5 has no such
pipeline, so the reference is transformers 4's documented algorithm written out plainly here on transformers'
own tokenizer and model: windows of max_seq_len tokens overlapping by doc_stride, context-only softmax of
the start and end logits, every span (start <= end, at most max_answer_len tokens) scored p(start) * p(end),
answers widened to whole words, the null answer from [CLS]. Same answers, offsets and scores within 1e-5."""

import logging
import math
import warnings

import pytest
import torch

import leanformers
from generative_models import CORPUS, assert_same_result, wordpiece_checkpoint

transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    logging.getLogger("transformers").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="transformers")
    folder = wordpiece_checkpoint(tmp_path_factory.mktemp("bert"), "BertForQuestionAnswering")
    model = transformers.BertForQuestionAnswering.from_pretrained(folder).eval()
    tokenizer = transformers.BertTokenizerFast.from_pretrained(folder)
    return model, tokenizer, leanformers.pipeline("question-answering", model=str(folder))


def reference(model, tokenizer, question, context, top_k=1, doc_stride=None, max_answer_len=15, max_seq_len=64,
              handle_impossible_answer=False):
    doc_stride = min(max_seq_len // 2, 128) if doc_stride is None else doc_stride
    enc = tokenizer(question, context, truncation="only_second", max_length=max_seq_len, stride=doc_stride,
                    return_overflowing_tokens=True, return_offsets_mapping=True, return_token_type_ids=True)
    answers, null_score = [], 1000000
    for w in range(len(enc["input_ids"])):
        inputs = {k: torch.tensor([enc[k][w]]) for k in ("input_ids", "attention_mask", "token_type_ids")}
        with torch.no_grad():
            out = model(**inputs)
        allowed = [seq == 1 or tok == tokenizer.cls_token_id
                   for seq, tok in zip(enc.sequence_ids(w), enc["input_ids"][w])]

        def probs(logits):
            values = [x if ok else -10000.0 for x, ok in zip(logits[0].tolist(), allowed)]
            top = max(values)
            exps = [math.exp(v - top) for v in values]
            return [e / sum(exps) for e in exps]

        p_start, p_end = probs(out.start_logits), probs(out.end_logits)
        null_score = min(null_score, p_start[0] * p_end[0])
        spans = [(p_start[s] * p_end[e], s, e) for s in range(1, len(allowed)) for e in range(s, len(allowed))
                 if allowed[s] and allowed[e] and e - s < max_answer_len]
        for score, s, e in sorted(spans, reverse=True)[:top_k]:
            words = enc.encodings[w].word_ids
            start = enc.encodings[w].word_to_chars(words[s], sequence_index=1)[0]
            end = enc.encodings[w].word_to_chars(words[e], sequence_index=1)[1]
            answers.append({"score": score, "start": start, "end": end, "answer": context[start:end]})
    if handle_impossible_answer:
        answers.append({"score": null_score, "start": 0, "end": 0, "answer": ""})
    answers = sorted(answers, key=lambda a: a["score"], reverse=True)[:top_k]
    return answers[0] if len(answers) == 1 else answers


QUESTIONS = [("where does wolfgang live?", CORPUS[4]), ("what is the capital of france?", CORPUS[3]),
             ("who likes books?", " ".join(CORPUS))]


@pytest.mark.parametrize("options", [
    dict(), dict(top_k=3), dict(max_answer_len=2), dict(handle_impossible_answer=True),
    dict(doc_stride=8, max_seq_len=24), dict(doc_stride=8, max_seq_len=24, top_k=4, handle_impossible_answer=True),
])
def test_same_answers_as_reference(setup, options):
    model, tokenizer, pipe = setup
    for question, context in QUESTIONS:
        expected = reference(model, tokenizer, question, context, **{"max_seq_len": 64, **options})
        assert_same_result(pipe(question=question, context=context, **options), expected)


def test_call_forms(setup):
    _, _, pipe = setup
    (q1, c1), (q2, c2) = QUESTIONS[:2]
    single = pipe(question=q1, context=c1)
    assert set(single) == {"score", "start", "end", "answer"} and isinstance(single["score"], float)
    assert pipe({"question": q1, "context": c1}) == single
    assert pipe(q1, c1) == single
    both = pipe(question=[q1, q2], context=[c1, c2])
    assert both == [single, pipe(question=q2, context=c2)]
    assert pipe([{"question": q1, "context": c1}, {"question": q2, "context": c2}]) == both


@pytest.mark.parametrize("kwargs,match", [
    (dict(question="", context="paris"), "`question` cannot be empty"),
    (dict(question="where?", context=" "), "`context` cannot be empty"),
    (dict(question=["a", "b"], context=["c"]), "different lengths"),
    (dict(question="where?"), "needs question= and context="),
    (dict(question="where?", context="paris", doc_stride=100, max_seq_len=20), "doc_stride"),
])
def test_bad_input(setup, kwargs, match):
    _, _, pipe = setup
    with pytest.raises(ValueError, match=match):
        pipe(**kwargs)
