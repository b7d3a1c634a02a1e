"""ModernBERT against transformers, on tiny random checkpoints that transformers built and saved.

Every head, without biases (the default) and with every bias and mean pooling: logits, hidden states and
attentions at every position, padding included, on a padded batch longer than local_attention (so the sliding
window matters, and some padded queries of a local layer see no key at all); losses, and the gradients of the
loss for every parameter, within 1e-5. With "eager" (the path that returns attentions) and with the default
attention a user gets (sdpa). Then the Auto classes, save_pretrained read back by transformers, and the config
files, the old config.json form (global_attn_every_n_layers, global_rope_theta, local_rope_theta) included.
"""

import json
import logging

import pytest
import torch
import transformers
from safetensors import safe_open

import leanformers
from support.tiny_models import (VOCAB, assert_close, assert_same_report, captured, gradients, labels_for,
                                 model_test_settings, randomise_trainable, scalar_loss)

HEADS = ("Model", "ForSequenceClassification", "ForTokenClassification", "ForMaskedLM", "ForQuestionAnswering")
PAD = 0
LOCAL_ATTENTION = 8  # a local layer sees 4 positions on each side; the batch below is 20 long
# three layers: global, local, global (global_attn_every_n_layers=2), distinct rope bases for the two kinds
BASE = dict(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=3, num_attention_heads=4, intermediate_size=37,
            max_position_embeddings=64, local_attention=LOCAL_ATTENTION, global_attn_every_n_layers=2,
            global_rope_theta=1000.0, local_rope_theta=100.0, pad_token_id=PAD, bos_token_id=1, eos_token_id=2,
            cls_token_id=1, sep_token_id=2)
VARIANTS = {
    "plain": {},
    "biased": dict(norm_bias=True, attention_bias=True, mlp_bias=True, classifier_bias=True, decoder_bias=True,
                   classifier_pooling="mean", hidden_activation="gelu_new", num_hidden_layers=2),
}
AUTO = {"Model": "AutoModel", "ForSequenceClassification": "AutoModelForSequenceClassification",
        "ForTokenClassification": "AutoModelForTokenClassification", "ForMaskedLM": "AutoModelForMaskedLM",
        "ForQuestionAnswering": "AutoModelForQuestionAnswering"}


@pytest.fixture(autouse=True)
def quiet_transformers():
    with model_test_settings(logging.ERROR):
        yield


def config_for(variant="plain", **extra):
    return {**BASE, **VARIANTS[variant], **extra}


def save_modernbert(folder, head, variant="plain", seed=0, attn_implementation="eager", **extra):
    """A random ModernBERT checkpoint saved by transformers into `folder`; returns transformers' model read back
    from it with `attn_implementation` (None: the default a user gets)."""
    config = transformers.ModernBertConfig(**config_for(variant, **extra))
    torch.manual_seed(seed)
    randomise_trainable(getattr(transformers, "ModernBert" + head)(config), seed).save_pretrained(folder)
    kwargs = {"attn_implementation": attn_implementation} if attn_implementation else {}
    return getattr(transformers, "ModernBert" + head).from_pretrained(folder, **kwargs).eval()


def load_ours(folder, head, attn_implementation="eager"):
    kwargs = {"attn_implementation": attn_implementation} if attn_implementation else {}
    return getattr(leanformers, "ModernBert" + head).from_pretrained(folder, **kwargs)


def batch_for(seed=0, lengths=(20, 13, 3)):
    """Right-padded rows of these lengths; the last is so short that padded queries of a local layer past
    its window see only padding."""
    g = torch.Generator().manual_seed(seed)
    T = max(lengths)
    input_ids = torch.randint(3, VOCAB, (len(lengths), T), generator=g)
    attention_mask = (torch.arange(T)[None, :] < torch.tensor(lengths)[:, None]).long()
    input_ids[attention_mask == 0] = PAD
    return {"input_ids": input_ids, "attention_mask": attention_mask}


def head_labels(head, batch, num_labels=2):
    return labels_for(head, batch, num_labels=num_labels)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("head", HEADS)
def test_eager_outputs_losses_and_gradients_match_transformers(tmp_path, head, variant):
    reference = save_modernbert(tmp_path, head, variant)
    model = load_ours(tmp_path, head)
    assert not model.training
    assert [layer.attention_type for layer in model.base_model.layers] == reference.config.layer_types
    batch = batch_for()
    labels = head_labels(head, batch, reference.config.num_labels)

    theirs = reference(**batch, **labels, output_hidden_states=True, output_attentions=True)
    ours = model(**batch, **labels, output_hidden_states=True, output_attentions=True)
    assert list(ours.keys()) == list(theirs.keys())
    assert_close(ours, theirs)
    assert len(ours.hidden_states) == reference.config.num_hidden_layers + 1
    assert len(ours.attentions) == reference.config.num_hidden_layers

    scalar_loss(head, theirs).backward()
    scalar_loss(head, ours).backward()
    assert_close(gradients(model), gradients(reference))
    assert all(g is not None for g in gradients(model).values())


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("head", ["ForMaskedLM", "ForSequenceClassification", "ForQuestionAnswering"])
def test_default_attention_matches_transformers_default(tmp_path, head, variant):
    """What a user gets without attn_implementation (transformers: sdpa, whose empty rows give 0), at padded
    positions too; without a mask, with position_ids and with inputs_embeds; gradients as well."""
    reference = save_modernbert(tmp_path, head, variant, seed=1, attn_implementation=None)
    assert reference.config._attn_implementation == "sdpa"
    model = load_ours(tmp_path, head, attn_implementation=None)
    batch = batch_for(seed=1)
    labels = head_labels(head, batch, reference.config.num_labels)
    theirs = reference(**batch, **labels, output_hidden_states=True)
    ours = model(**batch, **labels, output_hidden_states=True)
    assert_close(ours, theirs)
    scalar_loss(head, theirs).backward()
    scalar_loss(head, ours).backward()
    assert_close(gradients(model), gradients(reference))

    input_ids = batch["input_ids"]
    embeds = model.get_input_embeddings()(input_ids).detach()
    position_ids = torch.arange(input_ids.shape[1]).flip(0)[None, :].expand(input_ids.shape[0], -1)
    for inputs in ({"input_ids": input_ids}, {**batch, "position_ids": position_ids},
                   {"attention_mask": batch["attention_mask"], "inputs_embeds": embeds}):
        with torch.no_grad():
            assert_close(model(**inputs, output_hidden_states=True), reference(**inputs, output_hidden_states=True))


@pytest.mark.parametrize("attn_implementation", [None, "eager"])
def test_padded_rows_equal_their_unpadded_selves_at_real_tokens(tmp_path, attn_implementation):
    """Padding changes nothing at the real tokens, in either setting, for local and global layers alike."""
    save_modernbert(tmp_path, "ForMaskedLM", attn_implementation=attn_implementation)
    model = load_ours(tmp_path, "ForMaskedLM", attn_implementation)
    batch = batch_for(seed=2)
    with torch.no_grad():
        padded = model(**batch).logits
        for row, length in enumerate(batch["attention_mask"].sum(-1).tolist()):
            alone = model(input_ids=batch["input_ids"][row:row + 1, :length]).logits
            assert (padded[row:row + 1, :length] - alone).abs().max() <= 1e-5


@pytest.mark.parametrize("problem_type,num_labels", [("regression", 1), ("multi_label_classification", 3),
                                                     ("single_label_classification", 3)])
def test_sequence_classification_losses(tmp_path, problem_type, num_labels):
    reference = save_modernbert(tmp_path, "ForSequenceClassification", num_labels=num_labels)
    model = load_ours(tmp_path, "ForSequenceClassification")
    batch = batch_for()
    labels = labels_for("ForSequenceClassification", batch, num_labels, problem_type)
    theirs, ours = reference(**batch, **labels), model(**batch, **labels)
    assert_close(ours, theirs)
    assert model.config.problem_type == reference.config.problem_type == problem_type
    theirs.loss.backward()
    ours.loss.backward()
    assert_close(gradients(model), gradients(reference))


def test_sparse_prediction_keeps_only_labelled_tokens(tmp_path):
    reference = save_modernbert(tmp_path, "ForMaskedLM", sparse_prediction=True)
    model = load_ours(tmp_path, "ForMaskedLM")
    batch = batch_for()
    labels = head_labels("ForMaskedLM", batch)
    theirs, ours = reference(**batch, **labels), model(**batch, **labels)
    assert ours.logits.shape == (int((labels["labels"] != -100).sum()), VOCAB)
    assert_close(ours, theirs)
    with torch.no_grad():  # without labels, every position
        assert_close(model(**batch), reference(**batch))


def test_auto_classes_pick_modernbert(tmp_path):
    for head, auto in AUTO.items():
        folder = tmp_path / head
        save_modernbert(folder, head)
        ours = getattr(leanformers, auto).from_pretrained(folder)
        theirs = getattr(transformers, auto).from_pretrained(folder)
        assert type(ours).__name__ == type(theirs).__name__ == "ModernBert" + head
        assert type(leanformers.AutoConfig.from_pretrained(folder)).__name__ == \
            type(transformers.AutoConfig.from_pretrained(folder)).__name__
    assert type(leanformers.AutoConfig.for_model("modernbert")) is leanformers.ModernBertConfig


@pytest.mark.parametrize("head", HEADS)
def test_leanformers_save_loads_in_transformers(tmp_path, head):
    save_modernbert(tmp_path / "hf", head, seed=3)
    model = load_ours(tmp_path / "hf", head)
    model.save_pretrained(tmp_path / "lean")
    reference, info = getattr(transformers, "ModernBert" + head).from_pretrained(
        tmp_path / "lean", attn_implementation="eager", output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    tensors = []
    for side in ("hf", "lean"):
        with safe_open(tmp_path / side / "model.safetensors", "pt") as f:
            tensors.append({key: f.get_tensor(key) for key in f.keys()})
    assert sorted(tensors[0]) == sorted(tensors[1])  # the tied decoder matrix stored once, as transformers does
    assert all(torch.equal(tensors[0][key], tensors[1][key]) for key in tensors[0])
    configs = [json.loads((tmp_path / side / "config.json").read_text()) for side in ("hf", "lean")]
    assert configs[0] == configs[1]
    batch = batch_for(seed=4)
    labels = head_labels(head, batch)
    with torch.no_grad():
        assert_close(model(**batch, **labels, output_hidden_states=True, output_attentions=True),
                     reference(**batch, **labels, output_hidden_states=True, output_attentions=True))


def test_masked_lm_decoder_is_the_token_embeddings(tmp_path):
    save_modernbert(tmp_path, "ForMaskedLM")
    model = load_ours(tmp_path, "ForMaskedLM")
    assert model.decoder.weight is model.model.embeddings.tok_embeddings.weight
    assert model.get_output_embeddings() is model.decoder
    assert model.get_input_embeddings() is model.model.embeddings.tok_embeddings


OLD_FORM = dict(global_attn_every_n_layers=2, global_rope_theta=1234.0, local_rope_theta=55.0,
                reference_compile=True, repad_logits_with_grad=False, num_hidden_layers=5)
# the keys of a config.json of the first release on the Hub (transformers 4.48), beyond the defaults
FIRST_RELEASE = dict(global_attn_every_n_layers=3, global_rope_theta=160000.0, local_rope_theta=10000.0,
                     classifier_pooling="mean", layer_norm_eps=1e-05, position_embedding_type="absolute",
                     reference_compile=True, repad_logits_with_grad=False, torch_dtype="float32",
                     transformers_version="4.47.0.dev0", architectures=["ModernBertForMaskedLM"])


@pytest.mark.parametrize("kwargs", [{}, OLD_FORM, FIRST_RELEASE, dict(local_attention=6, layer_types=["sliding_attention"] * 2,
                                                      num_hidden_layers=2)])
def test_config_matches_transformers(kwargs):
    ours, theirs = leanformers.ModernBertConfig(**kwargs), transformers.ModernBertConfig(**kwargs)
    assert ours.to_diff_dict() == theirs.to_diff_dict()
    assert ours.layer_types == theirs.layer_types
    assert ours.rope_parameters == theirs.rope_parameters
    assert ours.sliding_window == theirs.sliding_window


def test_old_config_json_loads_as_transformers_reads_it(tmp_path):
    """A Hub config.json of the first release: thetas and global_attn_every_n_layers, no layer_types."""
    save_modernbert(tmp_path, "ForMaskedLM", num_hidden_layers=4, global_attn_every_n_layers=3)
    path = tmp_path / "config.json"
    config = json.loads(path.read_text())
    del config["layer_types"], config["rope_parameters"]
    path.write_text(json.dumps({**config, "global_rope_theta": 1000.0, "local_rope_theta": 100.0,
                                "reference_compile": True}))
    ours, theirs = leanformers.AutoConfig.from_pretrained(tmp_path), transformers.AutoConfig.from_pretrained(tmp_path)
    assert ours.to_diff_dict() == theirs.to_diff_dict()
    model = load_ours(tmp_path, "ForMaskedLM")
    reference = transformers.ModernBertForMaskedLM.from_pretrained(tmp_path, attn_implementation="eager").eval()
    batch = batch_for(seed=5)
    with torch.no_grad():
        assert_close(model(**batch), reference(**batch))


def test_fresh_model_round_trip(tmp_path):
    config = leanformers.ModernBertConfig(**config_for())
    torch.manual_seed(0)
    model = leanformers.ModernBertForMaskedLM(config).eval()  # random init, tied decoder
    assert model.decoder.weight is model.model.embeddings.tok_embeddings.weight
    std = config.initializer_range
    assert model.model.layers[0].attn.Wqkv.weight.abs().max() <= config.initializer_cutoff_factor * std
    model.save_pretrained(tmp_path)
    reference = transformers.ModernBertForMaskedLM.from_pretrained(tmp_path).eval()
    batch = batch_for()
    with torch.no_grad():
        assert_close(model(**batch), reference(**batch))


def test_dropout_in_train_mode(tmp_path):
    save_modernbert(tmp_path, "ForSequenceClassification", embedding_dropout=0.1, attention_dropout=0.1,
                    mlp_dropout=0.1, classifier_dropout=0.1)
    model = load_ours(tmp_path, "ForSequenceClassification")
    batch = batch_for()
    with torch.no_grad():
        assert torch.equal(model(**batch).logits, model(**batch).logits)
        model.train()
        assert not torch.equal(model(**batch).logits, model(**batch).logits)


@pytest.mark.parametrize("saved,loaded", [("ForMaskedLM", "ForSequenceClassification"), ("ForSequenceClassification",
                                          "Model"), ("Model", "ForMaskedLM"), ("Model", "ForQuestionAnswering")])
def test_cross_head_load_report_and_info_match_transformers(tmp_path, saved, loaded):
    save_modernbert(tmp_path, saved)
    with model_test_settings(logging.WARNING):  # the load report is a warning
        with captured("transformers.modeling_utils") as theirs_log:
            theirs, theirs_info = getattr(transformers, "ModernBert" + loaded).from_pretrained(
                tmp_path, output_loading_info=True)
        with captured("leanformers.modeling") as ours_log:
            ours, ours_info = getattr(leanformers, "ModernBert" + loaded).from_pretrained(
                tmp_path, output_loading_info=True)
    assert_same_report([m for m in theirs_log if "LOAD REPORT" in m], ours_log)
    for key in ("missing_keys", "unexpected_keys"):
        assert set(ours_info[key]) == set(theirs_info[key]), key
    theirs_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        if name not in ours_info["missing_keys"]:
            assert torch.equal(param, theirs_params[name]), name


def test_untied_decoder_round_trip(tmp_path):
    reference = save_modernbert(tmp_path / "hf", "ForMaskedLM", tie_word_embeddings=False)
    model = load_ours(tmp_path / "hf", "ForMaskedLM")
    assert model.decoder.weight is not model.model.embeddings.tok_embeddings.weight
    assert torch.equal(model.decoder.weight, reference.decoder.weight)
    model.save_pretrained(tmp_path / "lean")
    with safe_open(tmp_path / "lean" / "model.safetensors", "pt") as f:
        assert "decoder.weight" in f.keys()
    batch = batch_for()
    with torch.no_grad():
        assert_close(model(**batch), reference(**batch))
