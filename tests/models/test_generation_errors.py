"""Bad input to generate(): each a clear error naming the argument, what is wrong and the fix, raised before
any decoding (so nothing loops forever)."""

import logging

import pytest
import torch

import leanformers
from support.generative_models import build, gpt2_config, save

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    logging.getLogger("transformers").setLevel(logging.ERROR)
    folder = save(build("GPT2LMHeadModel", gpt2_config(bos_token_id=None, eos_token_id=None)),
                  tmp_path_factory.mktemp("gpt2"))
    return leanformers.GPT2LMHeadModel.from_pretrained(folder)


PROMPT = torch.tensor([[5, 6, 7]])


@pytest.mark.parametrize("kwargs,match", [
    (dict(max_length=None), "no end.*max_new_tokens"),
    (dict(max_new_tokens=5, num_beams=2, num_return_sequences=3), r"num_return_sequences \(3\).*num_beams \(2\)"),
    (dict(max_new_tokens=5, num_return_sequences=2), "Greedy.*num_return_sequences=2"),
    (dict(max_new_tokens=0), "max_new_tokens must be a positive integer, got 0"),
    (dict(max_new_tokens=5, do_sample=True, temperature=0.0), "temperature"),
    (dict(max_new_tokens=5, do_sample=True, top_p=1.5), "top_p"),
    (dict(max_new_tokens=5, num_beam=2), r"unknown arguments \['num_beam'\]"),
    (dict(max_length=3), "prompt has 3 tokens but max_length is 3"),
])
def test_bad_settings(model, kwargs, match):
    with pytest.raises(ValueError, match=match):
        model.generate(PROMPT, **kwargs)


def test_no_eos_and_no_length_never_loops(model):
    model.generation_config.max_length = None  # also when the bad setting comes from generation_config.json
    try:
        with pytest.raises(ValueError, match="no end"):
            model.generate(PROMPT)
    finally:
        del model.generation_config.max_length


@pytest.mark.parametrize("prompt", [None, torch.zeros(1, 0, dtype=torch.long)])
def test_empty_prompt_without_bos(model, prompt):
    assert model.config.bos_token_id is None
    with pytest.raises(ValueError, match="prompt is empty.*bos_token_id"):
        model.generate(prompt, max_new_tokens=5)


def test_one_dimensional_prompt(model):
    with pytest.raises(ValueError, match=r"input_ids must be 2-D.*input_ids\[None\]"):
        model.generate(PROMPT[0], max_new_tokens=5)
