"""One cache for both libraries: what transformers downloaded loads in leanformers with the hub stopped, and back."""

import json

import torch

import leanformers
from support.hub_repos import LEGACY_SST2, SENTENCE

# the quicktour's loads, in transformers; huggingface_hub's waits between retries are skipped when the hub is down
TRANSFORMERS_LOAD = f"""
import json, time
time.sleep = lambda seconds: None
import torch
from transformers import AutoConfig, AutoTokenizer, AutoModelForSequenceClassification
config = AutoConfig.from_pretrained({LEGACY_SST2!r})
tokenizer = AutoTokenizer.from_pretrained({LEGACY_SST2!r})
model = AutoModelForSequenceClassification.from_pretrained({LEGACY_SST2!r}).eval()
inputs = tokenizer({SENTENCE!r}, return_tensors="pt")
with torch.no_grad():
    logits = model(**inputs).logits
print(json.dumps({{"labels": config.id2label, "ids": inputs["input_ids"][0].tolist(), "logits": logits.tolist()}}))
"""


def leanformers_load():
    config = leanformers.AutoConfig.from_pretrained(LEGACY_SST2)
    tokenizer = leanformers.AutoTokenizer.from_pretrained(LEGACY_SST2)
    model = leanformers.AutoModelForSequenceClassification.from_pretrained(LEGACY_SST2)
    inputs = tokenizer(SENTENCE, return_tensors="pt")
    with torch.no_grad():
        logits = model(**inputs).logits
    return {"labels": {str(k): v for k, v in config.id2label.items()}, "ids": inputs["input_ids"][0].tolist(),
            "logits": logits.tolist()}


def assert_same(got, expected):
    assert got["labels"] == expected["labels"] and got["ids"] == expected["ids"]
    torch.testing.assert_close(torch.tensor(got["logits"]), torch.tensor(expected["logits"]))


def test_cache_written_by_transformers_is_read_by_leanformers_with_the_hub_stopped(hub, hf_home, run_python,
                                                                                  no_retry_wait):
    expected = json.loads(run_python(TRANSFORMERS_LOAD).stdout)
    assert hub.downloads("model.safetensors") == 1
    blobs = sorted(p.name for p in (hf_home / "hub").rglob("blobs/*"))
    hub.stop()
    assert_same(leanformers_load(), expected)
    assert sorted(p.name for p in (hf_home / "hub").rglob("blobs/*")) == blobs  # nothing downloaded twice


def test_cache_written_by_leanformers_is_read_by_transformers_with_the_hub_stopped(hub, hf_home, run_python):
    expected = leanformers_load()
    blobs = sorted(p.name for p in (hf_home / "hub").rglob("blobs/*"))
    hub.stop()
    assert_same(json.loads(run_python(TRANSFORMERS_LOAD).stdout), expected)
    assert sorted(p.name for p in (hf_home / "hub").rglob("blobs/*")) == blobs
