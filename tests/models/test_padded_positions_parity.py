"""Every position equals transformers', padding included, and so does the loss over labels at padded positions.

The positions that need care are the queries whose attention row has no key left: a left pad of a causal decoder
(GPT-2, BART's decoder) sees only padding, and every token of a sequence that is all padding (an encoder's, or
BART's encoder under its decoder's cross-attention) sees nothing. transformers 5 gives such a query zero attention
with its default attn_implementation ("sdpa") and the mean of the values with "eager"; leanformers follows the
setting it is given (modeling/layers.py, masked_score), on its fused path and on its explicit one
(output_attentions=True). Each case compares logits, every hidden state, the loss with labels at every position
(none is -100) and, for the default setting, the gradients of that loss.
"""

import logging

import pytest
import torch

import leanformers
from support.generative_models import EOS, bart_config, build, gpt2_config, max_abs_diff, padded_ids, save
from support.tiny_models import build_transformers_model, config_kwargs, model_test_settings, padded_batch

transformers = pytest.importorskip("transformers")
TOL = 1e-5
ENCODERS = {"bert": "Bert", "distilbert": "DistilBert", "roberta": "Roberta", "electra": "Electra"}
SETTINGS = ("default", "eager")


@pytest.fixture(autouse=True)
def quiet_transformers():
    with model_test_settings(logging.ERROR):
        yield


def _load_pair(class_name, folder, setting):
    """transformers' and leanformers' model of `folder`, both with the same attn_implementation."""
    kwargs = {} if setting == "default" else {"attn_implementation": setting}
    theirs = getattr(transformers, class_name).from_pretrained(folder, **kwargs).eval()
    assert theirs.config._attn_implementation == ("sdpa" if setting == "default" else setting)
    return theirs, getattr(leanformers, class_name).from_pretrained(folder, **kwargs)


def _encoder_checkpoint(folder, arch):
    if arch == "electra":  # tiny_models builds the other three; ELECTRA with a narrower embedding, projected
        config = transformers.ElectraConfig(**config_kwargs("electra", "h32-l2", embedding_size=24))
        torch.manual_seed(0)
        model = transformers.ElectraForMaskedLM(config)
        with torch.no_grad():
            for param in model.parameters():
                param.add_(torch.randn_like(param) * 0.05)
    else:
        model = build_transformers_model(arch, "ForMaskedLM", "h32-l2")
    model.save_pretrained(folder)
    return folder


def _encoder_batch(arch):
    """Right padding of two lengths, one row unpadded and the last row all padding; labels everywhere."""
    batch = padded_batch("bert" if arch == "electra" else arch, batch_size=4, seq_len=9, seed=2)
    batch["attention_mask"][3] = 0
    batch["input_ids"][3] = 1 if arch == "roberta" else 0
    if "token_type_ids" in batch:
        batch["token_type_ids"] = batch["token_type_ids"] * batch["attention_mask"]
    labels = torch.randint(0, 99, batch["input_ids"].shape, generator=torch.Generator().manual_seed(5))
    return batch, labels


def _gpt2_batch():
    input_ids, mask = padded_ids(side="left", pad=EOS, seed=3)
    return {"input_ids": input_ids, "attention_mask": mask}, input_ids.clone()  # the pads are labels too


def _bart_batch(decoder_side):
    """Encoder input right-padded with its last row all padding; the decoder's padded on `decoder_side`."""
    input_ids, mask = padded_ids(batch_size=3, seq_len=9, seed=1)
    input_ids[torch.arange(3), mask.sum(1) - 1] = EOS
    mask[2] = 0
    decoder_ids, decoder_mask = padded_ids(batch_size=3, seq_len=6, side=decoder_side, seed=7)
    labels = torch.randint(3, 99, (3, 6), generator=torch.Generator().manual_seed(8))
    return {"input_ids": input_ids, "attention_mask": mask, "decoder_input_ids": decoder_ids,
            "decoder_attention_mask": decoder_mask}, labels


def _case(tmp_path, name):
    """(class name, checkpoint folder, batch, labels, the outputs to compare) of one architecture."""
    if name in ENCODERS:
        folder = _encoder_checkpoint(tmp_path / name, name)
        return (ENCODERS[name] + "ForMaskedLM", folder, *_encoder_batch(name), ("logits", "hidden_states"))
    if name == "gpt2":
        folder = save(build("GPT2LMHeadModel", gpt2_config("h32-l2", pad_token_id=EOS)), tmp_path / name)
        return ("GPT2LMHeadModel", folder, *_gpt2_batch(), ("logits", "hidden_states", "cache"))
    folder = save(build("BartForConditionalGeneration", bart_config("d32")), tmp_path / "bart")
    side = name.rpartition("-")[2]
    return ("BartForConditionalGeneration", folder, *_bart_batch(side),
            ("logits", "encoder_last_hidden_state", "encoder_hidden_states", "decoder_hidden_states", "cache"))


def _fully_masked_queries(name, batch):
    """How many queries of the batch see no key at all (the test is about them: there must be some)."""
    if name in ENCODERS or name.startswith("bart"):
        count = int((batch["attention_mask"].sum(1) == 0).sum()) * batch["attention_mask"].size(1)
        if name == "bart-left":
            count += int((batch["decoder_attention_mask"].cumsum(1) == 0).sum())
        return count
    return int((batch["attention_mask"].cumsum(1) == 0).sum())


def _assert_same(theirs, ours, keys):
    assert keys[0] in theirs  # the logits; the others where this head returns them (BART with labels: no cache)
    for key in keys:
        assert (key in ours) == (key in theirs), key
        if key in theirs:
            assert max_abs_diff(theirs[key], ours[key]) <= TOL, key


CASES = [*ENCODERS, "gpt2", "bart-left", "bart-right"]


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("name", CASES)
def test_every_position_and_the_loss_match(tmp_path, name, setting):
    class_name, folder, batch, labels, keys = _case(tmp_path, name)
    assert _fully_masked_queries(name, batch) > 0
    theirs_model, ours_model = _load_pair(class_name, folder, setting)
    kwargs = dict(**batch, labels=labels, output_hidden_states=True)
    theirs, ours = theirs_model(**kwargs), ours_model(**kwargs)
    _assert_same(theirs, ours, keys)
    assert abs(theirs.loss.item() - ours.loss.item()) <= TOL
    if setting == "default":
        theirs.loss.backward()
        ours.loss.backward()
        grads = {n: p.grad for n, p in theirs_model.named_parameters()}
        for n, param in ours_model.named_parameters():
            if not param.requires_grad:  # BART's final_logits_bias: a buffer in transformers
                continue
            if grads[n] is None:
                assert param.grad is None or not param.grad.any(), n
            else:
                assert max_abs_diff(grads[n], param.grad) <= TOL, n


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("name", CASES)
def test_explicit_attention_path_gives_the_same_numbers(tmp_path, name, setting):
    """output_attentions=True computes the probabilities by hand: the same outputs as the fused kernel, a row with
    no key all zero by default (not NaN, also in the gradient) and uniform under "eager", as transformers'."""
    class_name, folder, batch, labels, keys = _case(tmp_path, name)
    theirs_model, ours_model = _load_pair(class_name, folder, setting)
    kwargs = dict(**batch, labels=labels, output_hidden_states=True)
    theirs = theirs_model(**kwargs, output_attentions=setting == "eager")
    ours = ours_model(**kwargs, output_attentions=True)
    _assert_same(theirs, ours, keys)
    assert abs(theirs.loss.item() - ours.loss.item()) <= TOL
    attention_keys = [k for k in ("attentions", "encoder_attentions", "decoder_attentions", "cross_attentions")
                      if k in ours]
    if setting == "eager":  # transformers returns probabilities only with eager attention
        for key in attention_keys:
            assert max_abs_diff(theirs[key], ours[key]) <= TOL, key
    else:
        rows = torch.cat([a.sum(-1).flatten() for key in attention_keys for a in ours[key]])
        assert ((rows - 1).abs() <= 1e-5).logical_or(rows == 0).all() and (rows == 0).any()
    ours.loss.backward()
    assert all(torch.isfinite(p.grad).all() for p in ours_model.parameters() if p.grad is not None)


def test_the_two_settings_of_transformers_differ_at_those_positions(tmp_path):
    """The cases above can fail: at the left pads of GPT-2, transformers' default and eager attention disagree."""
    class_name, folder, batch, labels, _ = _case(tmp_path, "gpt2")
    sdpa, _ = _load_pair(class_name, folder, "default")
    eager, _ = _load_pair(class_name, folder, "eager")
    with torch.no_grad():
        gap = max_abs_diff(sdpa(**batch).logits, eager(**batch).logits)
        unpadded = max_abs_diff(sdpa(**batch).logits[batch["attention_mask"] == 1],
                                eager(**batch).logits[batch["attention_mask"] == 1])
    assert gap > 1e-2 and unpadded <= TOL


def test_no_mask_work_without_padding():
    """No padding, no mask: an all-ones attention_mask gives the fused kernel no mask at all (its fast path)."""
    from leanformers.modeling.cache import causal_mask
    from leanformers.modeling.layers import additive_mask

    ones = torch.ones(2, 5, dtype=torch.long)
    for setting in (None, "eager"):
        assert additive_mask(None, torch.float32, setting) is None
        assert additive_mask(ones, torch.float32, setting) is None
        assert causal_mask(None, 4, 1, torch.float32, "cpu", setting) is None
