"""Numerical parity with transformers for every architecture and head.

Checkpoints are built and saved by transformers (tiny random configs of several
sizes), loaded by leanformers, and run on padded batches in eval mode: logits,
loss, every hidden state and every attention, and the gradients of the loss,
within 1e-5. Then the reverse direction: leanformers saves, transformers loads.
"""

import logging

import pytest
import torch
import transformers

import leanformers
from support.tiny_models import (ARCHS, HEADS, PREFIX, SIZES, build_transformers_model, labels_for, max_abs_diff,
                         model_test_settings, padded_batch)

TOL = 1e-5
CASES = [(arch, head, size) for arch in ARCHS for head in HEADS for size in ("h32-l2", "h48-l3")]
CASES += [(arch, "ForSequenceClassification", "h16-l1") for arch in ARCHS]


@pytest.fixture(autouse=True)
def quiet_transformers():
    with model_test_settings(logging.ERROR):
        yield


def _saved_by_transformers(tmp_path, arch, head, size, **config_extra):
    model = build_transformers_model(arch, head, size, **config_extra)
    model.save_pretrained(tmp_path / "hf")
    # eager attention is the transformers path that returns attention probabilities
    reference = getattr(transformers, PREFIX[arch] + head).from_pretrained(tmp_path / "hf", attn_implementation="eager")
    return reference.eval(), tmp_path / "hf"


def _assert_same_outputs(ours, theirs):
    assert list(ours.keys()) == list(theirs.keys())
    for key in theirs.keys():
        assert max_abs_diff(ours[key], theirs[key]) <= TOL, key


def _assert_same_gradients(ours_model, theirs_model):
    ours = {name: p.grad for name, p in ours_model.named_parameters()}
    theirs = {name: p.grad for name, p in theirs_model.named_parameters()}
    assert ours.keys() == theirs.keys()
    for name, grad in theirs.items():
        if grad is None:
            assert ours[name] is None or not ours[name].any(), name
        else:
            assert max_abs_diff(ours[name], grad) <= TOL, name


@pytest.mark.parametrize("arch,head,size", CASES)
def test_transformers_checkpoint_gives_same_outputs_and_gradients(tmp_path, arch, head, size):
    reference, folder = _saved_by_transformers(tmp_path, arch, head, size)
    model = getattr(leanformers, PREFIX[arch] + head).from_pretrained(folder)
    assert not model.training  # from_pretrained returns eval mode, as transformers
    batch = padded_batch(arch, seed=SIZES[size][0])
    labels = labels_for(head, batch)

    theirs = reference(**batch, **labels, output_hidden_states=True, output_attentions=True)
    ours = model(**batch, **labels, output_hidden_states=True, output_attentions=True)
    _assert_same_outputs(ours, theirs)
    assert len(ours.hidden_states) == SIZES[size][1] + 1 and len(ours.attentions) == SIZES[size][1]

    if "loss" in theirs:
        theirs.loss.backward()
        ours.loss.backward()
        _assert_same_gradients(model, reference)


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("problem_type,num_labels", [
    ("regression", 1), ("single_label_classification", 3), ("multi_label_classification", 3)])
def test_sequence_classification_losses(tmp_path, arch, problem_type, num_labels):
    # problem_type left unset: both libraries infer it from num_labels and the labels' dtype
    reference, folder = _saved_by_transformers(tmp_path, arch, "ForSequenceClassification", "h32-l2",
                                               num_labels=num_labels)
    model = getattr(leanformers, PREFIX[arch] + "ForSequenceClassification").from_pretrained(folder)
    batch = padded_batch(arch)
    labels = labels_for("ForSequenceClassification", batch, num_labels, problem_type)
    theirs = reference(**batch, **labels)
    ours = model(**batch, **labels)
    assert abs(ours.loss.item() - theirs.loss.item()) <= TOL
    assert model.config.problem_type == reference.config.problem_type == problem_type
    theirs.loss.backward()
    ours.loss.backward()
    _assert_same_gradients(model, reference)


@pytest.mark.parametrize("arch", ARCHS)
def test_fused_attention_matches_transformers_sdpa(tmp_path, arch):
    """Without output_attentions both sides run torch's fused kernel (transformers' default "sdpa")."""
    build_transformers_model(arch, "Model", "h48-l3").save_pretrained(tmp_path)
    reference = getattr(transformers, PREFIX[arch] + "Model").from_pretrained(tmp_path)
    assert reference.config._attn_implementation == "sdpa"
    model = getattr(leanformers, PREFIX[arch] + "Model").from_pretrained(tmp_path)
    for batch in (padded_batch(arch, 4, 12, seed=1), {"input_ids": padded_batch(arch, 2, 7)["input_ids"][:1]}):
        with torch.no_grad():
            theirs = reference(**batch, output_hidden_states=True)
            ours = model(**batch, output_hidden_states=True)
        _assert_same_outputs(ours, theirs)
        # and the explicit path (output_attentions) agrees with the fused one
        with torch.no_grad():
            explicit = model(**batch, output_attentions=True).last_hidden_state
        assert max_abs_diff(explicit, ours.last_hidden_state) <= TOL


@pytest.mark.parametrize("arch,head", [(arch, head) for arch in ARCHS for head in HEADS])
def test_leanformers_checkpoint_loads_in_transformers(tmp_path, arch, head):
    """Reverse direction: a model saved by leanformers is read by transformers, with nothing missing or unused."""
    build_transformers_model(arch, head, "h32-l2", seed=3).save_pretrained(tmp_path / "hf")
    model = getattr(leanformers, PREFIX[arch] + head).from_pretrained(tmp_path / "hf")
    model.save_pretrained(tmp_path / "lean")
    reference, info = getattr(transformers, PREFIX[arch] + head).from_pretrained(
        tmp_path / "lean", attn_implementation="eager", output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    batch = padded_batch(arch, seed=4)
    labels = labels_for(head, batch)
    _assert_same_outputs(model(**batch, **labels, output_hidden_states=True, output_attentions=True),
                         reference(**batch, **labels, output_hidden_states=True, output_attentions=True))


def test_fresh_model_from_config_loads_in_transformers(tmp_path):
    """A model built from a config (random init, no checkpoint) round-trips through transformers too."""
    config = leanformers.BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                    intermediate_size=37, num_labels=4)
    model = leanformers.BertForSequenceClassification(config).eval()
    model.save_pretrained(tmp_path)
    reference = transformers.BertForSequenceClassification.from_pretrained(tmp_path).eval()
    batch = padded_batch("bert")
    _assert_same_outputs(model(**batch), reference(**batch))


def test_dropout_in_train_mode_and_gradients_flow(tmp_path):
    build_transformers_model("bert", "ForSequenceClassification", "h32-l2").save_pretrained(tmp_path)
    model = leanformers.BertForSequenceClassification.from_pretrained(tmp_path)
    batch = padded_batch("bert")
    with torch.no_grad():
        assert torch.equal(model(**batch).logits, model(**batch).logits)  # eval: deterministic
        model.train()
        torch.manual_seed(0)
        first = model(**batch).logits
        second = model(**batch).logits
        assert not torch.equal(first, second)  # train: dropout is active
        # with output_attentions the explicit path applies dropout to the probabilities
        dropped = model(**batch, output_attentions=True).attentions[0]
        model.eval()
        assert not torch.equal(dropped, model(**batch, output_attentions=True).attentions[0])
        model.train()
    loss = model(**batch, labels=torch.tensor([0, 1, 1])).loss
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("arch", ARCHS)
def test_inputs_embeds_and_explicit_position_ids(tmp_path, arch):
    reference, folder = _saved_by_transformers(tmp_path, arch, "Model", "h32-l2")
    model = getattr(leanformers, PREFIX[arch] + "Model").from_pretrained(folder)
    batch = padded_batch(arch)
    input_ids = batch.pop("input_ids")
    embeds = model.get_input_embeddings()(input_ids).detach()
    position_ids = torch.arange(2, 2 + input_ids.size(1)).expand_as(input_ids)
    for extra in ({"inputs_embeds": embeds}, {"input_ids": input_ids, "position_ids": position_ids}):
        with torch.no_grad():
            ours = model(**batch, **extra, output_hidden_states=True)
            theirs = reference(**batch, **extra, output_hidden_states=True)
        _assert_same_outputs(ours, theirs)


@pytest.mark.parametrize("arch", ARCHS)
def test_inference_mode_writes_in_place_without_changing_outputs(tmp_path, arch):
    """Without autograd the feed-forward activation and residual sums are written into fresh tensors in place;
    every output, hidden states included, must be bitwise what the autograd path gives, and match transformers."""
    reference, folder = _saved_by_transformers(tmp_path, arch, "ForTokenClassification", "h48-l3")
    model = getattr(leanformers, PREFIX[arch] + "ForTokenClassification").from_pretrained(folder)
    batch = padded_batch(arch, 4, 12, seed=2)
    with_grad = model(**batch, output_hidden_states=True)
    with torch.inference_mode():
        in_place = model(**batch, output_hidden_states=True)
        theirs = reference(**batch, output_hidden_states=True)
    assert with_grad.logits.requires_grad and not in_place.logits.requires_grad
    assert torch.equal(in_place.logits, with_grad.logits.detach())
    for ours, grad in zip(in_place.hidden_states, with_grad.hidden_states, strict=True):
        assert torch.equal(ours, grad.detach())
    _assert_same_outputs(in_place, theirs)
