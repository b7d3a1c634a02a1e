"""Checkpoints from before generation_config.json (2023) keep generate()'s settings in config.json (the
summarization default distilbart-cnn-12-6: num_beams, max_length, min_length, length_penalty,
no_repeat_ngram_size, early_stopping). Without a generation_config.json they apply, as in transformers; the
model config does not keep them, so a save writes them where transformers does."""

import json

import pytest
import torch

import leanformers
from support.generative_models import bart_config, build, padded_ids, reference

LEGACY = {"max_length": 14, "min_length": 6, "num_beams": 3, "length_penalty": 2.0, "no_repeat_ngram_size": 2,
          "early_stopping": True}


@pytest.fixture(scope="module")
def legacy_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("legacy") / "bart"
    build("BartForConditionalGeneration", bart_config()).save_pretrained(folder)
    (folder / "generation_config.json").unlink()
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, **LEGACY}))
    return folder


def test_settings_in_config_json_become_the_generation_config(legacy_folder):
    theirs = reference("BartForConditionalGeneration", legacy_folder)
    ours = leanformers.BartForConditionalGeneration.from_pretrained(legacy_folder)
    expected = {k: v for k, v in theirs.generation_config.to_diff_dict().items()
                if k not in ("transformers_version", "_from_model_config")}
    assert {k: v for k, v in LEGACY.items() if expected.get(k) == v} == LEGACY  # the reference takes them all
    assert ours.generation_config.to_dict() == expected


def test_generate_uses_the_settings_in_config_json(legacy_folder):
    theirs = reference("BartForConditionalGeneration", legacy_folder)
    ours = leanformers.BartForConditionalGeneration.from_pretrained(legacy_folder, attn_implementation="eager")
    input_ids, attention_mask = padded_ids()
    with torch.no_grad():
        expected = theirs.generate(input_ids=input_ids, attention_mask=attention_mask)
    got = ours.generate(input_ids=input_ids, attention_mask=attention_mask)
    assert expected.shape[1] > 2 and got.tolist() == expected.tolist()


def test_model_config_drops_the_settings_as_the_reference_does(legacy_folder, tmp_path):
    import transformers

    ours = leanformers.AutoConfig.from_pretrained(legacy_folder)
    theirs = transformers.AutoConfig.from_pretrained(legacy_folder)
    for key in LEGACY:
        assert getattr(ours, key, None) == getattr(theirs, key, None) is None, key
    leanformers.BartForConditionalGeneration.from_pretrained(legacy_folder).save_pretrained(tmp_path / "ours")
    reference("BartForConditionalGeneration", legacy_folder).save_pretrained(tmp_path / "theirs")
    written = {side: json.loads((tmp_path / side / "config.json").read_text()) for side in ("ours", "theirs")}
    assert not set(LEGACY) & set(written["ours"]) and not set(LEGACY) & set(written["theirs"])
    settings = {side: json.loads((tmp_path / side / "generation_config.json").read_text()) for side in written}
    assert {k: settings["ours"].get(k) for k in LEGACY} == {k: settings["theirs"].get(k) for k in LEGACY} == LEGACY


@pytest.mark.parametrize("setting", [{"typical_p": 0.5}, {"num_beam_groups": 2}, {"return_dict_in_generate": True},
                                     {"bad_words_ids": [[5]]}], ids=lambda s: next(iter(s)))
def test_setting_generate_does_not_implement_is_refused_not_ignored(tmp_path, setting):
    """transformers applies these; leanformers would silently give another result, so it says so instead."""
    folder = tmp_path / "bart"
    build("BartForConditionalGeneration", bart_config()).save_pretrained(folder)
    config = json.loads((folder / "generation_config.json").read_text())
    (folder / "generation_config.json").write_text(json.dumps({**config, **setting, "do_sample": True}))
    ours = leanformers.BartForConditionalGeneration.from_pretrained(folder)
    input_ids, attention_mask = padded_ids()
    name = next(iter(setting))
    with pytest.raises(ValueError, match=rf"sets {name}=.*does not implement.*Set them to their defaults"):
        ours.generate(input_ids=input_ids, attention_mask=attention_mask)


def test_neutral_values_of_settings_generate_does_not_implement_are_accepted(legacy_folder, tmp_path):
    """Old config.json files often list every setting at its default: those change nothing and are accepted."""
    config = json.loads((legacy_folder / "config.json").read_text())
    folder = tmp_path / "neutral"
    folder.mkdir()
    for name in ("model.safetensors",):
        (folder / name).write_bytes((legacy_folder / name).read_bytes())
    neutral = {"typical_p": 1.0, "num_beam_groups": 1, "diversity_penalty": 0.0, "bad_words_ids": None,
               "output_scores": False, "return_dict_in_generate": False}
    (folder / "config.json").write_text(json.dumps({**config, **neutral}))
    theirs = reference("BartForConditionalGeneration", folder)
    ours = leanformers.BartForConditionalGeneration.from_pretrained(folder, attn_implementation="eager")
    input_ids, attention_mask = padded_ids()
    with torch.no_grad():
        expected = theirs.generate(input_ids=input_ids, attention_mask=attention_mask)
    assert ours.generate(input_ids=input_ids, attention_mask=attention_mask).tolist() == expected.tolist()
