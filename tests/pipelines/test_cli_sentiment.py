"""`leanformers sentiment "text" ...`: one JSON result per text, from the installed entry point (or cli.main),
after one stderr line naming the model that answered."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import transformers

import leanformers.embedded
from leanformers import AutoModelForSequenceClassification, AutoTokenizer
from leanformers.cli import main as cli_main

from support.sst2_checkpoint import (PINNED, QUICKTOUR_TEXT, SST2, one_torch_thread, save_sst2_checkpoint,  # noqa: F401
                             sst2_hub, sst2_repo)

ENTRY_POINT = Path(sys.executable).with_name("leanformers")
TEXTS = [QUICKTOUR_TEXT, "We hope you don't hate it.", ""]


def sentiment(*args, stdin=None):
    if not ENTRY_POINT.is_file():
        pytest.skip(f"the leanformers entry point is not installed beside {sys.executable} (pip install -e .)")
    return subprocess.run([str(ENTRY_POINT), "sentiment", *args], input=stdin, capture_output=True, text=True,
                          timeout=300)


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
    assert done.stderr.count(f"model: {SST2}\n") == 1 and "loading model" not in done.stderr  # stderr: no terminal
    reference = transformers.pipeline("sentiment-analysis")  # same hub, same pinned commit
    assert_lines_match(done.stdout, [QUICKTOUR_TEXT], reference([QUICKTOUR_TEXT]))


def test_sentiment_needs_a_text():
    done = sentiment()
    assert done.returncode == 2 and "the following arguments are required: TEXT" in done.stderr


def test_dash_reads_the_texts_from_stdin(tmp_path):
    folder = str(save_sst2_checkpoint(tmp_path))
    done = sentiment("--model", folder, "-", stdin=f"{TEXTS[0]}\n\n{TEXTS[1]}\r\n")
    assert done.returncode == 0, done.stderr
    assert_lines_match(done.stdout, TEXTS[:2], transformers.pipeline("sentiment-analysis", model=folder)(TEXTS[:2]))
    done = sentiment("--model", folder, "one text", "-", stdin="")
    assert done.returncode == 1 and "- (read the texts from stdin) must be the only TEXT" in done.stderr


@pytest.mark.filterwarnings("ignore:The default model")  # the pipeline's own notice of the swap; tested there
def test_offline_fallback_is_named_once_before_the_results(sst2_hub, tmp_path, monkeypatch):
    stand_in = str(save_sst2_checkpoint(tmp_path, seed=3))  # the real embedded model may not be installed

    def load_embedded(dtype=None):
        model = AutoModelForSequenceClassification.from_pretrained(stand_in)
        model.config.name_or_path = model.name_or_path = leanformers.embedded.EMBEDDED_NAME  # as load_embedded does
        return model, AutoTokenizer.from_pretrained(stand_in)

    monkeypatch.setattr(leanformers.embedded, "load_embedded", load_embedded)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # nothing cached: the default model cannot be had
    shown = io.StringIO()  # stdout and stderr together, in the order written
    monkeypatch.setattr(sys, "stdout", shown)
    monkeypatch.setattr(sys, "stderr", shown)
    assert cli_main(["sentiment", QUICKTOUR_TEXT, "Fine."]) == 0
    lines = shown.getvalue().splitlines()
    model_lines = [i for i, line in enumerate(lines) if line.startswith("model: ")]
    assert [lines[i] for i in model_lines] == ["model: leanformers/embedded-sentiment (offline fallback)"]
    results = [i for i, line in enumerate(lines) if line.startswith("{")]
    assert len(results) == 2 and model_lines[0] < results[0]
    assert sst2_hub.requests == []


def test_threads_sets_torch_threads_only_when_given(tmp_path, monkeypatch, capsys):
    folder = str(save_sst2_checkpoint(tmp_path))
    capsys.readouterr()  # transformers' saving bar
    calls = []
    monkeypatch.setattr(torch, "set_num_threads", calls.append)  # the test's own one thread stays
    assert cli_main(["sentiment", "--model", folder, "--threads", "3", "Fine."]) == 0
    assert cli_main(["sentiment", "--model", folder, "Fine."]) == 0
    assert calls == [3]
    assert capsys.readouterr().err.splitlines() == [f"model: {folder}"] * 2
    with pytest.raises(SystemExit):
        cli_main(["sentiment", "--threads", "0", "Fine."])
    assert "--threads: expected a positive integer, got '0'" in capsys.readouterr().err
