"""BART against transformers on tiny random checkpoints saved by transformers, with padded batches: logits,
loss, encoder and decoder hidden states, self- and cross-attentions and the cache within 1e-5, gradients,
labels shifted into decoder_input_ids (-100 -> pad), encoder_outputs reuse, cached decoding step by step,
the quicktour's labels cell, the reverse direction and the Auto classes."""

import logging

import pytest
import torch

import leanformers
from support.generative_models import (BART_HEADS, BART_SIZES, EOS, PAD, VOCAB, assert_same_outputs, bart_batch,
                               bart_config, build, max_abs_diff, padded_ids, reference, save, train_bpe)

transformers = pytest.importorskip("transformers")
TOL = 1e-5


@pytest.fixture(autouse=True)
def quiet_transformers():
    logging.getLogger("transformers").setLevel(logging.ERROR)


def _checkpoint(tmp_path, head, size="d32", **extra):
    folder = save(build(head, bart_config(size, **extra)), tmp_path / "hf")
    return reference(head, folder), folder


@pytest.mark.parametrize("size", sorted(BART_SIZES))
@pytest.mark.parametrize("head", BART_HEADS)
def test_outputs_and_gradients_with_labels(tmp_path, head, size):
    theirs_model, folder = _checkpoint(tmp_path, head, size)
    ours_model = getattr(leanformers, head).from_pretrained(folder)
    batch, labels = bart_batch(seed=len(size))
    kwargs = dict(**batch, output_hidden_states=True, output_attentions=True)
    if head == "BartForConditionalGeneration":
        kwargs["labels"] = labels  # decoder_input_ids come from shifting these
    elif head == "BartForSequenceClassification":
        kwargs["labels"] = torch.tensor([0, 2, 1])
    theirs, ours = theirs_model(**kwargs), ours_model(**kwargs)
    assert_same_outputs(ours, theirs, TOL)
    if "loss" in theirs:
        theirs.loss.backward()
        ours.loss.backward()
        grads = {name: p.grad for name, p in theirs_model.named_parameters()}
        for name, param in ours_model.named_parameters():
            if param.requires_grad:
                assert max_abs_diff(grads[name], param.grad) <= TOL, name


@pytest.mark.parametrize("head", ["BartModel", "BartForConditionalGeneration"])
def test_padded_decoder_inputs_and_cache(tmp_path, head):
    theirs_model, folder = _checkpoint(tmp_path, head, "d48")
    ours_model = getattr(leanformers, head).from_pretrained(folder)
    batch, _ = bart_batch()
    decoder_ids, decoder_mask = padded_ids(batch_size=3, seq_len=5, seed=7)
    kwargs = dict(**batch, decoder_input_ids=decoder_ids, decoder_attention_mask=decoder_mask,
                  output_hidden_states=True, output_attentions=True)
    theirs, ours = theirs_model(**kwargs), ours_model(**kwargs)
    assert "cache" in ours
    assert_same_outputs(ours, theirs, TOL)


def test_encoder_outputs_are_reused(tmp_path):
    _, folder = _checkpoint(tmp_path, "BartForConditionalGeneration")
    model = leanformers.BartForConditionalGeneration.from_pretrained(folder)
    batch, labels = bart_batch()
    full = model(**batch, labels=labels)
    encoder_outputs = model.get_encoder()(**batch)
    for given in (encoder_outputs, encoder_outputs.to_tuple()):
        again = model(attention_mask=batch["attention_mask"], encoder_outputs=given, labels=labels)
        assert max_abs_diff(full.logits, again.logits) == 0 and again.loss == full.loss


def test_cached_steps_match_transformers(tmp_path):
    theirs_model, folder = _checkpoint(tmp_path, "BartForConditionalGeneration", "d48")
    ours_model = leanformers.BartForConditionalGeneration.from_pretrained(folder)
    batch, _ = bart_batch()
    decoder_ids = torch.full((3, 1), EOS)
    theirs = theirs_model(**batch, decoder_input_ids=decoder_ids, use_cache=True)
    ours = ours_model(**batch, decoder_input_ids=decoder_ids, use_cache=True)
    encoder_outputs = (ours.encoder_last_hidden_state,)
    for _ in range(3):
        assert max_abs_diff(theirs.logits, ours.logits) <= TOL
        assert max_abs_diff(theirs.cache, ours.cache) <= TOL
        token = theirs.logits[:, -1].argmax(-1, keepdim=True)
        theirs = theirs_model(attention_mask=batch["attention_mask"], encoder_outputs=encoder_outputs,
                              decoder_input_ids=token, cache=theirs.cache)
        ours = ours_model(attention_mask=batch["attention_mask"], encoder_outputs=encoder_outputs,
                          decoder_input_ids=token, past_key_values=ours.cache)


QUICKTOUR_TEXTS = ["We are very happy to show you the Transformers library.", "We hope you don't hate it."]
TARGETS = ["We are happy.", "We hope you like it very much."]


def test_quicktour_labels_cell(tmp_path):
    """`model(**batch, labels=labels)` on a tokenized batch: the loss comes first and equals transformers', and
    the labels become the same decoder inputs (shifted right after decoder_start_token_id, -100 -> pad)."""
    from transformers.models.bart.modeling_bart import shift_tokens_right as reference_shift

    from leanformers.models.bart import shift_tokens_right

    vocab = train_bpe(tmp_path / "bpe", (QUICKTOUR_TEXTS + TARGETS) * 20)
    transformers.BartTokenizer(str(vocab / "vocab.json"), str(vocab / "merges.txt")).save_pretrained(tmp_path / "hf")
    theirs_model, folder = _checkpoint(tmp_path, "BartForConditionalGeneration")
    model = leanformers.AutoModelForSeq2SeqLM.from_pretrained(folder)
    tokenizer = leanformers.AutoTokenizer.from_pretrained(folder)

    batch = tokenizer(QUICKTOUR_TEXTS, padding=True, truncation=True, max_length=512, return_tensors="pt")
    labels = tokenizer(TARGETS, padding=True, return_tensors="pt")["input_ids"]
    labels[labels == tokenizer.pad_token_id] = -100
    assert int(labels.max()) < VOCAB
    outputs = model(**batch, labels=labels)
    theirs = theirs_model(**batch, labels=labels)
    assert outputs[0] is outputs.loss and abs(outputs[0].item() - theirs[0].item()) <= TOL
    assert max_abs_diff(outputs.logits, theirs.logits) <= TOL
    shifted = model.prepare_decoder_input_ids_from_labels(labels)
    assert torch.equal(shifted, reference_shift(labels, PAD, EOS))
    assert torch.equal(shifted, shift_tokens_right(labels, PAD, EOS))
    assert shifted[0, 0] == EOS and not (shifted == -100).any()


def test_transformers_loads_what_leanformers_saves(tmp_path):
    theirs_model, folder = _checkpoint(tmp_path, "BartForConditionalGeneration", "d48")
    leanformers.BartForConditionalGeneration.from_pretrained(folder).save_pretrained(tmp_path / "lean")
    reloaded, info = transformers.BartForConditionalGeneration.from_pretrained(
        tmp_path / "lean", attn_implementation="eager", output_loading_info=True)
    assert not any(info.values())
    batch, labels = bart_batch()
    assert max_abs_diff(theirs_model(**batch, labels=labels).logits, reloaded(**batch, labels=labels).logits) == 0


def test_auto_classes_pick_bart(tmp_path):
    _, folder = _checkpoint(tmp_path, "BartForConditionalGeneration")
    config = leanformers.AutoConfig.from_pretrained(folder)
    assert isinstance(config, leanformers.BartConfig) and config.num_labels == 3  # BART's default head
    assert type(leanformers.AutoModelForSeq2SeqLM.from_pretrained(folder)).__name__ == "BartForConditionalGeneration"
    assert type(leanformers.AutoModel.from_pretrained(folder)).__name__ == "BartModel"
    classifier = leanformers.AutoModelForSequenceClassification.from_pretrained(folder)
    assert type(classifier).__name__ == "BartForSequenceClassification"


def test_sequence_classification_needs_equal_eos_counts(tmp_path):
    _, folder = _checkpoint(tmp_path, "BartForSequenceClassification")
    model = leanformers.BartForSequenceClassification.from_pretrained(folder)
    batch, _ = bart_batch()
    batch["input_ids"][0, 1] = EOS  # row 0 now has two </s>
    with pytest.raises(ValueError, match="same number"):
        model(**batch)
