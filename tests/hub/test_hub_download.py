"""Loading by Hub name through the test hub: what is fetched, from where, and when."""

import io
import json
import sys
from pathlib import Path

import pytest
import torch
import transformers

import leanformers
from support.hub_repos import BIN_ONLY, LEGACY_SST2, SENTENCE, SHARDED, SHARDED_BIN, SST2
from leanformers.cli import main as cli_main
from leanformers.hub import download, resolve_file, resolve_weights
from leanformers.utils import disable_progress_bars, enable_progress_bars

TOKENIZER_FILES = ("tokenizer_config.json", "tokenizer.json", "vocab.txt")


def load_quicktour(name, **hub_kwargs):
    """The quicktour's three objects, loaded by name with leanformers."""
    config = leanformers.AutoConfig.from_pretrained(name, **hub_kwargs)
    tokenizer = leanformers.AutoTokenizer.from_pretrained(name, **hub_kwargs)
    model = leanformers.AutoModelForSequenceClassification.from_pretrained(name, **hub_kwargs)
    return config, tokenizer, model


def test_config_tokenizer_and_model_load_by_name_like_transformers(hub):
    config, tokenizer, model = load_quicktour(LEGACY_SST2)
    # transformers reads the snapshot folder that leanformers downloaded: same objects, same numbers
    snapshot = Path(resolve_file(LEGACY_SST2, "config.json")).parent
    reference = transformers.AutoModelForSequenceClassification.from_pretrained(snapshot).eval()
    ref_tokenizer = transformers.AutoTokenizer.from_pretrained(snapshot)
    assert config.id2label == reference.config.id2label == {0: "NEGATIVE", 1: "POSITIVE"}
    assert tokenizer(SENTENCE)["input_ids"] == ref_tokenizer(SENTENCE)["input_ids"]
    inputs = ref_tokenizer(SENTENCE, return_tensors="pt")
    with torch.no_grad():
        expected = reference(**inputs).logits
        got = model(**tokenizer(SENTENCE, return_tensors="pt")).logits
    torch.testing.assert_close(got, expected)
    # the legacy name was redirected to the canonical repository; the cache keeps the name given, as transformers does
    assert hub.count(path_part=f"/{SST2}/resolve/") > 0
    assert snapshot.parent.parent.name == f"models--{LEGACY_SST2}"


def test_quicktour_pipeline_downloads_its_default_model(hub):
    classifier = leanformers.pipeline("sentiment-analysis")  # the default is SST2, served by the test hub
    snapshot = Path(resolve_file(SST2, "config.json")).parent
    reference = transformers.pipeline("sentiment-analysis", model=str(snapshot))
    (got,), (expected,) = classifier([SENTENCE]), reference([SENTENCE])
    assert got["label"] == expected["label"] and got["score"] == pytest.approx(expected["score"], abs=1e-5)
    assert hub.downloads("model.safetensors") == 1


def test_only_the_files_the_objects_need_are_downloaded(hub, hub_repos):
    load_quicktour(SST2)
    served = hub_repos.files(SST2)
    snapshot = Path(resolve_file(SST2, "config.json")).parent
    for path in snapshot.iterdir():
        assert path.read_bytes() == served[path.name], path.name
    assert hub.downloads("model.safetensors") == 1
    assert hub.downloads("pytorch_model.bin") == 0  # the repository has both; safetensors wins


def test_second_load_makes_no_download(hub):
    first = [resolve_file(SST2, "config.json"), *resolve_weights(SST2)]
    load_quicktour(SST2)
    downloads = hub.downloads()
    second = [resolve_file(SST2, "config.json"), *resolve_weights(SST2)]
    load_quicktour(SST2)
    assert second == first
    assert hub.downloads() == downloads


def test_force_download_fetches_again(hub, hub_repos):
    path = resolve_file(SST2, "config.json")
    assert resolve_file(SST2, "config.json", force_download=True) == path
    assert hub.downloads("config.json") == 2
    assert open(path, "rb").read() == hub_repos.files(SST2)["config.json"]
    with pytest.raises(ValueError, match="force_download=True needs the network, but local_files_only=True"):
        resolve_file(SST2, "config.json", force_download=True, local_files_only=True)


def test_revision_selects_another_commit(hub, hub_repos):
    old = hub_repos.files(SST2, "v1")
    by_tag = resolve_file(SST2, "config.json", revision="v1")
    by_commit = resolve_file(SST2, "config.json", revision=hub_repos.sst2_v1)
    assert Path(by_tag).read_bytes() == Path(by_commit).read_bytes() == old["config.json"]
    assert Path(by_commit).parent.name == hub_repos.sst2_v1
    config = leanformers.AutoConfig.from_pretrained(SST2, revision="v1")
    assert config.id2label == {0: "LABEL_0", 1: "LABEL_1"}
    assert leanformers.AutoConfig.from_pretrained(SST2).id2label == {0: "NEGATIVE", 1: "POSITIVE"}
    (weights,) = resolve_weights(SST2, revision="v1")
    assert Path(weights).read_bytes() == old["model.safetensors"]
    # a commit hash never moves: once cached, it is served without asking the hub
    requests = hub.count()
    assert resolve_file(SST2, "config.json", revision=hub_repos.sst2_v1) == by_commit
    assert hub.count() == requests


def test_repository_with_only_pytorch_model_bin(hub, hub_repos):
    (weights,) = resolve_weights(BIN_ONLY)
    assert Path(weights).name == "pytorch_model.bin"
    assert Path(weights).read_bytes() == hub_repos.files(BIN_ONLY)["pytorch_model.bin"]
    model = leanformers.AutoModel.from_pretrained(BIN_ONLY)
    reference = transformers.AutoModel.from_pretrained(Path(weights).parent)
    for name, tensor in reference.state_dict().items():
        torch.testing.assert_close(model.state_dict()[name], tensor, msg=name)


def test_sharded_repository(hub, hub_repos):
    served = hub_repos.files(SHARDED)
    index = json.loads(served["model.safetensors.index.json"])
    shards = resolve_weights(SHARDED)
    assert [Path(p).name for p in shards] == list(dict.fromkeys(index["weight_map"].values()))
    assert len(shards) > 1
    for path in shards:
        assert Path(path).read_bytes() == served[Path(path).name]
    asked = {r.method for r in hub.requests if r.path.endswith("/resolve/main/model.safetensors")}
    assert asked == {"HEAD"}  # asked, not there: the index and its shards are fetched instead
    model = leanformers.AutoModel.from_pretrained(SHARDED)
    reference = transformers.AutoModel.from_pretrained(Path(shards[0]).parent)
    for name, tensor in reference.state_dict().items():
        torch.testing.assert_close(model.state_dict()[name], tensor, msg=name)


def test_sharded_pytorch_model_bin_repository(hub, hub_repos, tmp_path):
    """transformers 4's sharded torch checkpoints: the hub fetches the index and its shards, and the model loads
    them (by name and from the downloaded folder) to the tensors that were saved."""
    served = hub_repos.files(SHARDED_BIN)
    index = json.loads(served["pytorch_model.bin.index.json"])
    shards = resolve_weights(SHARDED_BIN)
    assert [Path(p).name for p in shards] == list(dict.fromkeys(index["weight_map"].values()))
    assert len(shards) == 3
    for path in shards:
        assert Path(path).read_bytes() == served[Path(path).name]
    saved = {}
    for path in shards:
        saved.update(torch.load(path, weights_only=True))
    by_name = leanformers.AutoModel.from_pretrained(SHARDED_BIN)  # also fetches config.json into the snapshot
    reference = transformers.AutoModel.from_pretrained(Path(shards[0]).parent)
    for model in (by_name, leanformers.AutoModel.from_pretrained(Path(shards[0]).parent)):
        ours = model.state_dict()
        assert set(saved) <= set(ours)
        for name, tensor in saved.items():
            torch.testing.assert_close(ours[name], tensor, rtol=0, atol=0, msg=name)
        for name, tensor in reference.state_dict().items():
            torch.testing.assert_close(ours[name], tensor, msg=name)


class Terminal(io.StringIO):
    """stderr as a terminal: tqdm draws bars only there."""

    def isatty(self):
        return True


def test_progress_bar_while_downloading_and_its_switches(hub, monkeypatch):
    monkeypatch.setattr(sys, "stderr", Terminal())
    resolve_file(SST2, "model.safetensors")
    assert "model.safetensors" in sys.stderr.getvalue() and "100%" in sys.stderr.getvalue()

    monkeypatch.setattr(sys, "stderr", Terminal())
    disable_progress_bars()
    try:
        resolve_file(SST2, "pytorch_model.bin")
    finally:
        enable_progress_bars()
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    resolve_file(SST2, "vocab.txt")
    assert sys.stderr.getvalue() == ""
    assert hub.downloads("pytorch_model.bin") == hub.downloads("vocab.txt") == 1


def test_cli_download_prefetches_into_the_cache_with_a_progress_bar(hub, hub_repos, tmp_path, monkeypatch, capsys):
    cache = tmp_path / "my-cache"
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert cli_main(["download", SST2, "--revision", "v1", "--cache-dir", str(cache)]) == 0
    assert "model.safetensors" in sys.stderr.getvalue()
    snapshot = Path(capsys.readouterr().out.strip())
    assert snapshot == cache / f"models--{SST2.replace('/', '--')}" / "snapshots" / hub_repos.sst2_v1
    served = hub_repos.files(SST2, "v1")
    assert sorted(p.name for p in snapshot.iterdir()) == sorted(set(served) - {"pytorch_model.bin"})
    # everything from_pretrained needs is there: loading offline asks the hub nothing
    requests = hub.count()
    load_quicktour(SST2, revision="v1", cache_dir=cache, local_files_only=True)
    assert hub.count() == requests


def test_cli_in_a_new_process_downloads_into_hf_hub_cache(hub, hub_repos, tmp_path, monkeypatch, run_python):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "elsewhere"))
    done = run_python(f"import sys; from leanformers.cli import main; sys.exit(main(['download', {BIN_ONLY!r}]))")
    snapshot = Path(done.stdout.strip())
    assert snapshot.is_relative_to(tmp_path / "elsewhere")
    served = hub_repos.files(BIN_ONLY)
    assert {p.name: p.read_bytes() for p in snapshot.iterdir()} == served


def test_download_function_and_cli_errors(hub, hf_home, capsys):
    paths = download(SHARDED)
    assert {Path(p).name for p in paths} >= {"config.json", "vocab.txt", "model-00001-of-00006.safetensors"}
    assert cli_main(["download", "test-org/no-such-model"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("leanformers: error: 'test-org/no-such-model'") and "Traceback" not in err
