"""XLM-RoBERTa against transformers, on tiny random checkpoints that transformers built and saved.

Every head: logits, hidden states and attentions at every position (padding included), losses, and the
gradients of the loss for every parameter, within 1e-5. Then the Auto classes, save_pretrained read back by
transformers (same keys, same tensors, same config.json), and AutoTokenizer on a folder with XLM-R's tokenizer.
The classes are RoBERTa's under XLM-R's names: that is checked too.
"""

import json
import logging

import pytest
import torch
import transformers
from safetensors import safe_open

import leanformers
from support.tiny_models import (assert_close, assert_same_report, config_kwargs, gradients, labels_for,
                                 model_test_settings, padded_batch, randomise_trainable, scalar_loss, unigram_vocab)
from test_model_loading import load_both

HEADS = ("Model", "ForSequenceClassification", "ForTokenClassification", "ForMaskedLM", "ForQuestionAnswering")
CASES = [(head, size) for head in HEADS for size in ("h32-l2", "h48-l3")]
AUTO = {"Model": "AutoModel", "ForSequenceClassification": "AutoModelForSequenceClassification",
        "ForTokenClassification": "AutoModelForTokenClassification", "ForMaskedLM": "AutoModelForMaskedLM",
        "ForQuestionAnswering": "AutoModelForQuestionAnswering"}
SPECIALS = (["<s>", "<pad>", "</s>", "<unk>"], ["<mask>"])  # fairseq's ids first, <mask> last


@pytest.fixture(autouse=True)
def quiet_transformers():
    with model_test_settings(logging.ERROR):
        yield


def save_xlmr(folder, head, size="h32-l2", seed=0, **config_extra):
    """A random XLM-R checkpoint saved by transformers into `folder`; returns transformers' model read back from
    it, with eager attention (the path that returns attention probabilities)."""
    config = transformers.XLMRobertaConfig(**config_kwargs("xlm-roberta", size, **config_extra))
    torch.manual_seed(seed)
    randomise_trainable(getattr(transformers, "XLMRoberta" + head)(config), seed).save_pretrained(folder)
    return getattr(transformers, "XLMRoberta" + head).from_pretrained(folder, attn_implementation="eager").eval()


def batch_for(seed=0, batch_size=3, seq_len=9):
    return padded_batch("roberta", batch_size, seq_len, seed=seed)  # RoBERTa's inputs: pad id 1, no segments


@pytest.mark.parametrize("head,size", CASES)
def test_outputs_losses_and_gradients_match_transformers(tmp_path, head, size):
    reference = save_xlmr(tmp_path, head, size)
    model = getattr(leanformers, "XLMRoberta" + head).from_pretrained(tmp_path)
    assert not model.training
    assert type(model.base_model).__name__ == type(reference.base_model).__name__ == "XLMRobertaModel"
    batch = batch_for(seed=len(size))
    labels = labels_for(head, batch)

    theirs = reference(**batch, **labels, output_hidden_states=True, output_attentions=True)
    ours = model(**batch, **labels, output_hidden_states=True, output_attentions=True)
    assert list(ours.keys()) == list(theirs.keys())
    assert_close(ours, theirs)
    assert len(ours.hidden_states) == reference.config.num_hidden_layers + 1

    scalar_loss(head, theirs).backward()
    scalar_loss(head, ours).backward()
    assert_close(gradients(model), gradients(reference))


@pytest.mark.parametrize("problem_type,num_labels", [("regression", 1), ("multi_label_classification", 3),
                                                     ("single_label_classification", 3)])
def test_sequence_classification_losses(tmp_path, problem_type, num_labels):
    reference = save_xlmr(tmp_path, "ForSequenceClassification", num_labels=num_labels)
    model = leanformers.XLMRobertaForSequenceClassification.from_pretrained(tmp_path)
    batch = batch_for()
    labels = labels_for("ForSequenceClassification", batch, num_labels, problem_type)
    theirs, ours = reference(**batch, **labels), model(**batch, **labels)
    assert_close(ours, theirs)
    assert model.config.problem_type == reference.config.problem_type == problem_type
    theirs.loss.backward()
    ours.loss.backward()
    assert_close(gradients(model), gradients(reference))


def test_fused_attention_no_mask_and_inputs_embeds(tmp_path):
    """transformers' default attention (sdpa) against torch's fused kernel here; no attention mask; inputs_embeds
    (every token then counts as a position)."""
    save_xlmr(tmp_path, "ForMaskedLM")
    reference = transformers.XLMRobertaForMaskedLM.from_pretrained(tmp_path).eval()
    assert reference.config._attn_implementation == "sdpa"
    model = leanformers.XLMRobertaForMaskedLM.from_pretrained(tmp_path)
    batch = batch_for(seed=1, batch_size=4, seq_len=12)
    labels = labels_for("ForMaskedLM", batch)
    input_ids = batch.pop("input_ids")
    embeds = model.get_input_embeddings()(input_ids).detach()
    for inputs in ({**batch, "input_ids": input_ids}, {"input_ids": input_ids}, {**batch, "inputs_embeds": embeds}):
        with torch.no_grad():
            assert_close(model(**inputs, **labels, output_hidden_states=True),
                         reference(**inputs, **labels, output_hidden_states=True))


def test_classes_are_robertas_under_other_names():
    config = leanformers.XLMRobertaConfig()
    assert isinstance(config, leanformers.RobertaConfig) and config.model_type == "xlm-roberta"
    for head in HEADS:
        assert issubclass(getattr(leanformers, "XLMRoberta" + head), getattr(leanformers, "Roberta" + head))
        assert getattr(leanformers, "XLMRoberta" + head).config_class is leanformers.XLMRobertaConfig
    assert config.to_diff_dict() == transformers.XLMRobertaConfig().to_diff_dict()


def test_auto_classes_pick_xlm_roberta(tmp_path):
    for head, auto in AUTO.items():
        folder = tmp_path / head
        save_xlmr(folder, head)
        ours, theirs = getattr(leanformers, auto).from_pretrained(folder), getattr(transformers, auto).from_pretrained(
            folder)
        assert type(ours).__name__ == type(theirs).__name__ == "XLMRoberta" + head
        assert type(leanformers.AutoConfig.from_pretrained(folder)).__name__ == \
            type(transformers.AutoConfig.from_pretrained(folder)).__name__ == "XLMRobertaConfig"
    assert type(leanformers.AutoConfig.for_model("xlm-roberta")) is leanformers.XLMRobertaConfig


@pytest.mark.parametrize("head", HEADS)
def test_leanformers_save_has_transformers_keys_and_tensors(tmp_path, head):
    save_xlmr(tmp_path / "hf", head, "h48-l3", seed=3)
    model = getattr(leanformers, "XLMRoberta" + head).from_pretrained(tmp_path / "hf")
    model.save_pretrained(tmp_path / "lean")
    reference, info = getattr(transformers, "XLMRoberta" + head).from_pretrained(
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
    labels = labels_for(head, batch)
    assert_close(model(**batch, **labels, output_hidden_states=True, output_attentions=True),
                 reference(**batch, **labels, output_hidden_states=True, output_attentions=True))


def test_fresh_model_round_trip(tmp_path):
    config = leanformers.XLMRobertaConfig(**config_kwargs("xlm-roberta", "h32-l2"))
    torch.manual_seed(0)
    model = leanformers.XLMRobertaForMaskedLM(config).eval()  # random init, lm_head tied to the word embeddings
    assert model.lm_head.decoder.weight is model.roberta.embeddings.word_embeddings.weight
    model.save_pretrained(tmp_path)
    reference = transformers.XLMRobertaForMaskedLM.from_pretrained(tmp_path).eval()
    batch = batch_for()
    assert_close(model(**batch), reference(**batch))


def test_auto_tokenizer_picks_xlm_roberta_tokenizer(tmp_path):
    save_xlmr(tmp_path, "ForTokenClassification")
    transformers.XLMRobertaTokenizer(vocab=unigram_vocab(*SPECIALS)).save_pretrained(tmp_path)
    ours, theirs = leanformers.AutoTokenizer.from_pretrained(tmp_path), transformers.AutoTokenizer.from_pretrained(
        tmp_path)
    assert type(ours).__name__ == type(theirs).__name__ == "XLMRobertaTokenizer"
    texts, seconds = ["The movie was good!", "a bad, bad film.", "", "Zebra?"], ["ok", "not great", "a", "the end"]
    assert dict(ours(texts, seconds, padding=True)) == dict(theirs(texts, seconds, padding=True))
    model = leanformers.AutoModelForTokenClassification.from_pretrained(tmp_path)
    reference = transformers.AutoModelForTokenClassification.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        assert_close(model(**ours(texts, padding=True, return_tensors="pt")),
                     reference(**theirs(texts, padding=True, return_tensors="pt")))


@pytest.mark.parametrize("saved,loaded", [("ForMaskedLM", "ForSequenceClassification"), ("Model", "ForMaskedLM"),
                                          ("ForSequenceClassification", "Model")])
def test_cross_loading_report_and_weights_match_transformers(tmp_path, saved, loaded):
    """A checkpoint of one head loaded into another: the same load report (a warning), the same missing and
    unexpected keys, and the checkpoint's weights where they are used."""
    save_xlmr(tmp_path, saved)
    with model_test_settings(logging.WARNING):  # the load report is a warning
        (theirs, theirs_info), (ours, ours_info), theirs_log, ours_log = load_both(
            "XLMRoberta" + loaded, tmp_path, output_loading_info=True)
    assert_same_report(theirs_log, ours_log)
    for key in ("missing_keys", "unexpected_keys"):
        assert set(ours_info[key]) == set(theirs_info[key]), key
    theirs_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        if name not in ours_info["missing_keys"]:
            assert torch.equal(param, theirs_params[name]), name
