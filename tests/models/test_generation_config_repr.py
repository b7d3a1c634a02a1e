"""GenerationConfig's repr and saved file against transformers': the settings given, sorted, unset known settings
left out, and a final newline."""

import pytest
import transformers

import leanformers

CASES = [{}, {"max_new_tokens": 5, "do_sample": True},
         {"num_beams": 4, "eos_token_id": [2, 3], "top_k": 10, "do_sample": True},
         {"max_length": 20, "temperature": 1.0, "num_return_sequences": 1},
         {"custom_setting": {"a": 1}, "bos_token_id": 0},
         {"pad_token_id": None, "max_new_tokens": 3}, {"custom_setting": None}, {"stop_word": "é"}]


@pytest.mark.parametrize("settings", CASES)
def test_repr_is_transformers(settings):
    assert repr(leanformers.GenerationConfig(**settings)) == repr(transformers.GenerationConfig(**settings))


@pytest.mark.parametrize("settings", CASES)
def test_saved_file_is_transformers(tmp_path, settings):
    transformers.GenerationConfig(**settings).save_pretrained(tmp_path / "theirs")
    leanformers.GenerationConfig(**settings).save_pretrained(tmp_path / "ours")
    name = "generation_config.json"
    assert (tmp_path / "ours" / name).read_text() == (tmp_path / "theirs" / name).read_text()
    read = leanformers.GenerationConfig.from_pretrained(tmp_path / "theirs")
    assert repr(read) == repr(transformers.GenerationConfig.from_pretrained(tmp_path / "theirs"))
