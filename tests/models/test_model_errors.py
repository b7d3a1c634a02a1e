"""Bad input to the model code: each case is a clear error naming the file or argument and the fix.
Where transformers also refuses the input, the test checks that it does too."""

import json
import logging
import os
import shutil

import pytest
import torch
import transformers

import leanformers
from support.tiny_models import MAX_POS, PREFIX, build_transformers_model, model_test_settings, padded_batch


@pytest.fixture(autouse=True)
def quiet_transformers():
    with model_test_settings(logging.ERROR):
        yield


@pytest.fixture
def bert_folder(tmp_path):
    build_transformers_model("bert", "Model", "h32-l2").save_pretrained(tmp_path / "bert")
    return tmp_path / "bert"


def _copy_config(source, target):
    target.mkdir()
    shutil.copy(source / "config.json", target / "config.json")
    return target


def test_checkpoint_shapes_that_do_not_match_the_config(bert_folder, tmp_path):
    folder = _copy_config(bert_folder, tmp_path / "bad")
    shutil.copy(bert_folder / "model.safetensors", folder)
    config = json.loads((folder / "config.json").read_text())
    config["intermediate_size"] = 40  # the weights have 37
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(RuntimeError):
        transformers.BertModel.from_pretrained(folder)
    with pytest.raises(RuntimeError, match=r"intermediate\.dense\.weight.*ignore_mismatched_sizes=True"):
        leanformers.BertModel.from_pretrained(folder)
    # allowed on request: the mismatched weights are re-initialised
    model = leanformers.BertModel.from_pretrained(folder, ignore_mismatched_sizes=True)
    assert model.encoder.layer[0].intermediate.dense.weight.shape == (40, 32)


def test_head_size_given_to_from_pretrained_that_does_not_match_the_checkpoint(tmp_path):
    """num_labels=10 on a 2-label checkpoint: refused as transformers 5 refuses it, and the fix names the argument
    as well as config.json, since the file itself is right."""
    build_transformers_model("bert", "ForSequenceClassification", "h32-l2").save_pretrained(tmp_path / "cls")
    with pytest.raises(RuntimeError):
        transformers.BertForSequenceClassification.from_pretrained(tmp_path / "cls", num_labels=10)
    with pytest.raises(RuntimeError, match=r"classifier\.(weight|bias).*config arguments given to from_pretrained, "
                                           r"such as num_labels.*ignore_mismatched_sizes=True"):
        leanformers.BertForSequenceClassification.from_pretrained(tmp_path / "cls", num_labels=10)


@pytest.mark.parametrize("damage", ["truncated", "garbage_header", "tiny", "offsets_past_end"])
def test_damaged_safetensors_file(bert_folder, tmp_path, damage):
    folder = _copy_config(bert_folder, tmp_path / damage)
    data = (bert_folder / "model.safetensors").read_bytes()
    header_len = int.from_bytes(data[:8], "little")
    if damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "garbage_header":
        data = data[:8] + b"\xff" * header_len + data[8 + header_len:]
    elif damage == "tiny":
        data = data[:5]
    else:  # header intact, tensor data cut off
        data = data[: 8 + header_len + 100]
    (folder / "model.safetensors").write_bytes(data)
    with pytest.raises(Exception):
        transformers.BertModel.from_pretrained(folder)
    with pytest.raises(ValueError, match=r"model\.safetensors is not a valid safetensors file .*truncated or damaged"):
        leanformers.BertModel.from_pretrained(folder)


def test_pickle_that_runs_code_is_refused_and_not_run(bert_folder, tmp_path):
    marker = tmp_path / "code_was_run"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    folder = _copy_config(bert_folder, tmp_path / "evil")
    torch.save({"embeddings.word_embeddings.weight": Payload()}, folder / "pytorch_model.bin")
    with pytest.raises(Exception):
        transformers.BertModel.from_pretrained(folder)
    with pytest.raises(OSError, match=r"pytorch_model\.bin holds pickled Python objects .*not run"):
        leanformers.BertModel.from_pretrained(folder)
    assert not marker.exists()


def test_missing_weights_file(bert_folder, tmp_path):
    folder = _copy_config(bert_folder, tmp_path / "config_only")
    with pytest.raises(OSError):
        transformers.BertModel.from_pretrained(folder)
    with pytest.raises(FileNotFoundError, match=r"model\.safetensors.*pytorch_model\.bin.*save_pretrained"):
        leanformers.BertModel.from_pretrained(folder)


def test_missing_config(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"config\.json"):
        leanformers.AutoModel.from_pretrained(tmp_path)


def test_unknown_model_type(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "foobar", "hidden_size": 8}))
    with pytest.raises(ValueError):
        transformers.AutoConfig.from_pretrained(tmp_path)
    with pytest.raises(ValueError, match=r"model_type 'foobar'.*Known model types: .*\bbert, .*\bdistilbert, .*\broberta\b"):
        leanformers.AutoConfig.from_pretrained(tmp_path)
    with pytest.raises(ValueError, match=r"model_type 'foobar'"):
        leanformers.AutoModelForSequenceClassification.from_pretrained(tmp_path)


def test_config_field_of_the_wrong_type(tmp_path):
    with pytest.raises(Exception):
        transformers.BertConfig(hidden_size="abc")
    with pytest.raises(TypeError, match=r"field 'hidden_size' expects int, got str"):
        leanformers.BertConfig(hidden_size="abc")
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", "num_hidden_layers": 2.5}))
    with pytest.raises(TypeError, match=r"'num_hidden_layers'.*config\.json"):
        leanformers.AutoConfig.from_pretrained(tmp_path)


@pytest.mark.parametrize("arch", ["bert", "distilbert", "roberta"])
def test_input_longer_than_max_position_embeddings(tmp_path, arch):
    build_transformers_model(arch, "Model", "h32-l2").save_pretrained(tmp_path)
    too_long = torch.full((1, MAX_POS + 1), 5)
    with pytest.raises((RuntimeError, IndexError)):
        getattr(transformers, PREFIX[arch] + "Model").from_pretrained(tmp_path)(input_ids=too_long)
    model = getattr(leanformers, PREFIX[arch] + "Model").from_pretrained(tmp_path)
    with pytest.raises(ValueError, match=r"input_ids has sequence length 41.*max_position_embeddings.*truncation=True"):
        model(input_ids=too_long)
    # the longest accepted input works (RoBERTa's positions start after padding_idx, so 2 fewer)
    limit = MAX_POS - 2 if arch == "roberta" else MAX_POS
    assert model(input_ids=torch.full((1, limit), 5)).last_hidden_state.shape == (1, limit, 32)


def test_input_ids_and_inputs_embeds_together():
    model = leanformers.BertModel(leanformers.BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=1,
                                                         num_attention_heads=4, intermediate_size=37))
    batch = padded_batch("bert")
    with pytest.raises(ValueError, match="exactly one of input_ids or inputs_embeds"):
        model(input_ids=batch["input_ids"], inputs_embeds=torch.zeros(3, 9, 32))


def test_bad_dtype_and_shard_size(bert_folder, tmp_path):
    with pytest.raises(ValueError, match=r"dtype='float17' is not a torch dtype"):
        leanformers.BertModel.from_pretrained(bert_folder, dtype="float17")
    model = leanformers.BertModel.from_pretrained(bert_folder)
    with pytest.raises(ValueError, match=r"max_shard_size='lots' is not a size"):
        model.save_pretrained(tmp_path / "out", max_shard_size="lots")
