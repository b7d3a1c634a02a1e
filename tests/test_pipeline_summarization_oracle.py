"""pipeline("summarization") and pipeline("text2text-generation") on a tiny BART checkpoint with a trained BPE
tokenizer, both saved by transformers. transformers 5 removed these pipelines; the reference is what they
did in transformers 4, done with transformers 5's own pieces: tokenize, generate() with the model's
generation_config.json and the call's settings, decode without special tokens. Same texts for greedy, beam
and seeded sampling calls; return_tensors; lists; output keys; bad input."""

import logging
import warnings

import pytest
import torch

import leanformers
from generative_models import CORPUS, assert_same_result, bart_config, bpe_checkpoint

transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    logging.getLogger("transformers").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="transformers")
    folder = bpe_checkpoint(tmp_path_factory.mktemp("bart"), "BartForConditionalGeneration", bart_config(),
                            "BartTokenizerFast", num_beams=2, no_repeat_ngram_size=2, max_length=16)
    model = transformers.BartForConditionalGeneration.from_pretrained(folder).eval()
    tokenizer = transformers.BartTokenizerFast.from_pretrained(folder)
    return model, tokenizer, folder


def reference(model, tokenizer, text, key, return_tensors=False, **generate_kwargs):
    ids = model.generate(**tokenizer(text, return_tensors="pt"), **generate_kwargs)
    if return_tensors:
        return [{key.replace("_text", "_token_ids"): row.tolist()} for row in ids]
    return [{key: tokenizer.decode(row, skip_special_tokens=True)} for row in ids]


CALLS = {
    "generation-config-defaults": dict(),  # num_beams=2, no_repeat_ngram_size=2, max_length=16 from the json
    "greedy": dict(num_beams=1, max_new_tokens=10),
    "beam-2-returned": dict(num_beams=3, num_return_sequences=2, max_new_tokens=8),
    "sampling": dict(do_sample=True, num_beams=1, top_k=10, max_new_tokens=10),
    "tensors": dict(return_tensors=True, max_new_tokens=6),
}


@pytest.mark.parametrize("task,key", [("summarization", "summary_text"), ("text2text-generation", "generated_text")])
@pytest.mark.parametrize("call", sorted(CALLS))
def test_same_output_as_transformers_generate(setup, task, key, call):
    model, tokenizer, folder = setup
    pipe = leanformers.pipeline(task, model=str(folder))
    torch.manual_seed(5)
    expected = reference(model, tokenizer, CORPUS[0], key, **CALLS[call])
    torch.manual_seed(5)
    assert_same_result(pipe(CORPUS[0], **CALLS[call]), expected)
    if not CALLS[call].get("do_sample"):  # lists: one result per text, unwrapped when each has one
        expected = [reference(model, tokenizer, text, key, **CALLS[call]) for text in CORPUS[:3]]
        expected = [r[0] for r in expected] if all(len(r) == 1 for r in expected) else expected
        assert_same_result(pipe(CORPUS[:3], **CALLS[call]), expected)


def test_bad_input(setup):
    _, _, folder = setup
    pipe = leanformers.pipeline("summarization", model=str(folder))
    with pytest.raises(ValueError, match="a text or a non-empty list of texts"):
        pipe([])
    with pytest.raises(ValueError, match="unknown arguments"):
        pipe(CORPUS[0], num_beam=2)
    gpt2_like = leanformers.pipeline("text2text-generation", model=str(folder))
    with pytest.raises(ValueError, match="encoder-decoder"):
        leanformers.pipeline("text-generation", model=gpt2_like.model, tokenizer=gpt2_like.tokenizer)
