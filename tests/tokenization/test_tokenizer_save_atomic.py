"""A tokenizer save is all or nothing: a save that fails (a setting that cannot be written
as JSON, a file that fails while being written) leaves no file behind and the files of the
earlier save as they were."""

import pytest

import leanformers

VOCAB = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4, "hello": 5, "world": 6}


def _files(folder):
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture
def saved(tmp_path):
    tok = leanformers.BertTokenizer(vocab=dict(VOCAB))
    tok.save_pretrained(tmp_path)
    before = _files(tmp_path)
    assert {"tokenizer_config.json", "special_tokens_map.json", "tokenizer.json", "vocab.txt"} <= set(before)
    tok.add_tokens(["newtoken"])  # a later save would change tokenizer.json and the config
    return tok, tmp_path, before


def test_unserialisable_setting_leaves_the_old_save(saved):
    tok, folder, before = saved
    tok.init_kwargs["custom"] = {"not json": object()}
    with pytest.raises(TypeError, match="not JSON serializable"):
        tok.save_pretrained(folder)
    assert _files(folder) == before


def test_failing_file_write_leaves_the_old_save(saved, monkeypatch):
    tok, folder, before = saved
    # the vocabulary file is written last: the three files staged before it must go too
    monkeypatch.setattr(tok, "_vocabulary_files", lambda: {"vocab.txt": None})
    with pytest.raises(TypeError):
        tok.save_pretrained(folder)
    assert _files(folder) == before


def test_save_then_load_after_a_failed_save(saved):
    tok, folder, _ = saved
    tok.init_kwargs["custom"] = {"not json": object()}
    with pytest.raises(TypeError):
        tok.save_pretrained(folder)
    del tok.init_kwargs["custom"]
    tok.save_pretrained(folder)
    again = leanformers.BertTokenizer.from_pretrained(folder)
    assert again("hello newtoken world")["input_ids"] == tok("hello newtoken world")["input_ids"]
