"""SLOW (about 15 s, up to 2 minutes): builds a fresh virtual environment and `pip install`s this repository into
it, not editable and without torch, the way a tokenizer-only user installs leanformers.

In that environment the tokenizer works (the same ids as this environment's leanformers gives) and what needs a
model names the `torch` extra in its error. The dependencies come from the local wheel index that pip is set up
with; where they cannot be had offline the module skips with the reason. The repository's files are copied to a
temporary folder first, so that the build leaves nothing (build/, *.egg-info) in the working tree.
"""

import json
import shutil
import subprocess
import sys
import tomllib

import pytest

from leanformers import BertTokenizer
from support.paths import SRC

REPO = SRC.parent
TORCH_HINT = "pip install 'leanformers[torch]'"
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "we", "are", "not", "very", "un", "##happy", "to", "show"]
TEXTS = ["We are not very unhappy to show", "unhappy, we are not", "Émile"]
# what pip says when a requirement is not in the local index (the network being unreachable)
OFFLINE_MISSES = ("No matching distribution found", "Could not find a version", "Failed to establish")
INSTALL_TIMEOUT = 120


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory):
    """The python of a fresh venv holding `pip install <copy of the repository>` (no torch)."""
    root = tmp_path_factory.mktemp("packaging")
    source = root / "leanformers"
    shutil.copytree(SRC, source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source / name)
    venv = root / "venv"
    made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True)
    if made.returncode:
        pytest.skip(f"cannot make a venv here (is ensurepip installed?): {made.stderr.strip()[-300:]}")
    python = venv / "bin" / "python"
    try:
        install = subprocess.run([str(python), "-m", "pip", "install", "-q", str(source)], capture_output=True,
                                 text=True, timeout=INSTALL_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.skip(f"pip install took over {INSTALL_TIMEOUT} s: no local wheel index to install from offline?")
    if install.returncode and any(miss in install.stderr for miss in OFFLINE_MISSES):
        pytest.skip(f"the dependencies cannot be installed offline here: {install.stderr.strip()[-300:]}")
    assert install.returncode == 0, install.stderr
    return python


def run_in(python, code, cwd):
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, cwd=cwd, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def vocab_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vocab")
    (folder / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    return folder


def test_pyproject_makes_torch_an_extra():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not any(dep.startswith("torch") for dep in project["dependencies"])
    assert any(dep.startswith("torch") for dep in project["optional-dependencies"]["torch"])
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
    assert "Apache License" in (REPO / "LICENSE").read_text(encoding="utf-8")


def test_installed_without_torch_from_the_repository(venv_python, tmp_path):
    code = ("import importlib.util, leanformers; print(leanformers.__file__); "
            "print(importlib.util.find_spec('torch') is None)")
    location, no_torch = run_in(venv_python, code, tmp_path).split()
    assert "site-packages" in location and no_torch == "True"  # the installed copy, not the source tree


def test_tokenizer_works_without_torch(venv_python, vocab_folder, tmp_path):
    code = ("import json, sys; from leanformers import BertTokenizer; "
            f"tok = BertTokenizer({str(vocab_folder / 'vocab.txt')!r}); "
            f"print(json.dumps(tok({TEXTS!r}, padding=True)['input_ids']))")
    theirs = json.loads(run_in(venv_python, code, tmp_path))
    ours = BertTokenizer(str(vocab_folder / "vocab.txt"))(TEXTS, padding=True)["input_ids"]
    assert theirs == ours and len(set(map(len, ours))) == 1  # padded: the same length each


def test_pipeline_module_names_the_torch_extra(venv_python, tmp_path):
    code = ("try:\n    import leanformers.pipelines.text_classification\n"
            "except ImportError as err:\n    print(type(err).__name__, err)")
    out = run_in(venv_python, code, tmp_path)
    assert out.startswith("ImportError pipeline() needs PyTorch") and TORCH_HINT in out, out


@pytest.mark.parametrize("call", [
    "pipeline('sentiment-analysis', model=FOLDER)",
    "AutoModelForSequenceClassification.from_pretrained(FOLDER)",
])
def test_model_call_names_the_torch_extra(venv_python, vocab_folder, tmp_path, call):
    config = {"model_type": "bert", "architectures": ["BertForSequenceClassification"], "vocab_size": len(VOCAB),
              "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 8}
    (vocab_folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    code = (f"from leanformers import pipeline, AutoModelForSequenceClassification\nFOLDER = {str(vocab_folder)!r}\n"
            f"try:\n    {call}\nexcept ImportError as err:\n    print(type(err).__name__, err)")
    out = run_in(venv_python, code, tmp_path)
    assert out.startswith("ImportError") and TORCH_HINT in out, out
