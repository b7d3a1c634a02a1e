"""Every file a save writes gets the permissions a plain `open(path, "w")` gets under the same umask.

The files are written under temporary names first (utils/files.atomic_files), and some writers make those
temporary files themselves: safetensors' save_file leaves them 0600, which transformers 5 passes on to
model.safetensors. leanformers gives them the mode of a plain write instead, as the issue asks, so that a
saved model can be read by the group and others as every other file of the folder can.
"""

import os
import stat

import pytest

from leanformers import BertConfig, BertForSequenceClassification, BertTokenizer, GenerationConfig

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "."]


@pytest.fixture(params=[0o022, 0o027, 0o002], ids=lambda umask: f"umask-{umask:03o}")
def umask(request):
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def tiny_bert():
    config = BertConfig(vocab_size=len(VOCAB), hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=12, max_position_embeddings=16)
    return BertForSequenceClassification(config).eval()


def save_model(folder):
    tiny_bert().save_pretrained(folder)


def save_sharded_model(folder):
    tiny_bert().save_pretrained(folder, max_shard_size=2000)


def save_tokenizer(folder):
    vocab = folder.parent / "vocab.txt"
    vocab.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    BertTokenizer(vocab_file=str(vocab)).save_pretrained(folder)


def save_config(folder):
    BertConfig(num_labels=3).save_pretrained(folder)


def save_generation_config(folder):
    GenerationConfig(max_new_tokens=5).save_pretrained(folder)


def save_tf_model(folder):
    pytest.importorskip("tensorflow", reason="tf_model.h5 is written by the TF models, which need TensorFlow")
    from leanformers import TFBertForSequenceClassification

    save_model(folder.parent / "pt")
    TFBertForSequenceClassification.from_pretrained(folder.parent / "pt", from_pt=True).save_pretrained(folder)


SAVES = {"model": save_model, "sharded-model": save_sharded_model, "tokenizer": save_tokenizer,
         "config": save_config, "generation-config": save_generation_config, "tf-model": save_tf_model}


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("save", SAVES.values(), ids=SAVES.keys())
def test_saved_files_get_the_mode_of_a_plain_write(save, umask, tmp_path):
    folder = tmp_path / "saved"
    folder.mkdir()
    plain = tmp_path / "plain.txt"
    with open(plain, "w", encoding="utf-8") as f:
        f.write("the reference: a file written the ordinary way\n")
    save(folder)
    modes = {path.name: mode(path) for path in folder.iterdir()}
    assert modes and all(not name.startswith(".") for name in modes), f"temporary files left: {sorted(modes)}"
    assert modes == {name: mode(plain) for name in modes}, f"umask {umask:03o}: {modes} vs {mode(plain):o}"
