"""File names that come from a checkpoint never lead outside it (issue 21: reads outside the checkpoint).

The attacks are crafted here: a sharded index whose weight_map names a file above the folder or at an absolute
path (next to a real, loadable file there, so a load that followed the name would succeed), served from a folder
and from the test hub; and tokenizer configs naming vocabulary files elsewhere.
"""

import json

import pytest
import transformers

import leanformers
from support.hub_server import HubRepo
from support.tiny_models import build_transformers_model

OUTSIDE_NAMES = ("../outside.safetensors", "{outside}", "..\\outside.safetensors", "C:\\outside.safetensors",
                 "sub/../../outside.safetensors")


def crafted_checkpoint(tmp_path, name):
    """A sharded BERT checkpoint in tmp_path/"ckpt" whose index sends its first shard to `name`; a copy of that
    shard lies at tmp_path/"outside.safetensors", where a load that followed '../' or the absolute name would go."""
    folder = tmp_path / "ckpt"
    build_transformers_model("bert", "Model", "h32-l2").save_pretrained(folder, max_shard_size="20KB")
    index_file = folder / "model.safetensors.index.json"
    index = json.loads(index_file.read_text())
    first = next(iter(index["weight_map"].values()))
    (tmp_path / "outside.safetensors").write_bytes((folder / first).read_bytes())
    name = name.format(outside=tmp_path / "outside.safetensors")
    index["weight_map"] = {key: name if shard == first else shard for key, shard in index["weight_map"].items()}
    index_file.write_text(json.dumps(index))
    return folder, name


@pytest.mark.parametrize("name", OUTSIDE_NAMES)
def test_index_naming_a_file_outside_the_folder_is_refused(tmp_path, name):
    folder, name = crafted_checkpoint(tmp_path, name)
    with pytest.raises(ValueError) as caught:
        leanformers.BertModel.from_pretrained(folder)
    message = str(caught.value)
    assert "model.safetensors.index.json's weight_map" in message and repr(name) in message
    assert "outside the checkpoint" in message


def test_index_naming_a_file_outside_the_repository_asks_the_hub_for_nothing_outside(tmp_path, start_hub):
    folder, name = crafted_checkpoint(tmp_path, "../outside.safetensors")
    repo = HubRepo("crafted/traversal")
    repo.commit(folder)
    hub = start_hub([repo])
    with pytest.raises(ValueError, match="outside the checkpoint"):
        leanformers.AutoModel.from_pretrained("crafted/traversal")
    assert hub.count("outside") == 0 and hub.count("model.safetensors.index.json") > 0


def test_shards_inside_the_folder_still_load(tmp_path):
    folder = tmp_path / "ckpt"
    build_transformers_model("bert", "Model", "h32-l2").save_pretrained(folder, max_shard_size="20KB")
    model = leanformers.BertModel.from_pretrained(folder)
    reference = transformers.BertModel.from_pretrained(folder)
    for (name, ours), theirs in zip(model.state_dict().items(), reference.state_dict().values()):
        assert ours.equal(theirs), name


def test_vocabulary_files_named_by_the_tokenizer_config_are_not_followed(tmp_path):
    """Old tokenizer_config.json files hold the saving machine's absolute paths ("tokenizer_file": "/home/...");
    a crafted one may name any file. Both libraries read the folder's own files under the class's names."""
    from support.hub_repos import VOCAB

    folder, elsewhere = tmp_path / "tok", tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "zzz"]) + "\n")
    (tmp_path / "vocab.txt").write_text("\n".join(VOCAB) + "\n")
    transformers.BertTokenizer(str(tmp_path / "vocab.txt")).save_pretrained(folder)
    config_file = folder / "tokenizer_config.json"
    config = json.loads(config_file.read_text())
    config.update(vocab_file=str(elsewhere / "vocab.txt"), tokenizer_file=str(elsewhere / "tokenizer.json"))
    config_file.write_text(json.dumps(config))
    text = "we are very happy to show you the transformers library."
    expected = transformers.AutoTokenizer.from_pretrained(folder)(text)["input_ids"]
    for cls in (leanformers.AutoTokenizer, leanformers.BertTokenizer, leanformers.PreTrainedTokenizerFast):
        tokenizer = cls.from_pretrained(folder)
        assert tokenizer(text)["input_ids"] == expected, cls.__name__
        assert "zzz" not in tokenizer.get_vocab()


@pytest.mark.parametrize("entry", [{"replace": {"config.json": ["../outside.json", 0o644]}, "remove": []},
                                   {"replace": {"../outside.json": [".config.json.1.tmp", 0o644]}, "remove": []},
                                   {"replace": {}, "remove": ["/etc/hostname"]},
                                   {"replace": {"config.json": "not a pair"}, "remove": []}],
                         ids=["temporary-above", "target-above", "absolute-removal", "damaged"])
def test_save_journal_naming_a_file_outside_the_folder_is_refused(tmp_path, entry):
    """A folder's interrupted-save journal (utils/files.py) is carried out on load; a crafted one must not make the
    load rename or delete anything outside the folder."""
    folder = tmp_path / "ckpt"
    leanformers.BertModel(leanformers.BertConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                                                 intermediate_size=8, vocab_size=20)).save_pretrained(folder)
    (tmp_path / "outside.json").write_text("{}")
    before = {p.name: p.read_bytes() for p in [*folder.iterdir(), tmp_path / "outside.json"]}
    (folder / ".leanformers-save.1.json").write_text(json.dumps(entry))
    with pytest.raises(OSError) as caught:
        leanformers.BertModel.from_pretrained(folder)
    message = str(caught.value)
    assert ".leanformers-save.1.json" in message and "outside its folder" in message and "delete it" in message
    assert {p.name: p.read_bytes() for p in [*folder.iterdir(), tmp_path / "outside.json"]
            if p.name != ".leanformers-save.1.json"} == before
