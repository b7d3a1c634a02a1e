"""AutoTokenizer picks the class the reference picks, on the real folders and on folders made from them: the
generic class names, a LlamaTokenizer whose tokenizer.json is byte-level, mistral's model type, qwen2's own class,
a folder holding nothing but tokenizer.json. Loading imports no torch."""

import json
import shutil
import subprocess
import sys

import pytest

from support import family_oracle as fo
from support.paths import SRC

pytest.importorskip("transformers")

REAL = {"meta-llama-Llama-2-7b-hf": ("Metaspace",), "mistralai-Mistral-7B-Instruct-v0.3": ("Metaspace",),
        "meta-llama-Meta-Llama-3-8B-Instruct": (), "EleutherAI-gpt-neox-20b": ()}


def _classes(folder):
    import transformers

    import leanformers
    return (type(leanformers.AutoTokenizer.from_pretrained(folder)).__name__,
            type(transformers.AutoTokenizer.from_pretrained(folder)).__name__)


@pytest.mark.parametrize("name", sorted(REAL))
def test_the_class_picked_for_each_real_folder(name):
    folder = fo.folder_or_skip(name)
    fo.needs_stages(*REAL[name])
    ours, ref = _classes(folder)
    assert ours == ref


@pytest.mark.parametrize("name", sorted(REAL) + ["google-t5-small"])
def test_a_pickled_tokenizer_of_each_real_folder_encodes_as_the_reference(name):
    # pipelines with worker processes pickle the tokenizer: a lambda in any stage broke that
    import pickle

    import transformers

    import leanformers
    from support.corpus import EMOJI, ODD, SCRIPTS, sentences

    folder = fo.folder_or_skip(name)
    copy = pickle.loads(pickle.dumps(leanformers.AutoTokenizer.from_pretrained(folder)))
    reference = transformers.AutoTokenizer.from_pretrained(str(folder))
    texts = sentences(500) + [" ".join(SCRIPTS), " ".join(EMOJI), "".join(ODD)] + list(SCRIPTS + EMOJI + ODD)
    options = dict(return_offsets_mapping=True, truncation=True, max_length=24)
    expected, got = reference(texts, **options), copy(texts, **options)
    for key in expected:
        assert got[key] == expected[key], (name, key)


def _copy(name, dst, config=None, tokenizer_config=None):
    src = fo.folder_or_skip(name)
    dst.mkdir()
    shutil.copy(src / "tokenizer.json", dst / "tokenizer.json")
    if config is not None:
        (dst / "config.json").write_text(json.dumps(config))
    if tokenizer_config is not None:
        (dst / "tokenizer_config.json").write_text(json.dumps(tokenizer_config))
    return dst


@pytest.mark.parametrize("tokenizer_class", ["PreTrainedTokenizerFast", "TokenizersBackend", "LlamaTokenizer",
                                             "LlamaTokenizerFast", "GPT2Tokenizer", None])
@pytest.mark.parametrize("model_type", [None, "llama", "mistral", "qwen2", "gpt2"])
def test_byte_level_file_under_each_declared_class_and_model_type(tmp_path, tokenizer_class, model_type):
    config = None if model_type is None else {"model_type": model_type}
    tok_config = None if tokenizer_class is None else {"tokenizer_class": tokenizer_class}
    folder = _copy("EleutherAI-gpt-neox-20b", tmp_path / "f", config, tok_config)
    import transformers
    try:
        ref = type(transformers.AutoTokenizer.from_pretrained(folder)).__name__
    except Exception:  # the reference refuses: so do we
        with pytest.raises(Exception):
            _classes(folder)
        return
    if ref == "LlamaTokenizer":
        fo.needs_stages("Metaspace")
    import leanformers
    ours = leanformers.AutoTokenizer.from_pretrained(folder)
    assert type(ours).__name__ == ref
    text = "Hello world, 12345 tokens\n  here"
    assert ours(text)["input_ids"] == transformers.AutoTokenizer.from_pretrained(folder)(text)["input_ids"]


@pytest.mark.parametrize("name", sorted(REAL))
def test_auto_tokenizer_imports_no_torch(name):
    folder = fo.folder_or_skip(name)
    fo.needs_stages(*REAL[name])
    code = ("import sys, leanformers\n"
            f"tok = leanformers.AutoTokenizer.from_pretrained({str(folder)!r})\n"
            "tok('Hello world')\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    env_path = str(SRC)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-2000:]
