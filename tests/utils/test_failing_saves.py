"""A save that fails part-way leaves the folder as it was: no temporary files, the old files byte for byte.

Each test saves once, then makes a second save fail (a value that cannot be serialised, or a write that
breaks after other files of the same save were already written) and compares the folder with the first save.
"""

import json

import pytest

from leanformers import (BertConfig, BertForSequenceClassification, BertTokenizer, GenerationConfig,
                         PretrainedConfig)

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on", "mat", "##s", "."]


def snapshot(folder):
    """{file name: bytes} of everything in `folder`, hidden temporary files included."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


class Unserialisable:
    """A config value json cannot write."""


@pytest.fixture
def tiny_bert():
    config = BertConfig(vocab_size=len(VOCAB), hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=12, max_position_embeddings=16)
    return BertForSequenceClassification(config).eval()


@pytest.fixture
def tokenizer(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    return BertTokenizer(vocab_file=str(vocab))


def fail_when_serialising(monkeypatch, marker_key):
    """Make json.dumps raise for the one value that holds `marker_key`: the write of that file breaks,
    after the files of the same save that come before it were written."""
    dumps = json.dumps

    def failing_dumps(value, *args, **kwargs):
        if isinstance(value, dict) and marker_key in value:
            raise OSError(28, "No space left on device")
        return dumps(value, *args, **kwargs)

    monkeypatch.setattr(json, "dumps", failing_dumps)


@pytest.mark.parametrize("config", [PretrainedConfig(num_labels=3), GenerationConfig(max_new_tokens=5)],
                         ids=["config", "generation-config"])
def test_config_save_with_unserialisable_value_leaves_old_file(tmp_path, config):
    config.save_pretrained(tmp_path)
    before = snapshot(tmp_path)
    config.custom_field = Unserialisable()
    with pytest.raises(TypeError):
        config.save_pretrained(tmp_path)
    assert snapshot(tmp_path) == before


def test_model_save_with_unserialisable_config_value_leaves_old_files(tmp_path, tiny_bert):
    tiny_bert.save_pretrained(tmp_path)
    before = snapshot(tmp_path)
    tiny_bert.config.custom_field = Unserialisable()
    with pytest.raises(TypeError):
        tiny_bert.save_pretrained(tmp_path)
    assert snapshot(tmp_path) == before


def test_model_save_that_breaks_in_the_weights_leaves_old_files(tmp_path, tiny_bert, monkeypatch):
    import safetensors.torch

    tiny_bert.save_pretrained(tmp_path)
    before = snapshot(tmp_path)
    with __import__("torch").no_grad():
        next(tiny_bert.parameters()).add_(1.0)  # the second save would write other weights

    def half_written(tensors, filename, metadata=None):
        with open(filename, "wb") as f:
            f.write(b"\x00" * 64)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(safetensors.torch, "save_file", half_written)
    with pytest.raises(OSError, match="No space left"):
        tiny_bert.save_pretrained(tmp_path)  # config.json was written before the weights broke
    assert snapshot(tmp_path) == before


def test_sharded_model_save_that_breaks_on_a_later_shard_leaves_old_files(tmp_path, tiny_bert, monkeypatch):
    import safetensors.torch

    tiny_bert.save_pretrained(tmp_path, max_shard_size="1KB")
    before = snapshot(tmp_path)
    assert len([name for name in before if name.endswith(".safetensors")]) > 2
    save_file = safetensors.torch.save_file
    calls = []

    def breaks_on_third_shard(tensors, filename, metadata=None):
        calls.append(filename)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        save_file(tensors, filename, metadata=metadata)

    monkeypatch.setattr(safetensors.torch, "save_file", breaks_on_third_shard)
    with pytest.raises(OSError, match="No space left"):
        tiny_bert.save_pretrained(tmp_path, max_shard_size="1KB")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("breaking_file, marker_key", [
    ("tokenizer_config.json", "tokenizer_class"),
    ("special_tokens_map.json", "cls_token"),
    ("tokenizer.json", "added_tokens"),
])
def test_tokenizer_save_that_breaks_on_one_file_leaves_old_files(tmp_path, tokenizer, monkeypatch,
                                                                  breaking_file, marker_key):
    folder = tmp_path / "saved"
    tokenizer.save_pretrained(folder)
    before = snapshot(folder)
    assert breaking_file in before
    tokenizer.add_tokens(["newword"])  # the second save would write other files
    fail_when_serialising(monkeypatch, marker_key)
    with pytest.raises(OSError, match="No space left"):
        tokenizer.save_pretrained(folder)
    assert snapshot(folder) == before


def test_tokenizer_save_that_breaks_in_the_vocabulary_leaves_old_files(tmp_path, tokenizer, monkeypatch):
    folder = tmp_path / "saved"
    tokenizer.save_pretrained(folder)
    before = snapshot(folder)
    tokenizer.add_tokens(["newword"])
    real_open = open

    def open_breaking_vocab(file, mode="r", *args, **kwargs):
        if "w" in mode and "vocab.txt" in str(file):
            raise OSError(28, "No space left on device")
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", open_breaking_vocab)
    with pytest.raises(OSError, match="No space left"):
        tokenizer.save_pretrained(folder)
    assert snapshot(folder) == before
