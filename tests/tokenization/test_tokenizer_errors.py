"""Bad input gets an error that names the argument and says how to fix it."""

import json

import pytest

import leanformers
from leanformers.tokenization.tokenizer_json import build_tokenizer
from support.wordpiece_cases import make_folder

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s", ",", "."]


@pytest.fixture(scope="module")
def tok(tmp_path_factory):
    folder = make_folder(tmp_path_factory.mktemp("err"), "tiny", vocab_lines=VOCAB, model_max_length=16)
    return leanformers.BertTokenizer.from_pretrained(folder)


@pytest.mark.parametrize("text", [None, 3, 4.5, {"a": 1}, b"bytes"])
def test_non_string_text(tok, text):
    with pytest.raises((TypeError, ValueError), match="text"):
        tok(text)


def test_nested_lists_where_strings_are_expected(tok):
    with pytest.raises(TypeError, match="is_split_into_words=True"):  # two strings would be a [text, pair] item
        tok([["hello", "big", "world"]])
    with pytest.raises(TypeError, match="`text`"):
        tok(["hello", 3])
    with pytest.raises(TypeError, match="word strings"):
        tok([["hello", ["nested"]]], is_split_into_words=True)


def test_pair_lists_of_different_length(tok):
    with pytest.raises(ValueError, match="text_pair.*same length|same length"):
        tok(["hello", "world"], ["hello"])
    with pytest.raises(ValueError, match="text_pair"):
        tok(["hello"], "world")


def test_split_into_words_given_a_string(tok):
    with pytest.raises(ValueError, match="is_split_into_words"):
        tok("hello world", is_split_into_words=True)


@pytest.mark.parametrize("padding", ["longer", "max", 3])
def test_unknown_padding(tok, padding):
    with pytest.raises(ValueError, match="padding"):
        tok("hello", padding=padding)


@pytest.mark.parametrize("truncation", ["shortest", "only_third", 2])
def test_unknown_truncation(tok, truncation):
    with pytest.raises(ValueError, match="truncation"):
        tok("hello", truncation=truncation)


def test_max_length_smaller_than_special_tokens(tok):
    with pytest.raises(ValueError, match="max_length=1 .*special tokens"):
        tok("hello world", truncation=True, max_length=1)
    with pytest.raises(ValueError, match="max_length=2 .*special tokens"):
        tok("hello", "world", truncation=True, max_length=2)


def test_stride_not_smaller_than_window(tok):
    with pytest.raises(ValueError, match="stride"):
        tok("hello world hello world hello world", truncation=True, max_length=4, stride=2,
            return_overflowing_tokens=True)


def test_unknown_keyword(tok):
    with pytest.raises(TypeError, match="paddding"):
        tok("hello", paddding=True)


def test_ragged_tensors(tok):
    with pytest.raises(ValueError, match="padding=True"):
        tok(["hello", "hello world"], return_tensors="pt")
    with pytest.raises(ValueError, match="return_tensors"):
        tok("hello", return_tensors="jax")


def test_missing_vocab_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="vocab.txt"):
        leanformers.BertTokenizer.from_pretrained(tmp_path)
    with pytest.raises(OSError, match="nowhere"):
        leanformers.BertTokenizer.from_pretrained(tmp_path / "nowhere")
    with pytest.raises(OSError, match="missing.txt"):
        leanformers.BertTokenizer(vocab_file=str(tmp_path / "missing.txt"))


def test_unreadable_vocab_file(tmp_path):
    (tmp_path / "vocab.txt").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(OSError, match="vocab.txt.*UTF-8"):
        leanformers.BertTokenizer.from_pretrained(tmp_path)


def test_malformed_tokenizer_json(tmp_path):
    (tmp_path / "tokenizer.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="tokenizer.json.*not valid JSON"):
        leanformers.BertTokenizer.from_pretrained(tmp_path)
    (tmp_path / "tokenizer.json").write_text(json.dumps({"version": "1.0"}), encoding="utf-8")
    with pytest.raises(ValueError, match="\"model\""):
        leanformers.BertTokenizer.from_pretrained(tmp_path)
    (tmp_path / "tokenizer.json").write_text(json.dumps({"model": {"type": "WordLevelPlus", "vocab": []}}),
                                             encoding="utf-8")
    with pytest.raises(ValueError, match="tokenizer.json: the model type 'WordLevelPlus' is not supported"):
        leanformers.BertTokenizer.from_pretrained(tmp_path)
    (tmp_path / "tokenizer.json").write_text(json.dumps({"model": {"type": "WordPiece"}}), encoding="utf-8")
    with pytest.raises(ValueError, match="WordPiece.*malformed"):
        leanformers.BertTokenizer.from_pretrained(tmp_path)
    good = {"model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}, "normalizer": {"type": "PrecompiledX"}}
    (tmp_path / "tokenizer.json").write_text(json.dumps(good), encoding="utf-8")
    with pytest.raises(ValueError, match="normalizer type 'PrecompiledX' is not supported"):
        build_tokenizer(good)


def test_malformed_tokenizer_config(tmp_path):
    (tmp_path / "vocab.txt").write_text("\n".join(VOCAB), encoding="utf-8")
    (tmp_path / "tokenizer_config.json").write_text("[1, 2", encoding="utf-8")
    with pytest.raises(ValueError, match="tokenizer_config.json"):
        leanformers.BertTokenizer.from_pretrained(tmp_path)


def test_auto_tokenizer_without_class(tmp_path):
    (tmp_path / "vocab.txt").write_text("\n".join(VOCAB), encoding="utf-8")
    with pytest.raises(ValueError, match="tokenizer_config.json.*config.json"):
        leanformers.AutoTokenizer.from_pretrained(tmp_path)
    # a model type leanformers does not know (t5 has a tokenizer now)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "not-a-model"}), encoding="utf-8")
    with pytest.raises(ValueError, match="'not-a-model'"):
        leanformers.AutoTokenizer.from_pretrained(tmp_path)


@pytest.fixture(scope="module")
def reference(tok):
    transformers = pytest.importorskip("transformers")
    return transformers.BertTokenizer.from_pretrained(tok.name_or_path)


@pytest.mark.parametrize("call", ["decode([5, -1])", "decode(-100)", "batch_decode([[5], [-1]])",
                                  "convert_ids_to_tokens(-1)", "convert_ids_to_tokens([5, -100])"])
def test_negative_ids_are_refused_as_the_reference_refuses_them(tok, reference, call):
    with pytest.raises(Exception) as expected:
        eval(f"reference.{call}")
    # the same kind of error (an OverflowError there), and one that says what is wrong and what to do
    with pytest.raises(expected.type, match=r"token id -1\d* is negative.*pad token id"):
        eval(f"tok.{call}")
    with pytest.raises(ValueError):
        eval(f"tok.{call}")


@pytest.mark.parametrize("call", ["decode([5, 10**6])", "convert_ids_to_tokens(10**6)",
                                  "convert_ids_to_tokens([5, 10**6])"])
def test_ids_past_the_vocabulary_give_what_the_reference_gives(tok, reference, call):
    assert eval(f"tok.{call}") == eval(f"reference.{call}")


@pytest.mark.parametrize("args, kwargs, where", [
    (("hello \ud800 world",), {}, r"`text` holds the lone surrogate U\+D800 at character 6"),
    ((["hello", "a\udc80"],), {}, r"`text\[1\]` holds the lone surrogate U\+DC80"),
    (("hello", "x\udfff"), {}, "`text_pair` holds"),
    (([["hello", "\ud800"]],), {"is_split_into_words": True}, "word 1 of `text`"),
])
def test_a_lone_surrogate_is_refused_as_the_reference_refuses_it(tok, reference, args, kwargs, where):
    with pytest.raises(Exception) as expected:
        reference(*args, **kwargs)
    with pytest.raises(expected.type, match=where + ".*errors='replace'"):
        tok(*args, **kwargs)
    with pytest.raises(ValueError):
        tok(*args, **kwargs)


@pytest.mark.parametrize("key, value", [("tokenizer_class", 5), ("tokenizer_class", ["BertTokenizer"])])
def test_a_class_name_that_is_not_a_string(tmp_path, key, value):
    (tmp_path / "vocab.txt").write_text("\n".join(VOCAB), encoding="utf-8")
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({key: value}), encoding="utf-8")
    with pytest.raises(ValueError, match=rf"tokenizer_config.json'?: {key} must be a name .*found"):
        leanformers.AutoTokenizer.from_pretrained(tmp_path)


def test_a_model_type_that_is_not_a_string(tmp_path):
    (tmp_path / "vocab.txt").write_text("\n".join(VOCAB), encoding="utf-8")
    (tmp_path / "config.json").write_text(json.dumps({"model_type": {"bert": 1}}), encoding="utf-8")
    with pytest.raises(ValueError, match=r"config.json'?: model_type must be a name .*found dict"):
        leanformers.AutoTokenizer.from_pretrained(tmp_path)


def test_a_template_naming_an_undefined_special_token(tmp_path):
    # written by the reference, then edited by hand: the template keeps [CLS] but special_tokens loses it
    tokenizers = pytest.importorskip("tokenizers")
    made = tokenizers.Tokenizer(tokenizers.models.WordPiece({t: i for i, t in enumerate(VOCAB)}, unk_token="[UNK]"))
    made.post_processor = tokenizers.processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    data = json.loads(made.to_str())
    del data["post_processor"]["special_tokens"]["[CLS]"]
    path = tmp_path / "tokenizer.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    reference = tokenizers.Tokenizer.from_file(str(path))
    with pytest.raises(BaseException):  # the reference loads the file, then panics in its Rust core on encode
        reference.encode("hello")
    with pytest.raises(ValueError, match=r"tokenizer.json.*TemplateProcessing.*'\[CLS\]'.*missing from its "
                                         r"special_tokens; add it"):  # we refuse it on load, naming the token
        build_tokenizer(data, str(path))
