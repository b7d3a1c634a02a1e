"""Offline use: HF_HUB_OFFLINE, local_files_only and a Hub that is down all load from the cache."""

import time
import traceback
from pathlib import Path

import pytest
import torch

import leanformers
from support.hub_repos import SENTENCE, SST2
from leanformers.hub import resolve_file, resolve_weights


def load_quicktour(name, **hub_kwargs):
    config = leanformers.AutoConfig.from_pretrained(name, **hub_kwargs)
    tokenizer = leanformers.AutoTokenizer.from_pretrained(name, **hub_kwargs)
    model = leanformers.AutoModelForSequenceClassification.from_pretrained(name, **hub_kwargs)
    with torch.no_grad():
        logits = model(**tokenizer(SENTENCE, return_tensors="pt")).logits
    return config.to_dict(), tokenizer(SENTENCE)["input_ids"], logits


def files_of(name, **hub_kwargs):
    return [resolve_file(name, "config.json", **hub_kwargs), *resolve_weights(name, **hub_kwargs)]


def assert_same_load(first, second):
    assert first[:2] == second[:2]
    torch.testing.assert_close(first[2], second[2])


def test_local_files_only_makes_no_request_and_loads_from_the_cache(hub):
    online = load_quicktour(SST2), files_of(SST2)
    requests = hub.count()
    offline = load_quicktour(SST2, local_files_only=True), files_of(SST2, local_files_only=True)
    assert hub.count() == requests
    assert_same_load(online[0], offline[0])
    assert online[1] == offline[1]


def test_hf_hub_offline_makes_no_request_and_loads_from_the_cache(hub, monkeypatch):
    online = load_quicktour(SST2)
    requests = hub.count()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # set after huggingface_hub was imported: still honoured
    assert_same_load(online, load_quicktour(SST2))
    assert hub.count() == requests


def test_hf_hub_offline_at_startup_in_a_new_process(hub, run_python, monkeypatch):
    resolve_file(SST2, "config.json")
    resolve_weights(SST2)
    requests = hub.count()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # with telemetry on, huggingface_hub would fetch its agent list as soon as it builds request headers
    monkeypatch.delenv("HF_HUB_DISABLE_TELEMETRY")
    done = run_python(f"from leanformers.hub import resolve_file, resolve_weights\n"
                      f"print(resolve_file({SST2!r}, 'config.json'), *resolve_weights({SST2!r}))")
    assert done.stdout.split() == [resolve_file(SST2, "config.json"), *resolve_weights(SST2)]
    assert hub.count() == requests


def test_offline_optional_files_missing_from_the_cache_are_none(hub):
    resolve_file(SST2, "config.json")
    assert resolve_file(SST2, "merges.txt", required=False, local_files_only=True) is None
    with pytest.raises(FileNotFoundError, match="'vocab.txt' of .* is not in the Hugging Face cache") as error:
        resolve_file(SST2, "vocab.txt", local_files_only=True)
    assert "local_files_only=False" in str(error.value)


def test_offline_with_nothing_cached_names_the_cache_and_the_variable(hub, hf_home, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OSError) as error:
        leanformers.AutoModelForSequenceClassification.from_pretrained(SST2)
    message = str(error.value)
    assert str(hf_home / "hub") in message and "unset HF_HUB_OFFLINE" in message and repr(SST2) in message
    monkeypatch.delenv("HF_HUB_OFFLINE")
    with pytest.raises(OSError, match="pass local_files_only=False") as error:
        leanformers.AutoTokenizer.from_pretrained(SST2, local_files_only=True)
    assert str(hf_home / "hub") in str(error.value)
    assert hub.count() == 0


def test_server_down_and_model_cached_it_loads(hub):
    online = load_quicktour(SST2), files_of(SST2)
    hub.stop()
    started = time.monotonic()
    down = load_quicktour(SST2), files_of(SST2)
    assert time.monotonic() - started < 15  # no retry storm: optional files known missing are not asked again
    assert_same_load(online[0], down[0])
    assert online[1] == down[1]


def test_name_neither_folder_nor_reachable_gives_one_clear_error(hub, hf_home, caplog):
    hub.stop()
    started = time.monotonic()
    with pytest.raises(OSError) as error:
        leanformers.AutoConfig.from_pretrained("test-org/never-downloaded")
    # at once: nothing is cached, so retrying (about 20 s in huggingface_hub) could not help anyway
    assert time.monotonic() - started < 5 and "Retrying" not in caplog.text
    text = "".join(traceback.format_exception(error.value))
    assert "could not be reached" in text and hub.url in text and str(hf_home / "hub") in text
    assert text.count("Traceback") == 1 and "httpx" not in text and "During handling" not in text


def test_unknown_name_while_online_gives_one_clear_error(hub):
    with pytest.raises(OSError) as error:
        leanformers.AutoModel.from_pretrained("my-modle")
    text = "".join(traceback.format_exception(error.value))
    assert "'my-modle' is neither a local folder" in text and hub.url in text
    assert text.count("Traceback") == 1 and "httpx" not in text and "HTTPError" not in text
    assert Path("my-modle").exists() is False
