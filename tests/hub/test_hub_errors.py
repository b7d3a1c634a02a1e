"""Errors that tell the user what to do, each one error and not a chain of HTTP internals."""

import traceback

import pytest

import leanformers
from support.hub_repos import GATED, PRIVATE, SST2
from support.hub_server import TestHub
from leanformers.hub import resolve_file


def raised(call, *args, **kwargs):
    """The error `call` raises, checked to print as one traceback free of HTTP internals."""
    with pytest.raises(OSError) as error:
        call(*args, **kwargs)
    text = "".join(traceback.format_exception(error.value))
    assert text.count("Traceback") == 1 and "httpx" not in text and "HTTPError" not in text, text
    return error.value


def test_repository_that_does_not_exist(hub):
    error = raised(leanformers.AutoConfig.from_pretrained, "test-org/no-such-model")
    message = str(error)
    assert "'test-org/no-such-model' is neither a local folder" in message
    assert hub.url in message and "token" in message


@pytest.mark.parametrize("repo_id, expected", [(GATED, "is a gated repository"), (PRIVATE, "if the repository is private")])
def test_gated_or_private_repository_needs_a_token(hub, hub_repos, repo_id, expected):
    message = str(raised(resolve_file, repo_id, "config.json"))
    assert expected in message and "token=" in message and "HF_TOKEN" in message
    path = resolve_file(repo_id, "config.json", token=TestHub.token)
    assert open(path, "rb").read() == hub_repos.files(repo_id)["config.json"]


def test_gated_repository_accepts_the_token_from_hf_token(hub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", TestHub.token)
    assert leanformers.AutoConfig.from_pretrained(GATED).id2label == {0: "NEGATIVE", 1: "POSITIVE"}


def test_revision_that_does_not_exist(hub):
    message = str(raised(leanformers.AutoConfig.from_pretrained, SST2, revision="v9"))
    assert "Revision 'v9' does not exist" in message and repr(SST2) in message
    assert "branch name, a tag or a commit hash" in message


def test_file_the_repository_lacks(hub):
    error = raised(resolve_file, SST2, "merges.txt")
    assert isinstance(error, FileNotFoundError)
    assert f"{SST2!r}" in str(error) and "no file 'merges.txt'" in str(error)
    # optional: None, and the answer is cached so the next look-up asks nobody
    assert resolve_file(SST2, "merges.txt", required=False) is None
    requests = hub.count()
    assert resolve_file(SST2, "merges.txt", required=False) is None
    with pytest.raises(FileNotFoundError, match="has no file 'merges.txt', as the Hub answered"):
        resolve_file(SST2, "merges.txt", local_files_only=True)
    assert hub.count() == requests


@pytest.mark.parametrize("path", ["./my-saved-model", "models/bert/base", "/no/such/folder", "~/missing"])
def test_folder_path_that_does_not_exist_is_said_to_be_taken_as_a_folder(hub, path):
    for load in (leanformers.AutoConfig.from_pretrained, leanformers.AutoTokenizer.from_pretrained,
                 leanformers.AutoModel.from_pretrained):
        error = raised(load, path)
        assert isinstance(error, FileNotFoundError)
        assert f"{path!r} was taken as a folder path" in str(error) and "no such folder exists" in str(error)
    assert hub.count() == 0
