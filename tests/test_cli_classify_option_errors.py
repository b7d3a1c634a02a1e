"""`leanformers classify` (run in-process through cli.main) on options and models the pipeline cannot run with: an
impossible option value is refused by argparse before anything loads, with the wording the pipelines use; a GPT-2
language-model folder (no classification head, no pad token) is classified with a new head as transformers'
pipeline does, one text at a time; with --batch-size 2 it is an error naming pad_token and the fix, and no output
file is left behind."""

import json
import logging

import pytest

from leanformers.cli import main as cli_main
from support.generative_models import CORPUS, bpe_checkpoint, gpt2_config
from support.tiny_models import model_test_settings

pytest.importorskip("transformers")
TEXTS = ["Once upon a time", CORPUS[0], "Paris", CORPUS[3]]  # of different lengths


@pytest.fixture(scope="module")
def gpt2_lm(tmp_path_factory):
    with model_test_settings(logging.ERROR):
        return str(bpe_checkpoint(tmp_path_factory.mktemp("gpt2-lm"), "GPT2LMHeadModel", gpt2_config(),
                                  "GPT2TokenizerFast"))


@pytest.fixture
def texts_file(tmp_path):
    path = tmp_path / "texts.txt"
    path.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("option, value, allowed", [
    ("--top-k", "0", "a positive integer"),
    ("--top-k", "-1", "a positive integer"),
    ("--batch-size", "2.5", "a positive integer"),
    ("--max-batch-tokens", "0", "a positive integer"),
    ("--num-workers", "-1", "0 or a positive integer"),
    ("--threads", "many", "a positive integer"),
])
def test_impossible_option_value_is_refused_naming_the_option_and_what_is_allowed(capsys, texts_file, option, value,
                                                                                   allowed):
    with pytest.raises(SystemExit) as exit_:
        cli_main(["classify", "--input", texts_file, option, value])
    assert exit_.value.code == 2
    assert f"argument {option}: expected {allowed}, got '{value}'" in capsys.readouterr().err


def test_language_model_folder_is_classified_with_a_new_head_one_text_at_a_time(capsys, gpt2_lm, texts_file):
    assert cli_main(["classify", "--model", gpt2_lm, "--input", texts_file]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [record["text"] for record in records] == TEXTS
    assert all(record["label"] in ("LABEL_0", "LABEL_1") and 0 < record["score"] < 1 for record in records)


def test_batch_size_2_without_pad_token_is_an_error_naming_pad_token_and_leaves_no_output(capsys, gpt2_lm,
                                                                                          texts_file, tmp_path):
    out = tmp_path / "out.jsonl"
    assert cli_main(["classify", "--model", gpt2_lm, "--input", texts_file, "--output", str(out),
                     "--batch-size", "2"]) == 1
    err = capsys.readouterr().err
    assert "leanformers: error: Batching texts (batch_size=2) pads them to one length" in err
    assert "pad_token is None" in err and "pipe.tokenizer.pad_token = pipe.tokenizer.eos_token" in err
    assert "batch_size=1" in err
    assert not out.exists()
