"""generate() against transformers' generate() on the same tiny GPT-2 (left-padded batch) and BART
(right-padded batch) checkpoints: identical token ids for greedy search, beam search (num_beams,
length_penalty, early_stopping, num_return_sequences) and, with the same seed, sampling (temperature,
top_k, top_p) and beam sampling; the logits processors (min_new_tokens, repetition_penalty,
no_repeat_ngram_size, forced_bos/eos_token_id); eos ids that really end rows early; defaults read from
generation_config.json; and the settings saved back with the model."""

import logging
import warnings

import pytest
import torch

import leanformers
from support.generative_models import EOS, PAD, bart_config, build, gpt2_config, padded_ids, reference, save

transformers = pytest.importorskip("transformers")

ARCHS = {
    "gpt2": ("GPT2LMHeadModel", gpt2_config, "left", EOS),
    "bart": ("BartForConditionalGeneration", bart_config, "right", PAD),
}
CASES = {
    "greedy": dict(max_new_tokens=12),
    "greedy-default-length": dict(),
    "min-new-tokens": dict(max_new_tokens=10, min_new_tokens=6),
    "no-eos-min-lengths": dict(max_new_tokens=8, min_new_tokens=8, min_length=4, eos_token_id=None),  # the benchmark's
    "beam-sample-no-eos": dict(max_new_tokens=8, do_sample=True, num_beams=2, top_k=1, eos_token_id=None),
    "repetition-ngram": dict(max_new_tokens=15, repetition_penalty=1.5, no_repeat_ngram_size=2),
    "forced-bos-eos": dict(max_new_tokens=8, forced_bos_token_id=5, forced_eos_token_id=7),
    "beam": dict(max_new_tokens=12, num_beams=4),
    "beam-return-3": dict(max_new_tokens=12, num_beams=4, num_return_sequences=3, length_penalty=0.5),
    "beam-early": dict(max_new_tokens=12, num_beams=3, early_stopping=True),
    "beam-never": dict(max_new_tokens=12, num_beams=3, early_stopping="never", length_penalty=2.0),
    "sample": dict(max_new_tokens=12, do_sample=True),
    "sample-warped": dict(max_new_tokens=12, do_sample=True, temperature=0.7, top_k=10, top_p=0.9,
                          num_return_sequences=2),
    "beam-sample": dict(max_new_tokens=12, do_sample=True, num_beams=3),
    # random tiny BARTs repeat one token; banning repeats makes the beams differ
    "beam-ngram": dict(max_new_tokens=12, num_beams=4, no_repeat_ngram_size=2, repetition_penalty=1.3,
                       num_return_sequences=2),
}


@pytest.fixture(autouse=True)
def quiet():
    logging.getLogger("transformers").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="transformers")


@pytest.fixture(scope="module", params=sorted(ARCHS))
def pair(request, tmp_path_factory):
    """(transformers model, leanformers model, batch) on one checkpoint of each architecture."""
    head, config, side, pad = ARCHS[request.param]
    folder = save(build(head, config(), scale=0.3), tmp_path_factory.mktemp(request.param))
    theirs = reference(head, folder)
    theirs.set_attn_implementation("sdpa")  # transformers' default for generate
    input_ids, mask = padded_ids(batch_size=3, seq_len=6, side=side, pad=pad, seed=1)
    return theirs, getattr(leanformers, head).from_pretrained(folder), {"input_ids": input_ids, "attention_mask": mask}


def _generate_both(theirs, ours, seed=0, **kwargs):
    torch.manual_seed(seed)
    expected = theirs.generate(**kwargs)
    torch.manual_seed(seed)
    return expected, ours.generate(**kwargs)


def _assert_equal_ids(expected, got):
    assert got.shape == expected.shape and torch.equal(got, expected), (expected.tolist(), got.tolist())


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_ids_as_transformers(pair, case):
    theirs, ours, batch = pair
    _assert_equal_ids(*_generate_both(theirs, ours, seed=len(case), **batch, **CASES[case]))


@pytest.mark.parametrize("case", ["greedy", "beam", "beam-early", "beam-return-3", "sample"])
def test_eos_ends_rows_early(pair, case):
    """The tiny models rarely produce their eos; tokens they do produce mid-way are made the eos ids, so rows end
    at different steps: finished rows are padded (greedy, sampling) and beams finish and compete. Repeats are
    banned (no_repeat_ngram_size=1) so that each row's tokens differ."""
    theirs, ours, batch = pair
    settings = {**CASES[case], "no_repeat_ngram_size": 1}
    free_run = theirs.generate(**batch, **{**settings, "do_sample": False, "num_beams": 1,
                                          "num_return_sequences": 1}, eos_token_id=None)
    eos_ids = sorted({int(t) for t in free_run[:, -9:-7].flatten()})
    expected, got = _generate_both(theirs, ours, seed=3, **batch, **settings, eos_token_id=eos_ids)
    _assert_equal_ids(expected, got)
    assert got.shape[1] < free_run.shape[1]


def test_generation_config_json_gives_defaults(tmp_path):
    """Settings in generation_config.json apply when the call does not give them, in both libraries, and a save by
    leanformers writes them back for transformers."""
    folder = save(build("BartForConditionalGeneration", bart_config(), scale=0.3), tmp_path / "hf",
                  num_beams=3, max_length=9, no_repeat_ngram_size=2, length_penalty=1.5)
    theirs = reference("BartForConditionalGeneration", folder)
    ours = leanformers.AutoModelForSeq2SeqLM.from_pretrained(folder)
    assert ours.generation_config.num_beams == 3 and ours.generation_config.max_length == 9
    input_ids, mask = padded_ids(batch_size=2, seq_len=6, pad=PAD, seed=4)
    _assert_equal_ids(theirs.generate(input_ids, attention_mask=mask), ours.generate(input_ids, attention_mask=mask))
    _assert_equal_ids(theirs.generate(input_ids, attention_mask=mask, num_beams=1),
                      ours.generate(input_ids, attention_mask=mask, num_beams=1))  # the call wins

    ours.save_pretrained(tmp_path / "lean")
    reloaded = transformers.AutoModelForSeq2SeqLM.from_pretrained(tmp_path / "lean")
    assert reloaded.generation_config.num_beams == 3 and reloaded.generation_config.max_length == 9


def test_bos_start_without_prompt(tmp_path):
    folder = save(build("GPT2LMHeadModel", gpt2_config(), scale=0.3), tmp_path / "hf")
    theirs, ours = reference("GPT2LMHeadModel", folder), leanformers.GPT2LMHeadModel.from_pretrained(folder)
    _assert_equal_ids(theirs.generate(max_new_tokens=5), ours.generate(max_new_tokens=5))
    assert torch.equal(ours.generate(torch.zeros(1, 0, dtype=torch.long), max_new_tokens=5),
                       ours.generate(max_new_tokens=5))  # an empty prompt starts from bos too


def test_sampling_with_a_generator(pair):
    """`generator=` draws from a given torch.Generator instead of the global RNG: the same seed, the same ids."""
    _, ours, batch = pair
    runs = [ours.generate(**batch, max_new_tokens=8, do_sample=True, generator=torch.Generator().manual_seed(11))
            for _ in range(2)]
    torch.manual_seed(0)
    global_rng = ours.generate(**batch, max_new_tokens=8, do_sample=True)
    assert torch.equal(runs[0], runs[1]) and runs[0].shape == global_rng.shape


def test_no_processor_work_without_eos():
    """min_length/min_new_tokens only suppress an eos: without one, no processor runs each step (the benchmark's
    settings)."""
    from leanformers.generation import GenerationConfig, logits_processors

    settings = GenerationConfig(min_new_tokens=8, min_length=4)
    assert logits_processors(settings, 16, [], 24, None) == []
    assert len(logits_processors(settings, 16, [EOS], 24, None)) == 2
