"""A config.json that disagrees with the weights fails on load (from_pretrained), not later: sizes that cannot be
(non-positive or non-integer) name the field and the file; sizes the weights do not have name each weight with
both shapes and the config field behind them. A model_type naming another architecture loads as transformers
loads it (mostly newly initialised), with a warning that says so."""

import json
import logging
import re

import pytest
import transformers

import leanformers
from support.generative_models import build, gpt2_config
from support.tiny_models import build_transformers_model, captured, model_test_settings


@pytest.fixture(autouse=True)
def quiet_transformers():
    with model_test_settings(logging.ERROR):
        yield


@pytest.fixture
def bert_folder(tmp_path):
    build_transformers_model("bert", "ForSequenceClassification", "h32-l2").save_pretrained(tmp_path / "bert")
    return tmp_path / "bert"


def edit_config(folder, **changes):
    path = folder / "config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))
    return path


@pytest.mark.parametrize("field,value", [("intermediate_size", -1), ("intermediate_size", 0), ("hidden_size", 0),
                                         ("num_attention_heads", 0), ("vocab_size", -5), ("type_vocab_size", 0),
                                         ("max_position_embeddings", 0), ("num_hidden_layers", -1)])
def test_size_field_that_is_not_positive(bert_folder, field, value):
    path = edit_config(bert_folder, **{field: value})
    lowest = "at least 0" if field == "num_hidden_layers" else "positive"
    message = rf"{re.escape(str(path))}: BertConfig: field '{field}' is {value}, but it is a .* and must be {lowest}\. "
    for load in (leanformers.BertForSequenceClassification.from_pretrained,
                 leanformers.AutoModelForSequenceClassification.from_pretrained, leanformers.AutoConfig.from_pretrained,
                 leanformers.BertConfig.from_pretrained):
        with pytest.raises(ValueError, match=message + rf"Fix the value of '{field}' in config\.json"):
            load(bert_folder)
    with pytest.raises(ValueError, match=rf"field '{field}' is {value}"):
        leanformers.BertConfig(**{field: value})


def test_negative_size_fails_in_transformers_too(bert_folder):
    edit_config(bert_folder, intermediate_size=-1)
    with pytest.raises(RuntimeError, match="negative dimension"):
        transformers.BertForSequenceClassification.from_pretrained(bert_folder)
    with pytest.raises(ValueError, match="'intermediate_size' is -1"):
        leanformers.BertForSequenceClassification.from_pretrained(bert_folder)


@pytest.mark.parametrize("field,value", [("n_embd", 0), ("n_layer", -2), ("n_inner", -1), ("n_positions", 0)])
def test_size_fields_of_other_architectures(tmp_path, field, value):
    folder = tmp_path / "gpt2"
    build("GPT2LMHeadModel", gpt2_config()).save_pretrained(folder)
    edit_config(folder, **{field: value})
    with pytest.raises(ValueError, match=rf"config\.json: GPT2Config: field '{field}' is {value}"):
        leanformers.AutoModelForCausalLM.from_pretrained(folder)


def test_zero_layers_is_a_model_of_embeddings_only_as_in_transformers():
    config = dict(vocab_size=99, hidden_size=32, num_hidden_layers=0, num_attention_heads=4, intermediate_size=37)
    transformers.BertModel(transformers.BertConfig(**config))
    assert len(leanformers.BertModel(leanformers.BertConfig(**config)).encoder.layer) == 0


def test_size_field_that_is_not_an_integer_names_the_file(bert_folder):
    path = edit_config(bert_folder, hidden_size=32.0)
    with pytest.raises(TypeError, match=rf"{re.escape(str(path))}: BertConfig: field 'hidden_size' expects int, got "
                                        r"float \(32\.0\)"):
        leanformers.BertForSequenceClassification.from_pretrained(bert_folder)


def test_vocab_size_the_weights_do_not_have(bert_folder):
    edit_config(bert_folder, vocab_size=120)
    with pytest.raises(RuntimeError):
        transformers.BertForSequenceClassification.from_pretrained(bert_folder)
    with pytest.raises(RuntimeError, match=re.escape(
            "does not fit BertForSequenceClassification built from its config: these weights have other shapes: "
            "bert.embeddings.word_embeddings.weight: (99, 32) in the checkpoint, (120, 32) in the model. The "
            "config's vocab_size is 120, the checkpoint's weights have 99.")
            + r".*ignore_mismatched_sizes=True"):
        leanformers.BertForSequenceClassification.from_pretrained(bert_folder)


def test_every_mismatched_weight_is_named_with_both_shapes(bert_folder):
    edit_config(bert_folder, intermediate_size=40, num_labels=3)
    with pytest.raises(RuntimeError) as caught:
        leanformers.BertForSequenceClassification.from_pretrained(bert_folder)
    message = str(caught.value)
    for weight, ckpt, ours in [("bert.encoder.layer.{0, 1}.intermediate.dense.weight", (37, 32), (40, 32)),
                               ("bert.encoder.layer.{0, 1}.intermediate.dense.bias", (37,), (40,)),
                               ("bert.encoder.layer.{0, 1}.output.dense.weight", (32, 37), (32, 40)),
                               ("classifier.weight", (2, 32), (3, 32)), ("classifier.bias", (2,), (3,))]:
        assert f"{weight}: {ckpt} in the checkpoint, {ours} in the model" in message
    assert "The config's intermediate_size is 40, the checkpoint's weights have 37." in message
    assert "The config's num_labels is 3, the checkpoint's weights have 2." in message
    # allowed on request, as in transformers: the mismatched weights are re-initialised
    model = leanformers.BertForSequenceClassification.from_pretrained(bert_folder, ignore_mismatched_sizes=True)
    assert model.classifier.weight.shape == (3, 32)


def test_model_type_of_another_architecture_loads_mostly_new_with_a_warning(tmp_path):
    """A BERT checkpoint whose config.json says "gpt2": transformers builds a GPT2Model with every weight new and
    logs its load report; so does leanformers, and a warning says what happened and what to fix."""
    bert_folder = tmp_path / "bert"
    build_transformers_model("bert", "Model", "h32-l2").save_pretrained(bert_folder)
    edit_config(bert_folder, model_type="gpt2")
    logging.getLogger("transformers").setLevel(logging.CRITICAL)
    assert type(transformers.AutoModel.from_pretrained(bert_folder)).__name__ == "GPT2Model"
    with captured("leanformers.modeling") as log:
        model = leanformers.AutoModel.from_pretrained(bert_folder)
    assert type(model).__name__ == "GPT2Model"
    assert len(log) == 2 and "LOAD REPORT" in log[0]
    assert re.search(r"GPT2Model from .*: 28 of its 28 weights are not in the checkpoint and were newly initialised, "
                     r"and \d+ of the checkpoint's weights were not used: the checkpoint does not hold a 'gpt2' model "
                     r"\(config\.json's \"architectures\" names BertModel, a 'bert' class\)\. The model is mostly "
                     r"random\. If config\.json names the wrong model_type, correct it", log[1]), log[1]


def test_a_head_swap_is_no_other_architecture(tmp_path):
    """A bare checkpoint into a model with a head: only the head is new, so only the load report is logged."""
    build_transformers_model("bert", "ForMaskedLM", "h32-l2").save_pretrained(tmp_path)
    with captured("leanformers.modeling") as log:
        leanformers.BertForSequenceClassification.from_pretrained(tmp_path)
    assert len(log) == 1 and "LOAD REPORT" in log[0]
