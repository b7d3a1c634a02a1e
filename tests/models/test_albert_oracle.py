"""ALBERT against transformers, on tiny random checkpoints that transformers built and saved.

Every head (ForPreTraining included), with the parameter sharing of ALBERT (one group of one layer run
num_hidden_layers times), one group per layer, and groups of two layers spread unevenly over three steps:
logits, hidden states and attentions at every position (padding included), losses, and the gradients of the
loss for every parameter, within 1e-5. Then the Auto classes, save_pretrained read back by transformers
(same keys, same tensors, same config.json), and AutoTokenizer on a folder with ALBERT's tokenizer.
"""

import json
import logging

import pytest
import torch
import transformers
from safetensors import safe_open

import leanformers
from support.tiny_models import (assert_close, assert_same_report, config_kwargs, gradients, labels_for, max_abs_diff,
                                 model_test_settings, padded_batch, randomise_trainable, scalar_loss, unigram_vocab)
from test_model_loading import load_both

HEADS = ("Model", "ForSequenceClassification", "ForTokenClassification", "ForMaskedLM", "ForQuestionAnswering",
         "ForPreTraining")
# name -> (size of tiny_models.SIZES, config): ALBERT's sharing, no sharing, and uneven groups of two layers
SHAPES = {
    "shared": ("h32-l2", dict(embedding_size=16, num_hidden_groups=1, inner_group_num=1)),
    "groups": ("h32-l2", dict(embedding_size=32, num_hidden_groups=2, inner_group_num=1, hidden_act="gelu")),
    "inner": ("h48-l3", dict(embedding_size=20, num_hidden_groups=2, inner_group_num=2)),
}
CASES = [(head, shape) for head in HEADS for shape in SHAPES]
AUTO = {"Model": "AutoModel", "ForSequenceClassification": "AutoModelForSequenceClassification",
        "ForTokenClassification": "AutoModelForTokenClassification", "ForMaskedLM": "AutoModelForMaskedLM",
        "ForQuestionAnswering": "AutoModelForQuestionAnswering", "ForPreTraining": "AutoModelForPreTraining"}


@pytest.fixture(autouse=True)
def quiet_transformers():
    with model_test_settings(logging.ERROR):
        yield


def albert_config(shape, **extra):
    size, shape_config = SHAPES[shape]
    return config_kwargs("albert", size, **{**shape_config, **extra})


def save_albert(folder, head, shape, seed=0, **config_extra):
    """A random ALBERT checkpoint saved by transformers into `folder`; returns transformers' model read back from
    it, with eager attention (the path that returns attention probabilities)."""
    config = transformers.AlbertConfig(**albert_config(shape, **config_extra))
    torch.manual_seed(seed)
    randomise_trainable(getattr(transformers, "Albert" + head)(config), seed).save_pretrained(folder)
    return getattr(transformers, "Albert" + head).from_pretrained(folder, attn_implementation="eager").eval()


def batch_for(seed=0, batch_size=3, seq_len=9):
    return padded_batch("bert", batch_size, seq_len, seed=seed)  # ALBERT's inputs are BERT's: pad id 0, segments


def head_labels(head, batch, seed=0):
    if head == "ForPreTraining":  # masked tokens and sentence order; the loss needs both
        g = torch.Generator().manual_seed(seed)
        return {**labels_for("ForMaskedLM", batch, seed=seed),
                "sentence_order_label": torch.randint(0, 2, (batch["input_ids"].shape[0],), generator=g)}
    return labels_for(head, batch, seed=seed)


def loss_of(head, out):
    """The head's loss; the bare model's reaches the pooler too, so every parameter gets a gradient."""
    loss = scalar_loss(head, out)
    return loss + out.pooler_output.sum() if head == "Model" else loss


@pytest.mark.parametrize("head,shape", CASES)
def test_outputs_losses_and_gradients_match_transformers(tmp_path, head, shape):
    reference = save_albert(tmp_path, head, shape)
    model = getattr(leanformers, "Albert" + head).from_pretrained(tmp_path)
    assert not model.training
    assert sorted(model.state_dict()) == sorted(reference.state_dict())
    batch = batch_for(seed=len(shape))
    labels = head_labels(head, batch)

    theirs = reference(**batch, **labels, output_hidden_states=True, output_attentions=True)
    ours = model(**batch, **labels, output_hidden_states=True, output_attentions=True)
    assert list(ours.keys()) == list(theirs.keys())
    assert_close(ours, theirs)
    runs = reference.config.num_hidden_layers * reference.config.inner_group_num
    assert len(ours.hidden_states) == runs + 1 and len(ours.attentions) == runs

    loss_of(head, theirs).backward()
    loss_of(head, ours).backward()
    assert_close(gradients(model), gradients(reference))
    assert all(g is not None for g in gradients(model).values())


def test_pretraining_loss_needs_both_label_sets(tmp_path):
    reference = save_albert(tmp_path, "ForPreTraining", "shared")
    model = leanformers.AlbertForPreTraining.from_pretrained(tmp_path)
    batch = batch_for()
    labels = head_labels("ForPreTraining", batch)
    for only in ("labels", "sentence_order_label"):
        theirs, ours = reference(**batch, **{only: labels[only]}), model(**batch, **{only: labels[only]})
        assert theirs.loss is None and ours.loss is None
        assert_close(ours, theirs)
    ours, theirs = model(**batch, **labels, return_dict=False), reference(**batch, **labels, return_dict=False)
    assert len(ours) == len(theirs) == 3  # loss, prediction_logits, sop_logits
    assert all(max_abs_diff(a, b) <= 1e-5 for a, b in zip(ours, theirs))


@pytest.mark.parametrize("problem_type,num_labels", [("regression", 1), ("multi_label_classification", 3),
                                                     ("single_label_classification", 3)])
def test_sequence_classification_losses(tmp_path, problem_type, num_labels):
    reference = save_albert(tmp_path, "ForSequenceClassification", "shared", num_labels=num_labels)
    model = leanformers.AlbertForSequenceClassification.from_pretrained(tmp_path)
    batch = batch_for()
    labels = labels_for("ForSequenceClassification", batch, num_labels, problem_type)
    theirs, ours = reference(**batch, **labels), model(**batch, **labels)
    assert_close(ours, theirs)
    assert model.config.problem_type == reference.config.problem_type == problem_type
    theirs.loss.backward()
    ours.loss.backward()
    assert_close(gradients(model), gradients(reference))


@pytest.mark.parametrize("shape", ["shared", "inner"])
def test_fused_attention_no_mask_and_inputs_embeds(tmp_path, shape):
    """transformers' default attention (sdpa) against torch's fused kernel here; no attention mask; inputs_embeds
    of embedding_size."""
    save_albert(tmp_path, "ForMaskedLM", shape)
    reference = transformers.AlbertForMaskedLM.from_pretrained(tmp_path).eval()
    assert reference.config._attn_implementation == "sdpa"
    model = leanformers.AlbertForMaskedLM.from_pretrained(tmp_path)
    batch = batch_for(seed=1, batch_size=4, seq_len=12)
    labels = head_labels("ForMaskedLM", batch)
    input_ids = batch.pop("input_ids")
    embeds = model.get_input_embeddings()(input_ids).detach()
    assert embeds.shape[-1] == SHAPES[shape][1]["embedding_size"]
    for inputs in ({**batch, "input_ids": input_ids}, {"input_ids": input_ids}, {**batch, "inputs_embeds": embeds}):
        with torch.no_grad():
            assert_close(model(**inputs, **labels, output_hidden_states=True),
                         reference(**inputs, **labels, output_hidden_states=True))


def test_auto_classes_pick_albert(tmp_path):
    for head, auto in AUTO.items():
        folder = tmp_path / head
        save_albert(folder, head, "shared")
        ours, theirs = getattr(leanformers, auto).from_pretrained(folder), getattr(transformers, auto).from_pretrained(
            folder)
        assert type(ours).__name__ == type(theirs).__name__ == "Albert" + head
        assert type(leanformers.AutoConfig.from_pretrained(folder)).__name__ == \
            type(transformers.AutoConfig.from_pretrained(folder)).__name__ == "AlbertConfig"
    assert type(leanformers.AutoConfig.for_model("albert")) is leanformers.AlbertConfig


@pytest.mark.parametrize("head", HEADS)
def test_leanformers_save_has_transformers_keys_and_tensors(tmp_path, head):
    save_albert(tmp_path / "hf", head, "inner", seed=3)
    model = getattr(leanformers, "Albert" + head).from_pretrained(tmp_path / "hf")
    model.save_pretrained(tmp_path / "lean")
    reference, info = getattr(transformers, "Albert" + head).from_pretrained(
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
    batch = batch_for(seed=4)
    labels = head_labels(head, batch)
    assert_close(model(**batch, **labels, output_hidden_states=True, output_attentions=True),
                 reference(**batch, **labels, output_hidden_states=True, output_attentions=True))


def test_config_defaults_and_fresh_model_round_trip(tmp_path):
    assert leanformers.AlbertConfig().to_diff_dict() == transformers.AlbertConfig().to_diff_dict()
    config = leanformers.AlbertConfig(**albert_config("inner"))
    torch.manual_seed(0)
    model = leanformers.AlbertForMaskedLM(config).eval()  # random init, decoder tied to the word embeddings
    assert model.predictions.decoder.weight is model.albert.embeddings.word_embeddings.weight
    assert model.predictions.decoder.bias is model.predictions.bias
    assert model.num_parameters() == transformers.AlbertForMaskedLM(transformers.AlbertConfig(
        **albert_config("inner"))).num_parameters()
    model.save_pretrained(tmp_path)
    reference = transformers.AlbertForMaskedLM.from_pretrained(tmp_path).eval()
    batch = batch_for()
    assert_close(model(**batch), reference(**batch))


def test_dropout_in_train_mode(tmp_path):
    save_albert(tmp_path, "ForSequenceClassification", "shared", hidden_dropout_prob=0.1)
    model = leanformers.AlbertForSequenceClassification.from_pretrained(tmp_path)
    batch = batch_for()
    with torch.no_grad():
        assert torch.equal(model(**batch).logits, model(**batch).logits)
        model.train()
        assert not torch.equal(model(**batch).logits, model(**batch).logits)


def test_auto_tokenizer_picks_albert_tokenizer(tmp_path):
    save_albert(tmp_path, "ForMaskedLM", "shared")
    transformers.AlbertTokenizer(vocab=unigram_vocab(["<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"])).save_pretrained(
        tmp_path)
    ours, theirs = leanformers.AutoTokenizer.from_pretrained(tmp_path), transformers.AutoTokenizer.from_pretrained(
        tmp_path)
    assert type(ours).__name__ == type(theirs).__name__ == "AlbertTokenizer"
    texts, seconds = ["The movie was good!", "a bad, bad film.", "", "Zebra?"], ["ok", "not great", "a", "the end"]
    assert dict(ours(texts, seconds, padding=True)) == dict(theirs(texts, seconds, padding=True))
    encoded = theirs(texts, seconds, padding=True, return_tensors="pt")
    model = leanformers.AutoModelForMaskedLM.from_pretrained(tmp_path)
    reference = transformers.AutoModelForMaskedLM.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        assert_close(model(**ours(texts, seconds, padding=True, return_tensors="pt")), reference(**encoded))


@pytest.mark.parametrize("head", ["ForSequenceClassification", "ForTokenClassification"])
def test_classifier_dropout_is_transformers(tmp_path, head):
    """The classifiers' dropout reads classifier_dropout_prob (not hidden_dropout_prob), which may not be None."""
    reference = save_albert(tmp_path, head, "shared", hidden_dropout_prob=0.2, classifier_dropout_prob=0.3)
    model = getattr(leanformers, "Albert" + head).from_pretrained(tmp_path)
    assert model.dropout.p == reference.dropout.p == 0.3
    with pytest.raises(Exception, match="classifier_dropout_prob"):  # huggingface_hub's validation error
        transformers.AlbertConfig(classifier_dropout_prob=None)
    with pytest.raises(TypeError, match="classifier_dropout_prob"):
        leanformers.AlbertConfig(classifier_dropout_prob=None)
    # real checkpoints write whole numbers for the dropout rates ("hidden_dropout_prob": 0)
    assert leanformers.AlbertConfig(hidden_dropout_prob=0, attention_probs_dropout_prob=0).to_dict()[
        "hidden_dropout_prob"] == transformers.AlbertConfig(hidden_dropout_prob=0).to_dict()["hidden_dropout_prob"]


@pytest.mark.parametrize("saved,loaded", [("ForMaskedLM", "ForSequenceClassification"), ("Model", "ForPreTraining"),
                                          ("ForPreTraining", "Model"), ("ForSequenceClassification", "ForMaskedLM")])
def test_cross_loading_report_and_weights_match_transformers(tmp_path, saved, loaded):
    """A checkpoint of one head loaded into another: the same load report (a warning), the same missing and
    unexpected keys, and the checkpoint's weights where they are used."""
    save_albert(tmp_path, saved, "shared")
    with model_test_settings(logging.WARNING):  # the load report is a warning
        (theirs, theirs_info), (ours, ours_info), theirs_log, ours_log = load_both(
            "Albert" + loaded, tmp_path, output_loading_info=True)
    assert_same_report(theirs_log, ours_log)
    for key in ("missing_keys", "unexpected_keys"):
        assert set(ours_info[key]) == set(theirs_info[key]), key
    theirs_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        if name not in ours_info["missing_keys"]:
            assert torch.equal(param, theirs_params[name]), name
