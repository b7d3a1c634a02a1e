"""GemmaTokenizer against transformers'. No Gemma folder is shared, so the reference's GemmaTokenizer is built
from Mistral's byte-fallback vocabulary and merges and saved; both libraries then load that folder through
AutoTokenizer (normalizer Replace(" ", "▁"), Split(" ", merged with previous), byte-fallback BPE, `<bos> A`)."""

import json

import pytest

from support import family_oracle as fo
from support.corpus import sentences

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    import transformers

    source = fo.folder_or_skip("mistralai-Mistral-7B-Instruct-v0.3") / "tokenizer.json"
    model = json.loads(source.read_text(encoding="utf-8"))["model"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    ref = transformers.GemmaTokenizer(vocab=model["vocab"], merges=merges, add_bos_token=True)
    out = tmp_path_factory.mktemp("gemma")
    ref.save_pretrained(out)
    (out / "config.json").write_text(json.dumps({"model_type": "gemma"}))
    return out


@pytest.fixture(scope="module")
def pair(folder):
    return fo.load_pair(folder)


@pytest.fixture(scope="module")
def texts():
    return sentences(20_000)


globals().update(fo.standard_tests())


def test_without_a_tokenizer_class_the_model_type_picks_gemma(folder, tmp_path):
    import shutil

    import leanformers
    import transformers
    for name in ("tokenizer.json", "config.json"):
        shutil.copy(folder / name, tmp_path / name)
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config.pop("tokenizer_class")
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config))
    ours, ref = leanformers.AutoTokenizer.from_pretrained(tmp_path), transformers.AutoTokenizer.from_pretrained(tmp_path)
    assert type(ours).__name__ == type(ref).__name__
    assert ours("Hello  world")["input_ids"] == ref("Hello  world")["input_ids"]
