"""`leanformers sentiment "text" ...`: one JSON result per text, from the installed entry point."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import transformers

from support.sst2_checkpoint import (PINNED, QUICKTOUR_TEXT, SST2, one_torch_thread, save_sst2_checkpoint,  # noqa: F401
                             sst2_hub, sst2_repo)

ENTRY_POINT = Path(sys.executable).with_name("leanformers")
TEXTS = [QUICKTOUR_TEXT, "We hope you don't hate it.", ""]


def sentiment(*args):
    if not ENTRY_POINT.is_file():
        pytest.skip(f"the leanformers entry point is not installed beside {sys.executable} (pip install -e .)")
    return subprocess.run([str(ENTRY_POINT), "sentiment", *args], capture_output=True, text=True, timeout=300)


def assert_lines_match(stdout, texts, expected):
    records = [json.loads(line) for line in stdout.splitlines()]
    assert [r["text"] for r in records] == texts
    for record, ref in zip(records, expected):
        assert record.keys() == {"text", "label", "score"} and record["label"] == ref["label"]
        assert abs(record["score"] - ref["score"]) <= 1e-5


def test_sentiment_with_a_model_folder(tmp_path):
    folder = str(save_sst2_checkpoint(tmp_path))
    done = sentiment("--model", folder, *TEXTS)
    assert done.returncode == 0, done.stderr
    assert_lines_match(done.stdout, TEXTS, transformers.pipeline("sentiment-analysis", model=folder)(TEXTS))


def test_sentiment_with_the_default_model_from_the_hub(sst2_hub):
    done = sentiment(QUICKTOUR_TEXT)  # the subprocess inherits HF_ENDPOINT and HF_HOME
    assert done.returncode == 0, done.stderr
    assert f"No model was supplied, defaulted to {SST2} and revision {PINNED}." in done.stderr
    reference = transformers.pipeline("sentiment-analysis")  # same hub, same pinned commit
    assert_lines_match(done.stdout, [QUICKTOUR_TEXT], reference([QUICKTOUR_TEXT]))


def test_sentiment_needs_a_text():
    done = sentiment()
    assert done.returncode == 2 and "the following arguments are required: TEXT" in done.stderr
