"""Configurations: config.json written exactly as transformers writes it, read back with overrides, AutoConfig,
and no torch import for configuration alone."""

import json
import logging
import subprocess
import sys

import pytest
import transformers

import leanformers
from support.tiny_models import PREFIX, build_transformers_model, config_kwargs, model_test_settings

MINILM_CONFIG = {  # the config.json of all-MiniLM-L6-v2: an old (4.8.2) file with keys no field declares
    "_name_or_path": "nreimers/MiniLM-L6-H384-uncased", "architectures": ["BertModel"],
    "attention_probs_dropout_prob": 0.1, "gradient_checkpointing": False, "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1, "hidden_size": 384, "initializer_range": 0.02, "intermediate_size": 1536,
    "layer_norm_eps": 1e-12, "max_position_embeddings": 512, "model_type": "bert", "num_attention_heads": 12,
    "num_hidden_layers": 6, "pad_token_id": 0, "position_embedding_type": "absolute", "transformers_version": "4.8.2",
    "type_vocab_size": 2, "use_cache": True, "vocab_size": 30522,
}


@pytest.fixture(autouse=True)
def quiet_transformers():
    with model_test_settings(logging.ERROR):
        yield


@pytest.mark.parametrize("arch,head,extra", [
    ("bert", "ForSequenceClassification", {}),
    ("bert", "ForSequenceClassification", {"num_labels": 10}),
    ("bert", "ForSequenceClassification", {"num_labels": 3, "problem_type": "multi_label_classification",
                                           "id2label": {0: "a", 1: "b", 2: "c"}}),
    ("bert", "ForMaskedLM", {"hidden_act": "relu", "classifier_dropout": 0.3, "output_hidden_states": True}),
    ("distilbert", "ForSequenceClassification", {"sinusoidal_pos_embds": True, "seq_classif_dropout": 0.1}),
    ("roberta", "ForTokenClassification", {"num_labels": 5, "type_vocab_size": 1}),
])
def test_saved_config_json_is_byte_identical(tmp_path, arch, head, extra):
    build_transformers_model(arch, head, "h32-l2", **extra).save_pretrained(tmp_path / "hf")
    model = getattr(leanformers, PREFIX[arch] + head).from_pretrained(tmp_path / "hf")
    model.save_pretrained(tmp_path / "lean")
    assert (tmp_path / "lean" / "config.json").read_text() == (tmp_path / "hf" / "config.json").read_text()


def test_old_config_with_unknown_keys_round_trips_like_transformers(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(MINILM_CONFIG))
    theirs = transformers.AutoConfig.from_pretrained(tmp_path)
    ours = leanformers.AutoConfig.from_pretrained(tmp_path)
    assert type(ours).__name__ == type(theirs).__name__ == "BertConfig"
    assert ours.position_embedding_type == "absolute" and ours.gradient_checkpointing is False
    theirs.save_pretrained(tmp_path / "hf")
    ours.save_pretrained(tmp_path / "lean")
    assert (tmp_path / "lean" / "config.json").read_text() == (tmp_path / "hf" / "config.json").read_text()
    assert json.loads(ours.to_json_string(use_diff=False)).keys() >= json.loads(ours.to_json_string()).keys()


@pytest.mark.parametrize("arch", ["bert", "distilbert", "roberta"])
def test_default_configs_match(arch):
    theirs = getattr(transformers, PREFIX[arch] + "Config")()
    ours = getattr(leanformers, PREFIX[arch] + "Config")()
    assert ours.to_json_string() == theirs.to_json_string()
    assert ours.num_labels == theirs.num_labels == 2
    assert ours.id2label == theirs.id2label and ours.label2id == theirs.label2id
    assert ours.hidden_size == theirs.hidden_size and ours.num_attention_heads == theirs.num_attention_heads


def test_overrides_at_load_time(tmp_path):
    transformers.DistilBertConfig(**config_kwargs("distilbert", "h32-l2")).save_pretrained(tmp_path)
    kwargs = {"num_labels": 10, "output_attentions": True, "dropout": 0.0, "problem_type": "regression"}
    theirs = transformers.AutoConfig.from_pretrained(tmp_path, **kwargs)
    ours = leanformers.AutoConfig.from_pretrained(tmp_path, **kwargs)
    assert ours.num_labels == theirs.num_labels == 10
    assert ours.id2label == theirs.id2label and ours.label2id == theirs.label2id
    for key in ("output_attentions", "dropout", "problem_type", "dim", "hidden_size", "n_layers"):
        assert getattr(ours, key) == getattr(theirs, key), key
    # aliases write through to the real field
    ours.hidden_size = 64
    assert ours.dim == 64


def test_auto_model_picks_the_class_from_model_type(tmp_path):
    for arch in ("bert", "distilbert", "roberta"):
        build_transformers_model(arch, "ForSequenceClassification", "h32-l2").save_pretrained(tmp_path / arch)
        model = leanformers.AutoModelForSequenceClassification.from_pretrained(tmp_path / arch)
        assert type(model).__name__ == PREFIX[arch] + "ForSequenceClassification"
        for auto, head in [("AutoModel", "Model"), ("AutoModelForTokenClassification", "ForTokenClassification"),
                           ("AutoModelForMaskedLM", "ForMaskedLM"),
                           ("AutoModelForQuestionAnswering", "ForQuestionAnswering")]:
            config = leanformers.AutoConfig.from_pretrained(tmp_path / arch)
            assert type(getattr(leanformers, auto).from_config(config)).__name__ == PREFIX[arch] + head


def test_problem_type_checks():
    with pytest.raises(ValueError, match="num_labels > 1"):
        leanformers.BertConfig(num_labels=1, problem_type="single_label_classification")
    with pytest.raises(ValueError, match="problem_type='classification' is not supported"):
        leanformers.BertConfig(problem_type="classification")


def test_configuration_does_not_import_torch():
    code = ("import sys, leanformers; leanformers.PretrainedConfig; import leanformers.configuration; "
            "print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_dtype_given_as_torch_dtype_is_stored_as_its_name():
    import torch

    for dtype in (torch.float16, "float16"):
        for key in ("dtype", "torch_dtype"):
            config = leanformers.BertConfig(**{key: dtype})
            assert config.dtype == "float16"
            assert json.loads(config.to_json_string())["dtype"] == "float16"
