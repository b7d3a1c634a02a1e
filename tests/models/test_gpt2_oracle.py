"""GPT-2 against transformers on tiny random checkpoints saved by transformers, with padded batches (left
and right): logits, loss, every hidden state, every attention and the key/value cache within 1e-5, the
gradients of the loss, cached decoding step by step, the reverse direction and the Auto classes."""

import logging

import pytest
import torch

import leanformers
from support.generative_models import (EOS, GPT2_HEADS, GPT2_SIZES, assert_same_outputs, build, gpt2_config, max_abs_diff,
                               padded_ids, reference, save)

transformers = pytest.importorskip("transformers")
TOL = 1e-5


@pytest.fixture(autouse=True)
def quiet_transformers():
    logging.getLogger("transformers").setLevel(logging.ERROR)


def _checkpoint(tmp_path, head, size, **extra):
    extra.setdefault("pad_token_id", EOS)
    folder = save(build(head, gpt2_config(size, **extra)), tmp_path / "hf")
    return reference(head, folder), folder


def _labels(head, input_ids, mask):
    if head == "GPT2LMHeadModel":
        return {"labels": input_ids.masked_fill(mask == 0, -100)}
    if head == "GPT2ForSequenceClassification":
        return {"labels": torch.tensor([1, 0, 1])}
    return {}


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("size", sorted(GPT2_SIZES))
@pytest.mark.parametrize("head", GPT2_HEADS)
def test_outputs_cache_and_gradients(tmp_path, head, size, side):
    theirs_model, folder = _checkpoint(tmp_path, head, size)
    # the reference's setting (eager: it returns attentions), which decides the rows of the left pads (they see
    # no key); test_padded_positions_parity.py compares the default setting as well
    ours_model = getattr(leanformers, head).from_pretrained(folder, attn_implementation="eager")
    input_ids, mask = padded_ids(side=side, pad=EOS, seed=len(size))
    kwargs = dict(input_ids=input_ids, attention_mask=mask, output_hidden_states=True, output_attentions=True,
                  **_labels(head, input_ids, mask))
    theirs, ours = theirs_model(**kwargs), ours_model(**kwargs)
    assert_same_outputs(ours, theirs, TOL)
    assert len(ours.hidden_states) == theirs_model.config.n_layer + 1
    if "loss" in theirs:
        theirs.loss.backward()
        ours.loss.backward()
        grads = {name: p.grad for name, p in theirs_model.named_parameters()}
        for name, param in ours_model.named_parameters():
            assert max_abs_diff(grads[name], param.grad) <= TOL, name


@pytest.mark.parametrize("setting", [None, "eager"])
@pytest.mark.parametrize("size", ["h32-l2", "h16-l1"])
def test_cached_steps_match_transformers(tmp_path, size, setting):
    """A left-padded prompt, then three single tokens on the cache, with explicit position ids as generate
    passes them: every step's logits and cache equal transformers', with its default attention and eager."""
    _, folder = _checkpoint(tmp_path, "GPT2LMHeadModel", size)
    kwargs = {} if setting is None else {"attn_implementation": setting}
    theirs_model = transformers.GPT2LMHeadModel.from_pretrained(folder, **kwargs).eval()
    ours_model = leanformers.GPT2LMHeadModel.from_pretrained(folder, **kwargs)
    input_ids, mask = padded_ids(side="left", pad=EOS, seed=3)
    positions = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 0)
    theirs = theirs_model(input_ids=input_ids, attention_mask=mask, position_ids=positions, use_cache=True)
    ours = ours_model(input_ids=input_ids, attention_mask=mask, position_ids=positions, use_cache=True)
    for step in range(3):
        assert max_abs_diff(theirs.logits, ours.logits) <= TOL
        assert max_abs_diff(theirs.cache, ours.cache) <= TOL
        token = theirs.logits[:, -1].argmax(-1, keepdim=True)
        mask = torch.cat([mask, torch.ones_like(token)], dim=1)
        positions = positions[:, -1:] + 1
        step_kwargs = dict(input_ids=token, attention_mask=mask, position_ids=positions, use_cache=True)
        theirs = theirs_model(**step_kwargs, cache=theirs.cache)
        ours = ours_model(**step_kwargs, past_key_values=ours.cache)  # the pre-v5 name works too


def test_return_dict_false_and_no_cache(tmp_path):
    theirs_model, folder = _checkpoint(tmp_path, "GPT2LMHeadModel", "h32-l2")
    ours_model = leanformers.GPT2LMHeadModel.from_pretrained(folder)
    input_ids, mask = padded_ids(pad=EOS)
    theirs = theirs_model(input_ids=input_ids, attention_mask=mask, use_cache=False, return_dict=False)
    ours = ours_model(input_ids=input_ids, attention_mask=mask, use_cache=False, return_dict=False)
    assert isinstance(ours, tuple) and len(ours) == len(theirs) == 1
    assert max_abs_diff(theirs[0], ours[0]) <= TOL


def test_transformers_loads_what_leanformers_saves(tmp_path):
    theirs_model, folder = _checkpoint(tmp_path, "GPT2LMHeadModel", "h48-l3")
    ours_model = leanformers.GPT2LMHeadModel.from_pretrained(folder)
    ours_model.save_pretrained(tmp_path / "lean")
    reloaded, info = transformers.GPT2LMHeadModel.from_pretrained(
        tmp_path / "lean", attn_implementation="eager", output_loading_info=True)
    assert not any(info.values())
    input_ids, mask = padded_ids(pad=EOS)
    assert max_abs_diff(theirs_model(input_ids, attention_mask=mask).logits,
                        reloaded(input_ids, attention_mask=mask).logits) == 0


def test_auto_classes_pick_gpt2(tmp_path):
    _, folder = _checkpoint(tmp_path, "GPT2LMHeadModel", "h16-l1")
    assert isinstance(leanformers.AutoConfig.from_pretrained(folder), leanformers.GPT2Config)
    assert type(leanformers.AutoModelForCausalLM.from_pretrained(folder)).__name__ == "GPT2LMHeadModel"
    assert type(leanformers.AutoModel.from_pretrained(folder)).__name__ == "GPT2Model"
    classifier = leanformers.AutoModelForSequenceClassification.from_pretrained(folder, num_labels=3)
    assert type(classifier).__name__ == "GPT2ForSequenceClassification" and classifier.score.out_features == 3


def test_sequence_classification_without_pad_token_needs_one_row(tmp_path):
    _, folder = _checkpoint(tmp_path, "GPT2ForSequenceClassification", "h16-l1", pad_token_id=None)
    model = leanformers.GPT2ForSequenceClassification.from_pretrained(folder)
    input_ids, _ = padded_ids()
    with pytest.raises(ValueError, match="pad_token_id"):
        model(input_ids)
    assert model(input_ids[:1]).logits.shape == (1, 2)
