"""Shared fixtures.

The test hub (tests/hub_server.py, repositories from tests/hub_repos.py):
- `hf_home`: an empty Hugging Face home for one test; tests never read or write ~/.cache;
- `hub`: the hub, serving for one test, with HF_ENDPOINT pointing at it (also for subprocesses);
- `start_hub`: the same for repositories of a test's own (HubRepo objects);
- `silent_hub`: a server that accepts connections and never answers, with HF_ENDPOINT pointing at it;
- `run_python`: run code in a fresh interpreter that sees this test's environment;
- `no_retry_wait`: huggingface_hub's waits between retries of an unreachable Hub skipped.
huggingface_hub reads its settings at import time, so the fixtures set both the
environment (for subprocesses) and huggingface_hub.constants (for this process).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.hub_repos import build_repos
from support.hub_server import SilentServer, TestHub
from support.paths import SRC

SRC = SRC
# nothing listens on the discard port: a request that escapes the test hub fails at once, offline
NO_HUB = "http://127.0.0.1:9"


@pytest.fixture(scope="session")
def hub_repos(tmp_path_factory):
    return build_repos(tmp_path_factory.mktemp("hub_repos"))


@pytest.fixture
def hf_home(tmp_path, monkeypatch):
    from huggingface_hub import constants

    home = tmp_path / "hf_home"
    for variable in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE",
                     "HF_TOKEN", "HF_TOKEN_PATH", "HF_HUB_DISABLE_PROGRESS_BARS", "HF_XET_CACHE"):
        monkeypatch.delenv(variable, raising=False)
    environment = {"HF_HOME": str(home), "HF_ENDPOINT": NO_HUB, "HF_HUB_DISABLE_TELEMETRY": "1",
                   "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))}
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    settings = {"HF_HOME": str(home), "HF_HUB_CACHE": str(home / "hub"), "HF_ASSETS_CACHE": str(home / "assets"),
                "HF_XET_CACHE": str(home / "xet"), "HF_TOKEN_PATH": str(home / "token"),
                "HF_STORED_TOKENS_PATH": str(home / "stored_tokens"),
                "AGENT_HARNESSES_PATH": str(home / ".agent_harnesses.json"),
                "HF_HUB_OFFLINE": False, "HF_HUB_DISABLE_TELEMETRY": True}
    for name, value in settings.items():
        monkeypatch.setattr(constants, name, value)
    for name in ("HF_HUB_ETAG_TIMEOUT", "HF_HUB_DOWNLOAD_TIMEOUT"):  # leanformers copies them from the environment
        monkeypatch.setattr(constants, name, getattr(constants, name))
    _point_at(monkeypatch, NO_HUB)
    return home


@pytest.fixture
def start_hub(hf_home, monkeypatch):
    """`start_hub(repos, aliases=None)` serves those HubRepos and points HF_ENDPOINT at them until the test ends."""
    servers = []

    def start(repos, aliases=None):
        server = TestHub(repos, aliases)
        servers.append(server)
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        _point_at(monkeypatch, server.url)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def silent_hub(hf_home, monkeypatch):
    server = SilentServer()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    _point_at(monkeypatch, server.url)
    yield server
    server.stop()


@pytest.fixture
def hub(hub_repos, start_hub):
    return start_hub(hub_repos.repos, hub_repos.aliases)


@pytest.fixture
def run_python():
    """Run `code` in a new interpreter (it inherits the test's environment); return the finished process."""
    def run(code, timeout=120, check=True):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            pytest.fail(f"subprocess failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done
    return run


@pytest.fixture
def no_retry_wait(monkeypatch):
    """huggingface_hub retries an unreachable Hub with waits of up to 8 s; tests need only the outcome."""
    import huggingface_hub.utils._http as http

    monkeypatch.setattr(http.time, "sleep", lambda seconds: None)


def _point_at(monkeypatch, endpoint):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "ENDPOINT", endpoint)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", endpoint + "/{repo_id}/resolve/{revision}/{filename}")
