"""Byte-level BPE tokenizers and files: the quicktour's ids, save_pretrained / from_pretrained
round trips that both libraries load to the same behaviour, AutoTokenizer, the general
tokenizer.json reader against `tokenizers`, and the errors for bad files and settings."""

import json
import shutil
import sys
from pathlib import Path

import pytest

from support.corpus import sentence_pairs, sentences  # noqa: E402

transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

import leanformers  # noqa: E402
from leanformers.tokenization import tokenizer_json  # noqa: E402
from leanformers.tokenization.bpe import BPEError  # noqa: E402
from support.paths import SHARED_DATA

VOCABS = SHARED_DATA / "vocab"
GPT2, ROBERTA = VOCABS / "gpt2", VOCABS / "roberta-base"
needs_data = pytest.mark.skipif(not (GPT2 / "vocab.json").is_file() or not (ROBERTA / "vocab.json").is_file(),
                                reason=f"real vocabularies not found in {VOCABS} (see shared/data/README.md)")
TEXTS = [t for t in sentences(600) if len(t) < 400][:300] + ["", " x", "a <mask> b</s>", "🤗<|endoftext|>é"]
PAIRS = sentence_pairs(40)
FIELDS = dict(return_offsets_mapping=True, return_special_tokens_mask=True, return_token_type_ids=True)


def same_behaviour(ours, reference):
    """Same outputs on texts and pairs (offsets included) and the same decoding."""
    for args in ((TEXTS,), ([a for a, _ in PAIRS], [b for _, b in PAIRS])):
        got, expected = ours(*args, **FIELDS), reference(*args, **FIELDS)
        assert dict(got) == dict(expected)
        assert [got.tokens(i) for i in range(len(args[0]))] == [expected.tokens(i) for i in range(len(args[0]))]
        ids = expected["input_ids"]
        assert ours.batch_decode(ids, skip_special_tokens=True) == reference.batch_decode(ids, skip_special_tokens=True)
    assert len(ours) == len(reference)
    assert ours.all_special_tokens == reference.all_special_tokens
    assert ours.model_max_length == reference.model_max_length


# ---- the quicktour ------------------------------------------------------------------------------

@needs_data
@pytest.mark.parametrize("class_name", ["BartTokenizer", "BartTokenizerFast", "RobertaTokenizer"])
def test_quicktour_bart_pair(class_name):
    tok = getattr(leanformers, class_name).from_pretrained(ROBERTA)
    enc = tok("HuggingFace is based in NYC", "Where is HuggingFace based?")
    assert enc["input_ids"] == [0, 40710, 3923, 34892, 16, 716, 11, 14415, 2, 2, 13841, 16, 30581, 3923, 34892, 716,
                                116, 2]
    assert "token_type_ids" not in enc  # not returned by default, as transformers does
    assert tok.decode(enc["input_ids"]) == "<s>HuggingFace is based in NYC</s></s>Where is HuggingFace based?</s>"


@needs_data
def test_quicktour_gpt2():
    tok = leanformers.GPT2Tokenizer.from_pretrained(GPT2)
    assert tok("Hello world")["input_ids"] == [15496, 995]
    assert tok(" Hello world")["input_ids"] == [18435, 995]  # transformers' docstring example
    assert tok.num_special_tokens_to_add() == 0 and tok.num_special_tokens_to_add(pair=True) == 0
    assert leanformers.GPT2TokenizerFast is leanformers.GPT2Tokenizer


@needs_data
def test_gpt2_padding_needs_a_pad_token():
    tok = leanformers.GPT2Tokenizer.from_pretrained(GPT2)
    with pytest.raises(ValueError, match=r"does not have a padding token.*pad_token = tokenizer.eos_token"):
        tok(["Hello world", "Hi"], padding=True)
    tok.pad_token = tok.eos_token
    assert tok(["Hello world", "Hi"], padding=True)["input_ids"] == [[15496, 995], [17250, 50256]]


# ---- files ------------------------------------------------------------------------------------------

@needs_data
@pytest.mark.parametrize("class_name,folder,options", [
    ("GPT2Tokenizer", GPT2, {}),
    ("GPT2Tokenizer", GPT2, {"add_prefix_space": True, "add_bos_token": True, "model_max_length": 64}),
    ("RobertaTokenizer", ROBERTA, {}),
    ("BartTokenizer", ROBERTA, {"add_prefix_space": True, "trim_offsets": False}),
])
def test_save_pretrained_round_trip(tmp_path, class_name, folder, options):
    ours = getattr(leanformers, class_name).from_pretrained(folder, **options)
    ours.add_tokens(["hugging face"])
    ours.add_special_tokens({"additional_special_tokens": ["<|special|>"]})
    if ours.pad_token is None:
        ours.pad_token = ours.eos_token
    written = ours.save_pretrained(tmp_path / "saved")
    assert sorted(Path(p).name for p in written) == ["merges.txt", "special_tokens_map.json", "tokenizer.json",
                                                    "tokenizer_config.json", "vocab.json"]
    reference = getattr(transformers, class_name).from_pretrained(folder, **options)
    reference.add_tokens(["hugging face"])
    reference.add_special_tokens({"additional_special_tokens": ["<|special|>"]})
    if reference.pad_token is None:
        reference.pad_token = reference.eos_token
    same_behaviour(ours, reference)
    saved = str(tmp_path / "saved")
    for loaded_ours in (getattr(leanformers, class_name).from_pretrained(saved),
                        leanformers.AutoTokenizer.from_pretrained(saved)):
        same_behaviour(loaded_ours, reference)
    same_behaviour(ours, transformers.AutoTokenizer.from_pretrained(saved))
    # each kind of file alone is enough, for both libraries
    for keep in (["tokenizer.json"], ["vocab.json", "merges.txt"]):
        part = tmp_path / ("only_" + keep[0])
        part.mkdir()
        for name in keep + ["tokenizer_config.json", "special_tokens_map.json"]:
            shutil.copy(tmp_path / "saved" / name, part / name)
        same_behaviour(leanformers.AutoTokenizer.from_pretrained(part), transformers.AutoTokenizer.from_pretrained(part))


@needs_data
@pytest.mark.parametrize("class_name,folder", [("GPT2Tokenizer", GPT2), ("RobertaTokenizer", ROBERTA)])
def test_loads_what_transformers_saves(tmp_path, class_name, folder):
    reference = getattr(transformers, class_name).from_pretrained(str(folder), add_prefix_space=True)
    reference.save_pretrained(tmp_path)
    same_behaviour(leanformers.AutoTokenizer.from_pretrained(tmp_path), reference)


@needs_data
@pytest.mark.parametrize("model_type,class_name", [("gpt2", "GPT2Tokenizer"), ("roberta", "RobertaTokenizer"),
                                                    ("bart", "RobertaTokenizer")])
def test_auto_tokenizer_from_model_type(tmp_path, model_type, class_name):
    folder = GPT2 if model_type == "gpt2" else ROBERTA
    for name in ("vocab.json", "merges.txt"):
        shutil.copy(folder / name, tmp_path / name)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": model_type}), encoding="utf-8")
    ours = leanformers.AutoTokenizer.from_pretrained(tmp_path)
    assert type(ours).__name__ == class_name
    same_behaviour(ours, transformers.AutoTokenizer.from_pretrained(str(tmp_path)))


@needs_data
def test_tokenizer_config_is_honoured(tmp_path):
    for name in ("vocab.json", "merges.txt"):
        shutil.copy(ROBERTA / name, tmp_path / name)
    config = {"tokenizer_class": "RobertaTokenizer", "add_prefix_space": True, "model_max_length": 16,
              "added_tokens_decoder": {"50264": {"content": "<mask>", "lstrip": True, "rstrip": False,
                                                 "normalized": False, "single_word": False, "special": True}}}
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    ours, reference = (lib.AutoTokenizer.from_pretrained(str(tmp_path)) for lib in (leanformers, transformers))
    same_behaviour(ours, reference)
    assert ours(TEXTS[:50], truncation=True)["input_ids"] == reference(TEXTS[:50], truncation=True)["input_ids"]


# ---- the general tokenizer.json reader ------------------------------------------------------------

def _trained(pre_tokenizer, normalizer=None, post_processor=None, decoder=None):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    alphabet = pre_tokenizers.ByteLevel.alphabet() if "ByteLevel" in repr(pre_tokenizer) else []
    trainer = trainers.BpeTrainer(vocab_size=400, initial_alphabet=alphabet, show_progress=False,
                                  special_tokens=["<unk>", "<s>", "</s>"])
    tok.train_from_iterator(sentences(2000), trainer)
    if post_processor is not None:
        tok.post_processor = post_processor
    tok.decoder = decoder
    return tok


def _reader_cases():
    from tokenizers import decoders, normalizers, pre_tokenizers, processors
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=True)
    return {
        "roberta-like": lambda: _trained(byte_level, post_processor=processors.RobertaProcessing(
            ("</s>", 2), ("<s>", 1)), decoder=decoders.ByteLevel()),
        "byte-level-post-processor": lambda: _trained(byte_level, post_processor=processors.ByteLevel(
            trim_offsets=True), decoder=decoders.ByteLevel()),
        "split-then-byte-level": lambda: _trained(pre_tokenizers.Sequence([
            pre_tokenizers.Split(r"\d", behavior="isolated"), pre_tokenizers.ByteLevel(use_regex=False)]),
            decoder=decoders.ByteLevel()),
        "whitespace-bpe-normalized": lambda: _trained(
            pre_tokenizers.Whitespace(), normalizer=normalizers.Sequence([normalizers.NFD(), normalizers.Lowercase(),
                                                                           normalizers.StripAccents()]),
            post_processor=processors.TemplateProcessing(single="<s> $A </s>", pair="<s> $A </s> $B:1 </s>:1",
                                                         special_tokens=[("<s>", 1), ("</s>", 2)])),
    }


@pytest.mark.parametrize("name", list(_reader_cases()))
def test_tokenizer_json_reader_matches_tokenizers(tmp_path, name):
    reference = _reader_cases()[name]()
    path = tmp_path / "tokenizer.json"
    reference.save(str(path))
    ours = tokenizer_json.build_tokenizer(tokenizer_json.load(path), str(path))
    for text, pair in list(zip(TEXTS, TEXTS[1:]))[:150] + [(t, None) for t in TEXTS]:
        expected = reference.encode(text, pair)
        got = ours.encode(text, pair, with_offsets=True)
        assert (got.ids, got.tokens, got.offsets, got.type_ids) == (
            expected.ids, expected.tokens, expected.offsets, expected.type_ids), (text, pair)
        if reference.decoder is not None:
            assert ours.decode(expected.ids, skip_special_tokens=True) == reference.decode(expected.ids)
    # and it writes back what it read
    assert json.loads(json.dumps(tokenizer_json.tokenizer_to_json(ours)))["model"] == json.loads(
        path.read_text(encoding="utf-8"))["model"]


# ---- bad input ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,component", [
    ("pre_tokenizer", {"type": "MetaspaceX", "replacement": "▁"}),
    ("model", {"type": "WordLevelX", "unk_id": 0, "vocab": [["<unk>", 0.0]]}),
    ("decoder", {"type": "BPEDecoder", "suffix": "</w>"}),
    ("post_processor", {"type": "BertProcessingX"}),
    ("normalizer", {"type": "PrecompiledX", "precompiled_charsmap": ""}),
])
def test_unsupported_tokenizer_json_component(tmp_path, kind, component):
    data = {"version": "1.0", "added_tokens": [], "normalizer": None, "pre_tokenizer": None, "post_processor": None,
            "decoder": None, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}
    data[kind] = component
    path = tmp_path / "tokenizer.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match=rf"the {kind} type '{component['type']}' is not supported"):
        tokenizer_json.build_tokenizer(tokenizer_json.load(path), str(path))
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "GPT2Tokenizer"}), encoding="utf-8")
    if kind in ("model", "post_processor"):  # what GPT2Tokenizer reads from tokenizer.json
        with pytest.raises(ValueError, match=rf"the {kind} type '{component['type']}' is not supported"):
            leanformers.AutoTokenizer.from_pretrained(tmp_path)


@needs_data
def test_bad_files_in_a_folder(tmp_path):
    shutil.copy(GPT2 / "vocab.json", tmp_path / "vocab.json")
    (tmp_path / "merges.txt").write_text("#version: 0.2\nĠ t\nĠt he extra\n", encoding="utf-8")
    with pytest.raises(BPEError, match=r"Line 3 of the BPE merges file .*merges.txt"):
        leanformers.GPT2Tokenizer.from_pretrained(tmp_path)
    (tmp_path / "merges.txt").write_text("#version: 0.2\nĠ t\nĠt zzzz\n", encoding="utf-8")
    with pytest.raises(BPEError, match=r"needs the token 'zzzz', which is not in the vocabulary"):
        leanformers.GPT2Tokenizer.from_pretrained(tmp_path)
    (tmp_path / "vocab.json").write_text('["Ġ", "t"]', encoding="utf-8")
    with pytest.raises(BPEError, match=r"vocab.json.* is a JSON list, not an object"):
        leanformers.GPT2Tokenizer.from_pretrained(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"none of the files"):
        leanformers.RobertaTokenizer.from_pretrained(tmp_path / "missing" if (tmp_path / "missing").mkdir() is None
                                                     else tmp_path)


def test_tokenizer_json_with_bad_bpe_model(tmp_path):
    data = {"model": {"type": "BPE", "vocab": ["a", "b"], "merges": []}}
    path = tmp_path / "tokenizer.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match=r"the model 'BPE' is malformed.*not an object"):
        tokenizer_json.build_tokenizer(tokenizer_json.load(path), str(path))
    data["model"] = {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b c"]}
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match=r"Merge number 0 .* is 'a b c'"):
        tokenizer_json.build_tokenizer(tokenizer_json.load(path), str(path))
