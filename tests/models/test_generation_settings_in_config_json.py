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
