"""Faults: a connection dropped half-way through the weights, and four processes downloading at once."""

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.hub_repos import SST2
from leanformers.hub import resolve_file, resolve_weights


def assert_cache_is_sound(cache):
    """No partial file anywhere, and every weights blob (named after its sha256, like LFS) matches its name."""
    assert not [p for p in cache.rglob("*") if p.name.endswith(".incomplete")]
    blobs = [p for p in cache.rglob("blobs/*") if len(p.name) == 64]
    for blob in blobs:
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name
    return blobs


def test_dropped_connection_is_resumed_with_a_range_request(hub, hub_repos, hf_home, monkeypatch):
    from huggingface_hub import constants

    # bytes reach the file in chunks of this size; below the file's size, the first half is kept and resumed
    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 4096)
    hub.drop_connection("model.safetensors")
    (weights,) = resolve_weights(SST2)
    assert Path(weights).read_bytes() == hub_repos.files(SST2)["model.safetensors"]
    ranges = [r.range for r in hub.requests if r.method == "GET" and r.path.endswith("model.safetensors")]
    assert ranges[0] is None and ranges[1].startswith("bytes=")  # the second GET asked only for the rest
    assert assert_cache_is_sound(hf_home / "hub")


def test_interrupted_download_is_completed_by_the_next_call(hub, hub_repos, hf_home, monkeypatch):
    import huggingface_hub.file_download as file_download

    monkeypatch.setattr(file_download.time, "sleep", lambda seconds: None)  # its waits between retries
    hub.drop_connection("model.safetensors", times=100)  # every retry of this call is cut too
    with pytest.raises(OSError, match="Downloading 'model.safetensors' .* failed.*the same call again retries"):
        resolve_weights(SST2)
    cache = hf_home / "hub"
    assert not assert_cache_is_sound(cache)  # no weights blob: nothing half-written was kept
    assert not list(cache.rglob("snapshots/*/model.safetensors"))
    hub.drop_connection("model.safetensors", times=0)
    (weights,) = resolve_weights(SST2)
    assert Path(weights).read_bytes() == hub_repos.files(SST2)["model.safetensors"]
    assert len(assert_cache_is_sound(cache)) == 1


LOADER = """
import hashlib, json, os, sys, time
from leanformers.hub import resolve_file, resolve_weights
gate = sys.argv[1]
while not os.path.exists(gate):  # start together
    time.sleep(0.01)
paths = [resolve_file(sys.argv[2], name) for name in ("config.json", "tokenizer.json", "vocab.txt")]
paths += resolve_weights(sys.argv[2])
print(json.dumps({os.path.basename(p): hashlib.sha256(open(p, "rb").read()).hexdigest() for p in paths}))
"""


def test_four_processes_loading_the_same_new_model_get_identical_complete_files(hub, hub_repos, hf_home, tmp_path):
    hub.slow_down("model.safetensors", 1.0)  # so the four downloads overlap
    gate = tmp_path / "go"
    processes = [subprocess.Popen([sys.executable, "-c", LOADER, str(gate), SST2], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
    time.sleep(0.5)
    gate.touch()
    results = [process.communicate(timeout=120) for process in processes]
    assert all(process.returncode == 0 for process in processes), [err for _, err in results]
    served = hub_repos.files(SST2)
    expected = {name: hashlib.sha256(served[name]).hexdigest()
                for name in ("config.json", "tokenizer.json", "vocab.txt", "model.safetensors")}
    assert [json.loads(out) for out, _ in results] == [expected] * 4
    assert len(assert_cache_is_sound(hf_home / "hub")) == 1
    (weights,) = resolve_weights(SST2)
    assert Path(weights).read_bytes() == served["model.safetensors"]
    assert Path(resolve_file(SST2, "config.json")).read_bytes() == served["config.json"]
