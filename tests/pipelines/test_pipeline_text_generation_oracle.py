"""pipeline("text-generation") against transformers' pipeline on the same tiny GPT-2 checkpoint and trained
BPE tokenizer: the same texts for greedy, beam and seeded sampling calls (including the pipeline's own
defaults: 256 new tokens, sampling at temperature 0.7), return_full_text, return_tensors, prefix,
num_return_sequences, lists of prompts and batching with left padding; bad input."""

import pytest
import torch

from support.generative_models import assert_same_result, text_generation_pipelines

transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def pipes(tmp_path_factory):
    return text_generation_pipelines(tmp_path_factory.mktemp("gpt2"))


PROMPTS = ["Once upon a time", "The quick brown fox jumps over", "We are very happy to"]
CALLS = {
    "greedy": dict(max_new_tokens=10, do_sample=False),
    "beam-3-returned": dict(max_new_tokens=8, num_beams=3, num_return_sequences=2, do_sample=False),
    "new-text-only": dict(max_new_tokens=6, do_sample=False, return_full_text=False),
    "token-ids": dict(max_new_tokens=6, do_sample=False, return_tensors=True),
    "prefix": dict(max_new_tokens=6, do_sample=False, prefix="Paris is the capital of France. "),
    "prefix-max-length": dict(max_length=12, do_sample=False, prefix="Berlin is "),
    "sampling": dict(max_new_tokens=10, do_sample=True, top_k=20, temperature=1.3),
    "sampling-3": dict(max_new_tokens=10, num_return_sequences=3),
    "repetition": dict(max_new_tokens=12, do_sample=False, repetition_penalty=1.4, no_repeat_ngram_size=2),
}


@pytest.mark.parametrize("call", sorted(CALLS))
def test_same_output_as_transformers(pipes, call):
    theirs, ours = pipes
    for inputs in (PROMPTS[0], PROMPTS):
        torch.manual_seed(7)
        expected = theirs(inputs, **CALLS[call])
        torch.manual_seed(7)
        assert_same_result(ours(inputs, **CALLS[call]), expected)


def test_pipeline_defaults_sample_256_tokens(pipes):
    theirs, ours = pipes
    torch.manual_seed(0)
    expected = theirs(PROMPTS[1])
    torch.manual_seed(0)
    got = ours(PROMPTS[1])
    assert_same_result(got, expected)
    assert len(ours.tokenizer(got[0]["generated_text"])["input_ids"]) > 200


def test_batched_left_padding(pipes):
    theirs, ours = pipes
    theirs.tokenizer.pad_token = "<pad>"  # in the trained vocabulary, id 1
    ours.tokenizer.pad_token = "<pad>"
    try:
        kwargs = dict(max_new_tokens=8, do_sample=False, batch_size=3)
        assert ours.tokenizer.padding_side == "left"
        assert_same_result(ours(PROMPTS, **kwargs), theirs(PROMPTS, **kwargs))
    finally:
        theirs.tokenizer.pad_token = None
        ours.tokenizer.pad_token = None


def test_bad_input(pipes):
    _, ours = pipes
    with pytest.raises(ValueError, match="prompt string or a list"):
        ours(42)
    with pytest.raises(ValueError, match=r"Batching prompts \(batch_size=2\) pads them.*no pad token"):
        ours(PROMPTS, batch_size=2, max_new_tokens=3)
    with pytest.raises(ValueError, match="unknown arguments"):
        ours(PROMPTS[0], max_new_token=3)
