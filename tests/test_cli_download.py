"""`leanformers download` of a gated or private repository: the token from HF_TOKEN, a hidden prompt on a
terminal, or --token (with a warning that the process list shows it). The test hub's GATED and PRIVATE
repositories answer 401 without TestHub.token."""

import getpass
import io
import sys
from pathlib import Path

import pytest

from leanformers.cli import main as cli_main
from support.hub_repos import GATED, PRIVATE, SST2
from support.hub_server import TestHub


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_token_from_hf_token_in_a_new_process(hub, hub_repos, monkeypatch, run_python):
    monkeypatch.setenv("HF_TOKEN", TestHub.token)  # huggingface_hub reads it itself, as it does for transformers
    done = run_python(f"import sys; from leanformers.cli import main; sys.exit(main(['download', {GATED!r}]))")
    assert (Path(done.stdout.strip()) / "config.json").read_bytes() == hub_repos.files(GATED)["config.json"]


def test_no_prompt_without_a_terminal(hub, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO())  # a pipe or file: nobody to ask
    monkeypatch.setattr(getpass, "getpass", lambda prompt: pytest.fail("asked for a token"))
    assert cli_main(["download", PRIVATE]) == 1
    assert "HF_TOKEN" in capsys.readouterr().err


@pytest.mark.parametrize("repo_id", [GATED, PRIVATE])
def test_prompt_on_a_terminal_when_the_repository_needs_a_token(hub, hub_repos, monkeypatch, capsys, repo_id):
    prompts = []
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr(getpass, "getpass", lambda prompt: prompts.append(prompt) or TestHub.token)
    assert cli_main(["download", repo_id]) == 0
    assert len(prompts) == 1 and repo_id in prompts[0] and "HF_TOKEN" in prompts[0]
    snapshot = Path(capsys.readouterr().out.strip())
    assert (snapshot / "config.json").read_bytes() == hub_repos.files(repo_id)["config.json"]


def test_empty_answer_at_the_prompt_reports_the_first_error(hub, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr(getpass, "getpass", lambda prompt: "")
    assert cli_main(["download", GATED]) == 1
    assert f"{GATED!r} is a gated repository" in capsys.readouterr().err


def test_no_prompt_for_a_repository_that_needs_no_token(hub, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr(getpass, "getpass", lambda prompt: pytest.fail("asked for a token"))
    assert cli_main(["download", SST2, "--revision", "v9"]) == 1  # a public repository's missing revision
    assert cli_main(["download", GATED, "--token", "hf_wrong"]) == 1  # a token was given: not asked again
    err = capsys.readouterr().err
    assert "warning: a token on the command line is visible to other users in the process list" in err


def test_token_option_still_works_with_a_warning(hub, capsys):
    assert cli_main(["download", GATED, "--token", TestHub.token]) == 0
    assert "process list (ps); set HF_TOKEN instead" in capsys.readouterr().err
