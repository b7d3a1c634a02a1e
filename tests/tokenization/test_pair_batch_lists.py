"""A batch of pairs written as [text, pair] lists or tuples, the form transformers' guides use
(`tokenizer([["a", "b"], ["c", "d"]])`), gives what the reference gives: ids, masks, tokens, word and
sequence ids, with every option a pair batch takes. Forms that the reference cannot read either fail clearly."""

import pytest

from support.family_oracle import folder_or_skip
from support.family_oracle import load_pair as load_family_pair
from support.wordpiece_cases import HAVE_DATA, NEEDS_DATA, VOCABS, assert_same_call, load_pair, make_folder

PAIRS = [["How old are you?", "I'm 6 years old"], ["What is a cat?", "A small animal that purrs."],
         ["Short", ""], ["Another question here, with more words than the others?", "No."]]

OPTIONS = [{}, {"padding": True}, {"padding": True, "return_tensors": "pt"},
           {"truncation": True, "max_length": 10, "padding": "max_length"},
           {"truncation": "only_second", "max_length": 14}, {"truncation": "only_first", "max_length": 16},
           {"return_offsets_mapping": True, "return_special_tokens_mask": True},
           {"truncation": True, "max_length": 12, "stride": 2, "return_overflowing_tokens": True},
           {"add_special_tokens": False}]


@pytest.fixture(scope="module")
def bert(tmp_path_factory):
    if not HAVE_DATA:
        pytest.skip(NEEDS_DATA.kwargs["reason"])
    folder = make_folder(tmp_path_factory.mktemp("pairs"), "bert-base-uncased",
                         vocab_file=VOCABS / "bert-base-uncased" / "vocab.txt", model_max_length=512)
    return load_pair(folder)


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()) or "plain")
@pytest.mark.parametrize("as_tuples", [False, True], ids=["lists", "tuples"])
def test_pair_batch_as_lists_matches_reference(bert, options, as_tuples):
    ref, ours = bert
    batch = [tuple(p) for p in PAIRS] if as_tuples else PAIRS
    assert_same_call(ref, ours, batch, **options)


def test_pair_batch_as_lists_equals_two_lists(bert):
    _, ours = bert
    firsts, seconds = [a for a, _ in PAIRS], [b for _, b in PAIRS]
    assert dict(ours(PAIRS, padding=True)) == dict(ours(firsts, seconds, padding=True))
    assert dict(ours.batch_encode_plus(PAIRS)) == dict(ours(firsts, seconds))


@pytest.mark.parametrize("name", ["google-t5-small", "meta-llama-Meta-Llama-3-8B-Instruct"])
def test_pair_batch_as_lists_matches_reference_in_other_families(name):
    ours, ref = load_family_pair(folder_or_skip(name))
    assert_same_call(ref, ours, PAIRS, padding=True, truncation=True, max_length=12)


def test_pair_batch_with_text_pair_too_is_refused(bert):
    ref, ours = bert
    with pytest.raises(TypeError):  # the reference fails too, inside its Rust encoder
        ref(PAIRS[:1], text_pair=["x"])
    with pytest.raises(ValueError, match="pass the pairs one way only"):
        ours(PAIRS[:1], text_pair=["x"])


@pytest.mark.parametrize("item", [["a", "b", "c"], ["a"], [], ["a", None]], ids=["three", "one", "empty", "none"])
def test_item_that_is_no_pair_is_refused(bert, item):
    ref, ours = bert
    with pytest.raises(TypeError):
        ref([item])
    with pytest.raises(TypeError, match=r"text\[0\].*a pair is \[text, text_pair\]"):
        ours([item])


def test_batch_mixing_texts_and_pairs_is_refused(bert):
    """The reference encodes such a batch (a documented difference: README); leanformers asks for two calls."""
    _, ours = bert
    with pytest.raises(ValueError, match=r"mixes texts \(text\[0\]\) and \[text, pair\] items"):
        ours(["a", ["b", "c"]])
