"""Qwen2Tokenizer against transformers'. No Qwen vocabulary is shared, so the reference's Qwen2Tokenizer is built
from GPT-NeoX's byte-level vocabulary and merges, given the added tokens of Qwen2.5-Instruct's
tokenizer_config.json, and saved; both libraries load that folder through AutoTokenizer (NFC, Qwen's split with
single digits, byte-level BPE, no bos)."""

import json

import pytest

from support import family_oracle as fo
from support.corpus import sentences

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    import transformers

    source = fo.folder_or_skip("EleutherAI-gpt-neox-20b") / "tokenizer.json"
    qwen_config = fo.TOKENIZERS / "chat-templates" / "Qwen-Qwen2.5-Instruct.tokenizer_config.json"
    if not qwen_config.is_file():
        pytest.skip(f"{qwen_config} is absent")
    model = json.loads(source.read_text(encoding="utf-8"))["model"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    config = json.loads(qwen_config.read_text(encoding="utf-8"))
    ref = transformers.Qwen2Tokenizer(vocab=model["vocab"], merges=merges, eos_token=config.get("eos_token"),
                                      pad_token=config.get("pad_token"), errors="replace")
    added = [transformers.AddedToken(t["content"], special=t.get("special", False), normalized=t.get("normalized"),
                                     lstrip=t.get("lstrip"), rstrip=t.get("rstrip"), single_word=t.get("single_word"))
             for _, t in sorted(config["added_tokens_decoder"].items(), key=lambda kv: int(kv[0]))]
    ref.add_tokens(added)
    out = tmp_path_factory.mktemp("qwen2")
    ref.save_pretrained(out)
    (out / "config.json").write_text(json.dumps({"model_type": "qwen2"}))
    return out


@pytest.fixture(scope="module")
def pair(folder):
    return fo.load_pair(folder)


@pytest.fixture(scope="module")
def texts():
    return sentences(20_000)


globals().update(fo.standard_tests())


def test_chat_markers_are_single_tokens(pair):
    ours, ref = pair
    text = "<|im_start|>user\nHello 12345<|im_end|>\n<|im_start|>assistant\n<tool_call>{}</tool_call>"
    assert ours(text)["input_ids"] == ref(text)["input_ids"]
    assert ours.tokenize(text) == ref.tokenize(text)
