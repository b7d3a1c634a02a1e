"""DeBERTa-v2 against transformers, on tiny random checkpoints that transformers built and saved.

Configs: DeBERTa-v3's layout scaled down (relative attention with p2c and c2p, log buckets, shared attention
keys, LayerNormed relative embeddings, no absolute positions, no token types), DeBERTa-v2's (absolute positions,
token types, the convolution, narrower embeddings projected, separate position projections), c2p alone without
buckets, and no relative attention. Every head (both MLM layouts) on a padded batch: logits, hidden states and
attentions at every position (padding included), losses, and the gradients of every parameter, within 1e-5.
Then DeBERTa's own sequence-classification losses, save_pretrained read back by transformers (same keys and
config), the Auto classes and the tokenizer from a checkpoint folder.
"""

import json
import logging
import sys
from pathlib import Path

import pytest
import torch
import transformers
from safetensors import safe_open

import leanformers
from support.tiny_models import (assert_same_report, captured, config_kwargs, labels_for, model_test_settings,
                                 padded_batch, randomise_trainable)
from test_electra_oracle import assert_close, gradients, scalar_loss

HEADS = ("Model", "ForSequenceClassification", "ForTokenClassification", "ForMaskedLM", "ForQuestionAnswering")
CONFIGS = {
    # v3: position_buckets 256 / max_relative_positions 512 scaled down so that 12 tokens reach the log buckets
    "v3": dict(relative_attention=True, pos_att_type=["p2c", "c2p"], position_buckets=8, max_relative_positions=20,
               share_att_key=True, norm_rel_ebd="layer_norm", position_biased_input=False, type_vocab_size=0),
    "v3-mlm": dict(relative_attention=True, pos_att_type=["p2c", "c2p"], position_buckets=8,
                   max_relative_positions=20, share_att_key=True, norm_rel_ebd="layer_norm",
                   position_biased_input=False, type_vocab_size=0, legacy=False),
    "v2-conv": dict(relative_attention=True, pos_att_type="p2c|c2p", position_biased_input=True, conv_kernel_size=3,
                    type_vocab_size=2, embedding_size=24, max_relative_positions=6),
    "c2p": dict(relative_attention=True, pos_att_type=["c2p"], type_vocab_size=2),
    "absolute": dict(type_vocab_size=2),
}
CASES = [(head, name) for head in HEADS for name in ("v3", "v2-conv")]
CASES += [("ForMaskedLM", "v3-mlm"), ("Model", "c2p"), ("ForSequenceClassification", "absolute")]
AUTO = {"Model": "AutoModel", "ForSequenceClassification": "AutoModelForSequenceClassification",
        "ForTokenClassification": "AutoModelForTokenClassification", "ForMaskedLM": "AutoModelForMaskedLM",
        "ForQuestionAnswering": "AutoModelForQuestionAnswering"}


@pytest.fixture(autouse=True)
def quiet_transformers():
    with model_test_settings(logging.ERROR):
        yield


def save_deberta(folder, head, name, seed=0, **config_extra):
    """A random DeBERTa-v2 checkpoint saved by transformers into `folder`; returns transformers' model read back
    from it (DeBERTa has one attention path, which returns the probabilities)."""
    config = transformers.DebertaV2Config(**config_kwargs("deberta-v2", "h32-l2", **CONFIGS[name], **config_extra))
    torch.manual_seed(seed)
    randomise_trainable(getattr(transformers, "DebertaV2" + head)(config), seed).save_pretrained(folder)
    return getattr(transformers, "DebertaV2" + head).from_pretrained(folder, attn_implementation="eager").eval()


def batch_for(name, seed=0, batch_size=3, seq_len=12):
    """Right-padded rows of different lengths; token types only where the config has them."""
    batch = padded_batch("bert", batch_size, seq_len, seed=seed)
    if CONFIGS[name]["type_vocab_size"] == 0:
        batch.pop("token_type_ids")
    return batch


@pytest.mark.parametrize("head,name", CASES)
def test_outputs_losses_and_gradients_match_transformers(tmp_path, head, name):
    reference = save_deberta(tmp_path, head, name)
    model = getattr(leanformers, "DebertaV2" + head).from_pretrained(tmp_path)
    assert not model.training
    assert sorted(model.state_dict()) == sorted(reference.state_dict())
    batch = batch_for(name)
    labels = labels_for(head, batch)

    theirs = reference(**batch, **labels, output_hidden_states=True, output_attentions=True)
    ours = model(**batch, **labels, output_hidden_states=True, output_attentions=True)
    assert list(ours.keys()) == list(theirs.keys())
    assert_close(ours, theirs)
    assert len(ours.hidden_states) == len(ours.attentions) + 1 == reference.config.num_hidden_layers + 1

    scalar_loss(head, theirs).backward()
    scalar_loss(head, ours).backward()
    assert_close(gradients(model), gradients(reference))


def test_fully_padded_queries_get_uniform_attention(tmp_path):
    """A padded query sees no key: as in transformers its attention row is uniform over every key."""
    save_deberta(tmp_path, "Model", "v3")
    model = leanformers.DebertaV2Model.from_pretrained(tmp_path)
    batch = batch_for("v3")
    with torch.no_grad():
        attentions = model(**batch, output_attentions=True).attentions
    padded = batch["attention_mask"] == 0
    rows = attentions[0].permute(0, 2, 1, 3)[padded]  # (padded queries, H, T)
    assert padded.any() and torch.allclose(rows, torch.full_like(rows, 1 / batch["input_ids"].shape[1]))


@pytest.mark.parametrize("num_labels,kind", [(1, "float"), (3, "int"), (3, "int-negative"), (3, "int-all-negative"),
                                             (3, "soft")])
def test_deberta_sequence_loss_with_problem_type_unset(tmp_path, num_labels, kind):
    """DeBERTa's own loss: regression flattens the logits, negative labels are skipped, float labels are soft
    targets; problem_type stays unset."""
    reference = save_deberta(tmp_path, "ForSequenceClassification", "v3", num_labels=num_labels)
    model = leanformers.DebertaV2ForSequenceClassification.from_pretrained(tmp_path)
    batch = batch_for("v3")
    g = torch.Generator().manual_seed(0)
    labels = {"float": torch.randn(3, generator=g), "int": torch.tensor([0, 2, 1]),
              "int-negative": torch.tensor([0, -1, 2]), "int-all-negative": torch.tensor([-1, -1, -1]),
              "soft": torch.softmax(torch.randn(3, num_labels, generator=g), -1)}[kind]
    theirs, ours = reference(**batch, labels=labels), model(**batch, labels=labels)
    assert_close(ours, theirs)
    assert model.config.problem_type is None and reference.config.problem_type is None
    if theirs.loss.requires_grad:
        theirs.loss.backward()
        ours.loss.backward()
        assert_close(gradients(model), gradients(reference))


@pytest.mark.parametrize("problem_type,num_labels", [("regression", 1), ("multi_label_classification", 3),
                                                     ("single_label_classification", 3)])
def test_sequence_classification_losses_with_problem_type(tmp_path, problem_type, num_labels):
    reference = save_deberta(tmp_path, "ForSequenceClassification", "v2-conv", num_labels=num_labels,
                             problem_type=problem_type)
    model = leanformers.DebertaV2ForSequenceClassification.from_pretrained(tmp_path)
    batch = batch_for("v2-conv")
    labels = labels_for("ForSequenceClassification", batch, num_labels, problem_type)
    theirs, ours = reference(**batch, **labels), model(**batch, **labels)
    assert_close(ours, theirs)
    theirs.loss.backward()
    ours.loss.backward()
    assert_close(gradients(model), gradients(reference))


@pytest.mark.parametrize("name", ["v3", "v2-conv"])
def test_no_mask_inputs_embeds_and_ignored_token_types(tmp_path, name):
    """Without an attention mask every position counts; inputs_embeds are embedding_size wide; token_type_ids
    (which the tokenizer always gives) are ignored by a model without token types, as in transformers."""
    reference = save_deberta(tmp_path, "ForTokenClassification", name)
    model = leanformers.DebertaV2ForTokenClassification.from_pretrained(tmp_path)
    batch = batch_for(name, seed=1, batch_size=4)
    input_ids = batch.pop("input_ids")
    embeds = model.get_input_embeddings()(input_ids).detach()
    types = {"token_type_ids": torch.ones_like(input_ids)}
    for inputs in ({"input_ids": input_ids}, {**batch, "inputs_embeds": embeds}, {**batch, "input_ids": input_ids,
                                                                                  **types}):
        with torch.no_grad():
            assert_close(model(**inputs, output_hidden_states=True), reference(**inputs, output_hidden_states=True))


@pytest.mark.parametrize("head,name", CASES)
def test_leanformers_save_loads_in_transformers(tmp_path, head, name):
    save_deberta(tmp_path / "hf", head, name, seed=3)
    model = getattr(leanformers, "DebertaV2" + head).from_pretrained(tmp_path / "hf")
    model.save_pretrained(tmp_path / "lean")
    reference, info = getattr(transformers, "DebertaV2" + head).from_pretrained(
        tmp_path / "lean", attn_implementation="eager", output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    tensors = []
    for side in ("hf", "lean"):
        with safe_open(tmp_path / side / "model.safetensors", "pt") as f:
            tensors.append({key: f.get_tensor(key) for key in f.keys()})
    assert sorted(tensors[0]) == sorted(tensors[1])  # the same names (a tied matrix stored once)
    assert all(torch.equal(tensors[0][key], tensors[1][key]) for key in tensors[0])
    configs = [json.loads((tmp_path / side / "config.json").read_text()) for side in ("hf", "lean")]
    assert configs[0] == configs[1]
    batch = batch_for(name, seed=4)
    labels = labels_for(head, batch)
    assert_close(model(**batch, **labels, output_hidden_states=True, output_attentions=True),
                 reference(**batch, **labels, output_hidden_states=True, output_attentions=True))


def test_auto_classes_pick_deberta_v2(tmp_path):
    for head, auto in AUTO.items():
        folder = tmp_path / head
        save_deberta(folder, head, "v3")
        ours, theirs = getattr(leanformers, auto).from_pretrained(folder), getattr(transformers, auto).from_pretrained(
            folder)
        assert type(ours).__name__ == type(theirs).__name__ == "DebertaV2" + head
        assert type(leanformers.AutoConfig.from_pretrained(folder)).__name__ == \
            type(transformers.AutoConfig.from_pretrained(folder)).__name__
    assert type(leanformers.AutoConfig.for_model("deberta-v2")) is leanformers.DebertaV2Config


def test_config_defaults_and_fresh_model_round_trip(tmp_path):
    assert leanformers.DebertaV2Config().to_diff_dict() == transformers.DebertaV2Config().to_diff_dict()
    config = leanformers.DebertaV2Config(**config_kwargs("deberta-v2", "h32-l2", **CONFIGS["v2-conv"]))
    assert config.pos_att_type == ["p2c", "c2p"] and config.pooler_hidden_size == 32
    torch.manual_seed(0)
    model = leanformers.DebertaV2ForMaskedLM(config).eval()  # random init, tied decoder
    assert model.cls.predictions.decoder.weight is model.deberta.embeddings.word_embeddings.weight
    assert model.deberta.encoder.conv.conv.weight.std() > 0
    model.save_pretrained(tmp_path)
    reference = transformers.DebertaV2ForMaskedLM.from_pretrained(tmp_path).eval()
    batch = batch_for("v2-conv")
    assert_close(model(**batch), reference(**batch))


def test_dropout_in_train_mode(tmp_path):
    save_deberta(tmp_path, "ForSequenceClassification", "v3")
    model = leanformers.DebertaV2ForSequenceClassification.from_pretrained(tmp_path)
    batch = batch_for("v3")
    with torch.no_grad():
        assert torch.equal(model(**batch).logits, model(**batch).logits)
        model.train()
        assert not torch.equal(model(**batch).logits, model(**batch).logits)


# ---- tokenizer: the SentencePiece model is trained here as DeBERTa-v3's (tests/tokenization) -------------------

TEXTS = ["Hello world!", "The quick brown fox jumps over the lazy dog.", "", "un-believable, isn't it?"]


def test_auto_tokenizer_from_a_checkpoint_folder(tmp_path):
    pytest.importorskip("sentencepiece")
    sys.path.insert(0, str(Path(__file__).parent.parent / "tokenization"))
    try:
        from test_deberta_v2_tokenizer import DEBERTA_SPM
        from test_t5_tokenizer import train
    finally:
        sys.path.pop(0)
    folder = train(tmp_path / "deberta", "spm.model", **DEBERTA_SPM)
    transformers.DebertaV2Tokenizer(vocab_file=str(folder / "spm.model")).save_pretrained(folder)
    save_deberta(folder, "ForSequenceClassification", "v3", vocab_size=700)
    ours, theirs = leanformers.AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours(TEXTS, padding=True)["input_ids"] == theirs(TEXTS, padding=True)["input_ids"]
    assert dict(ours(TEXTS[1], TEXTS[3])) == dict(theirs(TEXTS[1], TEXTS[3]))
    model = leanformers.AutoModelForSequenceClassification.from_pretrained(folder)
    reference = transformers.AutoModelForSequenceClassification.from_pretrained(folder).eval()
    with torch.no_grad():  # the tokenizer's token_type_ids go in, as a user would pass them
        assert_close(model(**ours(TEXTS, padding=True, return_tensors="pt")),
                     reference(**theirs(TEXTS, padding=True, return_tensors="pt")))


CROSS_LOADS = [("ForMaskedLM", "ForSequenceClassification"), ("ForSequenceClassification", "Model"),
               ("Model", "ForMaskedLM"), ("Model", "ForQuestionAnswering")]


@pytest.mark.parametrize("saved,loaded", CROSS_LOADS)
def test_cross_loading_report_matches_transformers(tmp_path, saved, loaded):
    """A checkpoint of one head loaded into another: the same load report (missing, unexpected keys) and info."""
    save_deberta(tmp_path, saved, "v2-conv")
    with model_test_settings(logging.WARNING):  # the load report is a warning
        with captured("transformers.modeling_utils") as theirs_log:
            _, theirs = getattr(transformers, "DebertaV2" + loaded).from_pretrained(tmp_path, output_loading_info=True)
        with captured("leanformers.modeling") as ours_log:
            _, ours = getattr(leanformers, "DebertaV2" + loaded).from_pretrained(tmp_path, output_loading_info=True)
    assert_same_report([m for m in theirs_log if "LOAD REPORT" in m], ours_log)
    for key in ("missing_keys", "unexpected_keys"):
        assert set(ours[key]) == set(theirs[key]), key


@pytest.mark.parametrize("new_num_tokens,pad_to_multiple_of", [(106, None), (89, None), (101, 16)])
def test_resize_token_embeddings(tmp_path, new_num_tokens, pad_to_multiple_of):
    """legacy: as transformers (weights and logits on the new ids, the tie kept). legacy=False, where transformers'
    model fails after resizing: the bias follows the vocabulary and the kept ids' logits do not change."""
    reference = save_deberta(tmp_path / "legacy", "ForMaskedLM", "v2-conv")
    model = leanformers.DebertaV2ForMaskedLM.from_pretrained(tmp_path / "legacy")
    for side in (reference, model):
        torch.manual_seed(5)
        side.resize_token_embeddings(new_num_tokens, pad_to_multiple_of=pad_to_multiple_of)
    size = reference.config.vocab_size
    assert model.config.vocab_size == size and model.cls.predictions.decoder.weight is \
        model.deberta.embeddings.word_embeddings.weight
    assert_close(dict(model.named_parameters()), dict(reference.named_parameters()))
    ids = torch.linspace(3, size - 1, 12).long().view(2, 6)
    with torch.no_grad():
        assert_close(model(input_ids=ids), reference(input_ids=ids))

    save_deberta(tmp_path / "new", "ForMaskedLM", "v3-mlm")
    model = leanformers.DebertaV2ForMaskedLM.from_pretrained(tmp_path / "new")
    ids = torch.arange(3, 15).view(2, 6)
    with torch.no_grad():
        before = model(input_ids=ids).logits
        model.resize_token_embeddings(new_num_tokens, pad_to_multiple_of=pad_to_multiple_of)
        after = model(input_ids=ids).logits
    assert after.shape[-1] == model.config.vocab_size == model.lm_predictions.lm_head.bias.shape[0]
    kept = min(before.shape[-1], after.shape[-1])
    assert torch.equal(after[..., :kept], before[..., :kept])
