"""A Hub that stops answering must not hang a load (issue 21).

Real loopback servers: `silent_hub` accepts connections and never answers; `hub.stall_body` answers a GET's
headers and then sends nothing more. HF_HUB_ETAG_TIMEOUT / HF_HUB_DOWNLOAD_TIMEOUT, set while the test runs
(huggingface_hub itself reads them only when imported), bound the wait; the error names the Hub, the file and
the setting to change, and a copy in the cache is used instead when there is one. A download killed half-way is
resumed by the next call with a Range request for the rest.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.hub_repos import SST2
from support.threads import finishes
from leanformers.hub import resolve_file, resolve_weights


def partial_files(hf_home):
    return list((hf_home / "hub").rglob("*.incomplete"))


def test_a_hub_that_never_answers_is_an_error_naming_it_the_file_and_the_setting(silent_hub, monkeypatch):
    monkeypatch.setenv("HF_HUB_ETAG_TIMEOUT", "1")
    with pytest.raises(OSError) as caught:
        finishes(lambda: resolve_file(SST2, "config.json"))
    message = str(caught.value)
    assert silent_hub.url in message and "'config.json'" in message and SST2 in message
    assert "within 1 s" in message and "set HF_HUB_ETAG_TIMEOUT=60" in message
    assert silent_hub.connections  # it was asked, and said nothing


def test_a_hub_that_never_answers_leaves_the_cached_copy_in_use(hub, request, monkeypatch):
    config = resolve_file(SST2, "config.json")
    served = Path(config).read_bytes()
    silent = request.getfixturevalue("silent_hub")  # from now on HF_ENDPOINT is the silent server
    monkeypatch.setenv("HF_HUB_ETAG_TIMEOUT", "1")
    assert finishes(lambda: resolve_file(SST2, "config.json")) == config
    assert Path(config).read_bytes() == served and silent.connections
    # a file of the cached repository that was never fetched: told at once, not after minutes of retries
    with pytest.raises(FileNotFoundError, match=r"'vocab.txt' .* not in the Hugging Face cache .*"
                                                rf"{silent.url} did not answer .*HF_HUB_ETAG_TIMEOUT=60"):
        finishes(lambda: resolve_file(SST2, "vocab.txt"))
    assert finishes(lambda: resolve_file(SST2, "vocab.txt", required=False)) is None


def test_a_body_that_stops_coming_is_an_error_naming_the_setting(hub, hub_repos, hf_home, monkeypatch):
    import huggingface_hub.file_download as file_download

    monkeypatch.setattr(file_download.time, "sleep", lambda seconds: None)  # its waits between retries
    monkeypatch.setenv("HF_HUB_DOWNLOAD_TIMEOUT", "1")
    hub.stall_body("model.safetensors")  # the headers, then silence
    with pytest.raises(OSError) as caught:
        finishes(lambda: resolve_weights(SST2))
    message = str(caught.value)
    assert "'model.safetensors'" in message and hub.url in message and "stalled" in message
    assert "set HF_HUB_DOWNLOAD_TIMEOUT=60" in message
    assert not partial_files(hf_home)
    hub.stall_body("model.safetensors", after=None)
    (weights,) = resolve_weights(SST2)
    assert Path(weights).read_bytes() == hub_repos.files(SST2)["model.safetensors"]


CHILD = """
from huggingface_hub import constants
from leanformers.hub import resolve_weights
constants.DOWNLOAD_CHUNK_SIZE = 4096  # every 4 KiB that arrives is written to the partial file
resolve_weights({repo!r})
"""


def test_a_killed_download_is_resumed_with_a_range_request(hub, hub_repos, hf_home):
    served = hub_repos.files(SST2)["model.safetensors"]
    hub.stall_body("model.safetensors", after=len(served) // 2)
    environment = dict(os.environ, HF_HUB_DOWNLOAD_TIMEOUT="300")  # it waits for the bytes until it is killed
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(repo=SST2)], env=environment,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not [p for p in partial_files(hf_home) if p.stat().st_size > 0]:
            assert child.poll() is None, child.stderr.read().decode()
            assert time.monotonic() < deadline, "the child never wrote part of the file"
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    (partial,) = partial_files(hf_home)  # what a killed download leaves behind
    kept = partial.stat().st_size
    assert 0 < kept < len(served)
    hub.stall_body("model.safetensors", after=None)
    (weights,) = finishes(lambda: resolve_weights(SST2))
    assert Path(weights).read_bytes() == served
    ranges = [r.range for r in hub.requests if r.method == "GET" and r.path.endswith("/model.safetensors")]
    assert ranges == [None, f"bytes={kept}-"]  # the child's whole-file GET, then only the rest
    assert not partial_files(hf_home)
