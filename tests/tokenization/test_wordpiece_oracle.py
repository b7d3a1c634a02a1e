"""BertTokenizer against transformers' BertTokenizer on the same files: every output
field, for every option of the call API, on the 20,000-sentence corpus (tests/corpus.py)
and on hypothesis-generated unicode text. Three vocabularies: bert-base-uncased,
bert-base-cased (from ../shared/data) and a small one trained with `tokenizers`."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.corpus import sentence_pairs, sentences
from support.wordpiece_cases import HAVE_DATA, assert_same_call, build_folders, load_pair

VOCAB_NAMES = ["small"] + (["uncased", "cased"] if HAVE_DATA else [])
CORPUS = sentences(20_000)
PAIRS = sentence_pairs(2_000)
FIRST, SECOND = [a for a, _ in PAIRS], [b for _, b in PAIRS]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return build_folders(tmp_path_factory.mktemp("wordpiece"))


@pytest.fixture(scope="module")
def tokenizers(folders):
    return {name: load_pair(folder) for name, folder in folders.items()}


@pytest.fixture(params=VOCAB_NAMES)
def pair(request, tokenizers):
    if request.param not in tokenizers:
        pytest.skip("the real vocabularies are not in ../shared/data")
    return tokenizers[request.param]


def test_corpus_every_field(pair):
    """The whole corpus, with offsets, special-token mask and lengths."""
    assert_same_call(*pair, CORPUS, return_offsets_mapping=True, return_special_tokens_mask=True,
                     return_length=True)


def test_corpus_plain_batch(pair):
    """The whole corpus through the path without offsets (a separate code path)."""
    ref, ours = pair
    expected, got = ref(CORPUS), ours(CORPUS)
    assert got == expected
    assert all(got.tokens(i) == expected.tokens(i) for i in range(0, len(CORPUS), 7))


def test_corpus_one_at_a_time(pair):
    for text in CORPUS[:400]:
        assert_same_call(*pair, text, return_offsets_mapping=True, return_special_tokens_mask=True)
    for text in CORPUS[400:1000]:
        assert_same_call(*pair, text)


CALL_OPTIONS = [
    dict(padding=True, return_tensors="pt"),
    dict(padding=True, truncation=True, max_length=128, return_tensors="pt"),
    dict(padding="longest", return_tensors="np", return_special_tokens_mask=True),
    dict(padding="max_length", truncation=True, max_length=64, pad_to_multiple_of=16, padding_side="left",
         return_offsets_mapping=True, return_special_tokens_mask=True),
    dict(padding=True, pad_to_multiple_of=8, return_length=True),
    dict(truncation=True, max_length=24, stride=6, return_overflowing_tokens=True, return_offsets_mapping=True,
         return_special_tokens_mask=True, padding=True),
    dict(truncation="longest_first", max_length=10, return_overflowing_tokens=True),
    dict(truncation="only_first", max_length=40, stride=2, return_overflowing_tokens=True, return_length=True),
    dict(max_length=16),  # max_length alone turns truncation on
    dict(truncation=True),  # model_max_length (512) is used
    dict(padding="max_length"),  # pads to model_max_length
    dict(add_special_tokens=False, return_special_tokens_mask=True, return_offsets_mapping=True),
    dict(return_token_type_ids=False, return_attention_mask=False),
    dict(return_token_type_ids=True, return_attention_mask=True, padding="do_not_pad", truncation=False),
    dict(padding=True, max_length=12),  # max_length ignored without truncation (warning)
]


@pytest.mark.parametrize("options", CALL_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_batch_options(pair, options):
    n = 200 if pair[1].vocab_size < 1000 else 600  # the small vocabulary makes many more tokens
    assert_same_call(*pair, CORPUS[:n], **options)


PAIR_OPTIONS = [
    dict(return_offsets_mapping=True, return_special_tokens_mask=True, return_length=True),
    dict(padding=True, truncation=True, max_length=48, return_tensors="pt"),
    dict(truncation="longest_first", max_length=20, stride=4, return_overflowing_tokens=True,
         return_offsets_mapping=True, return_special_tokens_mask=True, padding=True),
    dict(truncation="only_first", max_length=200, return_overflowing_tokens=True, stride=10),
    dict(truncation="only_second", max_length=300, return_overflowing_tokens=True, padding="max_length"),
    dict(add_special_tokens=False, return_special_tokens_mask=True),
    dict(padding="max_length", max_length=80, truncation=True, padding_side="left", pad_to_multiple_of=16),
]


@pytest.mark.parametrize("options", PAIR_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_pair_options(pair, options):
    # overflowing windows of pairs multiply (every window of one with every window of
    # the other), so those cases take fewer pairs
    n = 150 if options.get("return_overflowing_tokens") else 1000
    if pair[1].vocab_size < 1000:  # the small vocabulary makes many more tokens
        n //= 3
    assert_same_call(*pair, FIRST[:n], SECOND[:n], **options)


def test_single_pairs(pair):
    for a, b in PAIRS[:150]:
        assert_same_call(*pair, a, b, return_offsets_mapping=True, truncation=True, max_length=30, stride=3,
                         return_overflowing_tokens=True)
    assert_same_call(*pair, "a text", "")  # an empty pair counts as no pair


def test_only_second_too_short_raises_like_the_reference(pair):
    assert_same_call(*pair, ["a long first sentence " * 20], ["short"], truncation="only_second", max_length=12)


def test_truncation_side_left(pair):
    ref, ours = pair
    ref.truncation_side = ours.truncation_side = "left"
    try:
        assert_same_call(ref, ours, CORPUS[:300], truncation=True, max_length=20, stride=5,
                         return_overflowing_tokens=True, return_offsets_mapping=True)
        assert_same_call(ref, ours, FIRST[:300], SECOND[:300], truncation=True, max_length=20)
    finally:
        ref.truncation_side = ours.truncation_side = "right"


def test_split_into_words(pair):
    words = [text.split() for text in CORPUS[:1000 if pair[1].vocab_size > 1000 else 400]]
    assert_same_call(*pair, words, is_split_into_words=True, return_offsets_mapping=True,
                     return_special_tokens_mask=True)
    assert_same_call(*pair, words[:300], words[300:600], is_split_into_words=True, padding=True,
                     truncation=True, max_length=32, return_overflowing_tokens=True, stride=4)
    for w in words[:200]:
        assert_same_call(*pair, w, is_split_into_words=True, return_offsets_mapping=True)


def test_decode(pair):
    ref, ours = pair
    ids = ref(CORPUS[:2000])["input_ids"]
    for skip in (False, True):
        for cleanup in (None, False, True):
            assert ours.batch_decode(ids, skip_special_tokens=skip, clean_up_tokenization_spaces=cleanup) == \
                ref.batch_decode(ids, skip_special_tokens=skip, clean_up_tokenization_spaces=cleanup)
    for row in ids[:300]:
        assert ours.decode(row) == ref.decode(row)
        assert ours.convert_ids_to_tokens(row) == ref.convert_ids_to_tokens(row)
        assert ours.convert_ids_to_tokens(row, skip_special_tokens=True) == \
            ref.convert_ids_to_tokens(row, skip_special_tokens=True)


def test_tokenize_and_convert(pair):
    ref, ours = pair
    for text in CORPUS[:1000]:
        tokens = ref.tokenize(text)
        assert ours.tokenize(text) == tokens
        assert ours.convert_tokens_to_ids(tokens) == ref.convert_tokens_to_ids(tokens)
        assert ours.encode(text) == ref.encode(text)
    assert ours.tokenize(FIRST[0], SECOND[0], add_special_tokens=True) == \
        ref.tokenize(FIRST[0], SECOND[0], add_special_tokens=True)
    assert ours.convert_tokens_to_ids("not-a-token-here") == ref.convert_tokens_to_ids("not-a-token-here")


def test_vocabulary_attributes(pair):
    ref, ours = pair
    assert ours.vocab_size == ref.vocab_size
    assert len(ours) == len(ref)
    assert ours.get_vocab() == ref.get_vocab()
    assert ours.all_special_tokens == ref.all_special_tokens
    assert ours.all_special_ids == ref.all_special_ids
    assert ours.special_tokens_map == ref.special_tokens_map
    for name in ("unk", "sep", "pad", "cls", "mask", "bos", "eos"):
        assert getattr(ours, f"{name}_token") == getattr(ref, f"{name}_token")
        assert getattr(ours, f"{name}_token_id") == getattr(ref, f"{name}_token_id")
    assert ours.model_max_length == ref.model_max_length
    assert ours.num_special_tokens_to_add(pair=True) == ref.num_special_tokens_to_add(pair=True)
    assert ours.max_len_single_sentence == ref.max_len_single_sentence


def test_added_tokens(folders):
    name = "uncased" if "uncased" in folders else "small"
    ref, ours = load_pair(folders[name])
    additions = [lambda t: t.add_tokens(["HeLLo", "new_tok", "[MASK]"]), lambda t: t.add_tokens(["HeLLo", "world"]),
                 lambda t: t.add_tokens(["<special>"], special_tokens=True),
                 lambda t: t.add_tokens(["[SEP]", "<special>"], special_tokens=True),
                 lambda t: t.add_special_tokens({"additional_special_tokens": ["<extra>"]}),
                 lambda t: t.add_special_tokens({"additional_special_tokens": ["<extra>"]})]
    for add in additions:
        assert add(ours) == add(ref)
    texts = ["hello HeLLo xnew_tokx <special>foo <extra> [MASK] [mask]", "NEW_TOK new_tok", "<SPECIAL> <special>"]
    assert_same_call(ref, ours, texts + CORPUS[:500], return_offsets_mapping=True, return_special_tokens_mask=True)
    assert len(ours) == len(ref)
    assert ours.get_vocab() == ref.get_vocab()
    ids = ref(texts)["input_ids"]
    assert ours.batch_decode(ids) == ref.batch_decode(ids)
    assert ours.batch_decode(ids, skip_special_tokens=True) == ref.batch_decode(ids, skip_special_tokens=True)
    assert ours.convert_ids_to_tokens(list(range(len(ref) - 8, len(ref)))) == \
        ref.convert_ids_to_tokens(list(range(len(ref) - 8, len(ref))))
    assert ours.all_special_tokens == ref.all_special_tokens


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
MIXED = st.lists(st.one_of(TEXT, st.sampled_from(["[CLS]", "[SEP]", "[MASK]", " ", "##", "café", "日本", "🤗"])),
                 max_size=6).map("".join)


@settings(max_examples=1200, deadline=None, suppress_health_check=list(HealthCheck))
@given(MIXED)
def test_hypothesis_single(tokenizers, text):
    for name in ("uncased", "cased") if HAVE_DATA else ("small",):
        assert_same_call(*tokenizers[name], text, return_offsets_mapping=True, return_special_tokens_mask=True)


@settings(max_examples=800, deadline=None, suppress_health_check=list(HealthCheck))
@given(MIXED, MIXED, st.integers(3, 20), st.integers(0, 2))
def test_hypothesis_pairs_truncated(tokenizers, first, second, max_length, stride):
    name = "uncased" if HAVE_DATA else "small"
    assert_same_call(*tokenizers[name], [first], [second], truncation=True, max_length=max_length, stride=stride,
                     return_overflowing_tokens=True, return_offsets_mapping=True, padding=True)
    ref, ours = tokenizers[name]
    ids = ref(first, second)["input_ids"]
    assert ours.decode(ids) == ref.decode(ids)


def test_core_tokenizer_encode(pair):
    """The stage chain used directly (core.Tokenizer.encode) gives the call's ids."""
    ref, ours = pair
    core = ours.backend_tokenizer
    for a, b in PAIRS[:100]:
        e = core.encode(a, b, with_offsets=True,
                        truncation={"max_length": 40, "strategy": "longest_first", "stride": 0, "direction": "right"})
        expected = ref(a, b, truncation=True, max_length=40, return_offsets_mapping=True)
        assert e.ids == expected["input_ids"]
        assert e.offsets == expected["offset_mapping"]
        assert e.tokens == expected.tokens()
