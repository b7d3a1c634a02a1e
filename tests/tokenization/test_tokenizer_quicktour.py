"""The tokenizer examples of the Transformers docs (preprocessing tutorial, glossary,
course), with the printed outputs, on the real bert-base vocabularies."""

import pytest

from support.wordpiece_cases import NEEDS_DATA, VOCABS, load_pair, make_folder

pytestmark = NEEDS_DATA

BATCH = ["But what about second breakfast?", "Don't think he knows about second breakfast, Pip.",
         "What about elevensies?"]


@pytest.fixture(scope="module")
def cased(tmp_path_factory):
    folder = make_folder(tmp_path_factory.mktemp("qt"), "bert-base-cased",
                         vocab_file=VOCABS / "bert-base-cased" / "vocab.txt", do_lower_case=False,
                         model_max_length=512)
    return load_pair(folder)


@pytest.fixture(scope="module")
def uncased(tmp_path_factory):
    folder = make_folder(tmp_path_factory.mktemp("qt"), "bert-base-uncased",
                         vocab_file=VOCABS / "bert-base-uncased" / "vocab.txt", model_max_length=512)
    return load_pair(folder)


def test_quicktour_sentence_uncased(uncased):
    _, tok = uncased
    encoding = tok("We are very happy to show you the 🤗 Transformers library.")
    assert encoding["input_ids"] == [101, 2057, 2024, 2200, 3407, 2000, 2265, 2017, 1996, 100, 19081, 3075, 1012, 102]
    assert encoding.attention_mask == [1] * 14
    # the preprocessing tutorial's first example prints uncased ids
    encoded = tok("Do not meddle in the affairs of wizards, for they are subtle and quick to anger.")
    assert encoded["input_ids"] == [101, 2079, 2025, 19960, 10362, 1999, 1996, 3821, 1997, 16657, 1010, 2005, 2027,
                                    2024, 11259, 1998, 4248, 2000, 4963, 1012, 102]
    assert encoded["token_type_ids"] == [0] * 21


def test_preprocessing_decode_cased(cased):
    _, tok = cased
    ids = tok("Do not meddle in the affairs of wizards, for they are subtle and quick to anger.")["input_ids"]
    assert tok.decode(ids) == "[CLS] Do not meddle in the affairs of wizards, for they are subtle and quick to anger. [SEP]"
    assert tok("Hello, I'm a single sentence!")["input_ids"] == [101, 8667, 117, 146, 112, 182, 170, 1423, 5650, 106, 102]


def test_preprocessing_batch_padding_truncation_pt(cased):
    _, tok = cased
    expected_ids = [[101, 1252, 1184, 1164, 1248, 6462, 136, 102],
                    [101, 1790, 112, 189, 1341, 1119, 3520, 1164, 1248, 6462, 117, 21902, 1643, 119, 102],
                    [101, 1327, 1164, 5450, 23434, 136, 102]]
    encoded = tok(BATCH)
    assert encoded["input_ids"] == expected_ids
    assert encoded["token_type_ids"] == [[0] * len(row) for row in expected_ids]
    assert encoded["attention_mask"] == [[1] * len(row) for row in expected_ids]
    padded_ids = [row + [0] * (15 - len(row)) for row in expected_ids]
    mask = [[1] * len(row) + [0] * (15 - len(row)) for row in expected_ids]
    for options in (dict(padding=True), dict(padding=True, truncation=True)):
        encoded = tok(BATCH, **options)
        assert encoded["input_ids"] == padded_ids
        assert encoded["attention_mask"] == mask
        assert encoded["token_type_ids"] == [[0] * 15] * 3
    import torch

    encoded = tok(BATCH, padding=True, truncation=True, return_tensors="pt")
    assert isinstance(encoded["input_ids"], torch.Tensor) and encoded["input_ids"].dtype == torch.int64
    assert encoded["input_ids"].tolist() == padded_ids
    assert encoded["attention_mask"].tolist() == mask
    assert encoded["token_type_ids"].tolist() == [[0] * 15] * 3
    assert encoded.to("cpu") is encoded and encoded.input_ids.device.type == "cpu"


def test_course_tokenize_convert_decode(cased):
    ref, tok = cased
    sequence = "Using a Transformer network is simple"
    assert tok(sequence)["input_ids"] == ref(sequence)["input_ids"]
    tokens = tok.tokenize(sequence)
    assert tokens == ref.tokenize(sequence)
    ids = tok.convert_tokens_to_ids(tokens)
    assert ids == ref.convert_tokens_to_ids(tokens)
    assert tok.decode(ids) == "Using a Transformer network is simple"


def test_glossary_pair_token_type_ids(cased):
    _, tok = cased
    a, b = "HuggingFace is based in NYC", "Where is HuggingFace based?"
    encoded = tok.encode(a, b)
    assert tok.decode(encoded) == "[CLS] HuggingFace is based in NYC [SEP] Where is HuggingFace based? [SEP]"
    encoded_dict = tok(a, b)
    assert encoded_dict["input_ids"] == [101, 20164, 10932, 2271, 7954, 1110, 1359, 1107, 17520, 102, 2777, 1110,
                                         20164, 10932, 2271, 7954, 1359, 136, 102]
    assert encoded_dict["token_type_ids"] == [0] * 10 + [1] * 9


def test_glossary_padding(cased):
    _, tok = cased
    a = "This is a short sequence."
    b = "This is a rather long sequence. It is at least longer than the sequence A."
    assert tok(a)["input_ids"] == [101, 1188, 1110, 170, 1603, 4954, 119, 102]
    assert tok(b)["input_ids"] == [101, 1188, 1110, 170, 1897, 1263, 4954, 119, 1135, 1110, 1120, 1655, 2039, 1190,
                                   1103, 4954, 138, 119, 102]
    padded = tok([a, b], padding=True)
    assert padded["input_ids"][0] == [101, 1188, 1110, 170, 1603, 4954, 119, 102] + [0] * 11
    assert padded["attention_mask"][0] == [1] * 8 + [0] * 11


def test_split_into_words_without_cleanup(cased):
    ref, tok = cased
    words = ["Hello", "I'm", "a", "single", "sentence", "!"]
    encoded = tok(words, is_split_into_words=True)
    expected = ref(words, is_split_into_words=True)
    assert encoded["input_ids"] == expected["input_ids"]
    assert encoded.word_ids() == expected.word_ids()
    text = tok.decode(encoded["input_ids"], clean_up_tokenization_spaces=False)
    assert text == ref.decode(expected["input_ids"], clean_up_tokenization_spaces=False)
    assert tok.decode(encoded["input_ids"], clean_up_tokenization_spaces=True) == \
        ref.decode(expected["input_ids"], clean_up_tokenization_spaces=True)
