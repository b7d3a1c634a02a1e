"""T5Tokenizer / MT5Tokenizer against transformers 5 on the same files: a small Unigram model
trained here with sentencepiece (loaded from its .model file and from the reference's saved
tokenizer.json) and google-t5-small's tokenizer.json on the whole corpus. Every output field,
decoding, truncation and padding on both sides, pre-split words and hypothesis text are compared;
the expected values are always the reference's.

The helpers here (train, load_both, check_*) serve the other SentencePiece family tests too."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.corpus import EMOJI, SCRIPTS, sentence_pairs, sentences
from support.paths import SHARED_DATA

transformers = pytest.importorskip("transformers")
spm = pytest.importorskip("sentencepiece")

import leanformers  # noqa: E402

CORPUS = sentences(3_000)
PAIRS = sentence_pairs(300)
MULTILINGUAL = [f"{a} {b} {e}" for a, b, e in zip(SCRIPTS, reversed(SCRIPTS), EMOJI * 2)] + list(SCRIPTS) + list(EMOJI)
FIELDS = dict(return_offsets_mapping=True, return_special_tokens_mask=True, return_token_type_ids=True,
              return_attention_mask=True)


def train(folder, filename, vocab_size=700, **options):
    """A small SentencePiece Unigram model trained on the corpus, written as folder/filename."""
    import io

    text = CORPUS[:2500] + [" ".join(SCRIPTS)] * 5 + [" ".join(EMOJI)] * 5
    out = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(text), model_writer=out, model_type="unigram",
                                   vocab_size=vocab_size, character_coverage=1.0, hard_vocab_limit=False,
                                   minloglevel=2, num_threads=4, **options)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / filename).write_bytes(out.getvalue())
    return folder


def load_both(class_name, folder, tmp_path_factory, **options):
    """{source: (ours, reference)}: from the .model folder, and from the folder the reference
    saves (tokenizer.json), each library loading the same folder."""
    reference = getattr(transformers, class_name).from_pretrained(str(folder), **options)
    saved = tmp_path_factory.mktemp(f"{class_name}-saved")
    reference.save_pretrained(str(saved))
    ours = getattr(leanformers, class_name).from_pretrained(str(folder), **options)
    ours_json = getattr(leanformers, class_name).from_pretrained(str(saved), **options)
    reference_json = getattr(transformers, class_name).from_pretrained(str(saved), **options)
    return {"model": (ours, reference), "json": (ours_json, reference_json), "saved": saved}


def _plain(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def assert_same(ours, reference, *args, **kwargs):
    """One call on both: same keys and values, and per row the same tokens, word ids and sequence ids."""
    try:
        expected = reference(*args, **kwargs)
    except Exception as error:  # the reference refuses (its Rust core raises a bare Exception): so must we
        with pytest.raises(type(error) if isinstance(error, (ValueError, TypeError)) else ValueError):
            ours(*args, **kwargs)
        return None
    got = ours(*args, **kwargs)
    context = f"args={str(args)[:300]!r} kwargs={kwargs!r}"
    assert list(got.keys()) == list(expected.keys()), context
    for key in expected:
        assert _plain(got[key]) == _plain(expected[key]), (key, context)
    for i in range(len(expected.encodings or [])):
        assert got.tokens(i) == expected.tokens(i), (i, context)
        assert got.word_ids(i) == expected.word_ids(i), (i, context)
        assert got.sequence_ids(i) == expected.sequence_ids(i), (i, context)
    return expected


def check_texts(ours, reference, texts):
    """Every field of a batch, one by one when the batch differs (to name the text), then decode."""
    expected = reference(texts, **FIELDS)
    got = ours(texts, **FIELDS)
    for i, text in enumerate(texts):
        for key in expected:
            assert got[key][i] == expected[key][i], (key, text)
        assert got.tokens(i) == expected.tokens(i), text
        assert got.word_ids(i) == expected.word_ids(i), text
    for skip in (False, True):
        assert ours.batch_decode(expected["input_ids"], skip_special_tokens=skip) == \
            reference.batch_decode(expected["input_ids"], skip_special_tokens=skip)


def check_pairs(ours, reference, pairs):
    firsts, seconds = [a for a, _ in pairs], [b for _, b in pairs]
    assert_same(ours, reference, firsts, seconds, **FIELDS)


def check_options(ours, reference, texts, pairs):
    """Truncation (both sides, both strategies, stride), padding (both sides, pad_to_multiple_of)."""
    firsts, seconds = [a for a, _ in pairs], [b for _, b in pairs]
    for side in ("right", "left"):
        for tokenizer in (ours, reference):
            tokenizer.truncation_side = side
        try:
            for max_length in (5, 12, 40):
                assert_same(ours, reference, texts, truncation=True, max_length=max_length, **FIELDS)
                assert_same(ours, reference, firsts, seconds, truncation="longest_first", max_length=max_length,
                            **FIELDS)
                assert_same(ours, reference, firsts, seconds, truncation="only_second", max_length=max_length + 20,
                            **FIELDS)
            assert_same(ours, reference, texts[:20], truncation=True, max_length=10, stride=3,
                        return_overflowing_tokens=True, **FIELDS)
        finally:
            for tokenizer in (ours, reference):
                tokenizer.truncation_side = "right"
    for padding_side in ("right", "left"):
        assert_same(ours, reference, texts, padding=True, padding_side=padding_side, **FIELDS)
        assert_same(ours, reference, firsts, seconds, padding="max_length", max_length=60, truncation=True,
                    padding_side=padding_side, **FIELDS)
        assert_same(ours, reference, texts[:30], padding=True, pad_to_multiple_of=8, padding_side=padding_side,
                    return_tensors="np", **FIELDS)
    assert_same(ours, reference, texts[0], **FIELDS)
    assert_same(ours, reference, texts[0], add_special_tokens=False, **FIELDS)


def check_split_words(ours, reference, texts):
    words = [t.split() for t in texts if t.split()]
    assert_same(ours, reference, words, is_split_into_words=True, **FIELDS)
    assert_same(ours, reference, words[:50], words[50:100], is_split_into_words=True, **FIELDS)


def check_saved_files(ours, reference, tmp_path, reload=True):
    """save_pretrained writes the reference's files (tokenizer.json, tokenizer_config.json) with the reference's tokenizer.json (the same JSON
    object) and tokenizer_config.json settings, and the folder loads back to the same tokenizer in
    both libraries. The reference is reloaded first: its backend keeps the padding and truncation of
    its last call and would write them into tokenizer.json (`reload=False` for one that never padded
    nor truncated, with tokens added since it was loaded)."""
    if reload:
        reference = type(reference).from_pretrained(reference.name_or_path)
    ours_dir, reference_dir = tmp_path / "ours", tmp_path / "reference"
    ours.save_pretrained(str(ours_dir))
    reference.save_pretrained(str(reference_dir))
    assert {p.name for p in ours_dir.iterdir()} == {p.name for p in reference_dir.iterdir()}
    ours_data = json.loads((ours_dir / "tokenizer.json").read_text(encoding="utf-8"))
    reference_data = json.loads((reference_dir / "tokenizer.json").read_text(encoding="utf-8"))
    for key in reference_data:
        assert ours_data.get(key) == reference_data[key], key
    ours_config = json.loads((ours_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    reference_config = json.loads((reference_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    for key, value in reference_config.items():
        if key not in ("backend", "is_local", "local_files_only"):  # where the reference loaded from
            assert ours_config.get(key) == value, key
    again = type(ours).from_pretrained(str(ours_dir))
    texts = CORPUS[:300]
    assert again(texts, **FIELDS)["input_ids"] == reference(texts, **FIELDS)["input_ids"]
    check_attributes(again, reference)
    # and the reference reads our folder as its own
    theirs = type(reference).from_pretrained(str(ours_dir))
    assert theirs(texts)["input_ids"] == reference(texts)["input_ids"]
    check_attributes(theirs, reference)


def check_attributes(ours, reference):
    assert ours.special_tokens_map == reference.special_tokens_map
    assert ours.all_special_tokens == reference.all_special_tokens
    assert ours.all_special_ids == reference.all_special_ids
    assert len(ours) == len(reference)
    assert ours.vocab_size == reference.vocab_size
    assert ours.get_vocab() == reference.get_vocab()
    assert ours.padding_side == reference.padding_side
    assert ours.pad_token_type_id == reference.pad_token_type_id
    assert ours.model_input_names == reference.model_input_names
    assert ours.num_special_tokens_to_add(False) == reference.num_special_tokens_to_add(False)
    assert ours.num_special_tokens_to_add(True) == reference.num_special_tokens_to_add(True)


def unicode_text():
    return st.text(st.characters(codec="utf-8"), max_size=40) | st.lists(
        st.sampled_from(["▁", " ", "  ", "\n", "a", "A", "é", "e\u0301", "ß", "ﬁ", "日本", "🤗", "``", "''", "\u3000",
                         "</s>", "<s>", "<unk>", "[CLS]", "<extra_id_0>", "\x00", "\ufeff", "Ⅻ", "½", ",", "."]),
        max_size=12).map("".join)


def hypothesis_check(ours, reference, text):
    expected = reference(text, **FIELDS)
    got = ours(text, **FIELDS)
    assert dict(got) == dict(expected), repr(text)
    assert got.tokens() == expected.tokens(), repr(text)
    assert got.word_ids() == expected.word_ids(), repr(text)
    for skip in (False, True):
        assert ours.decode(expected["input_ids"], skip_special_tokens=skip) == \
            reference.decode(expected["input_ids"], skip_special_tokens=skip), repr(text)


def family_tests(class_name, filename, spm_options, init_options=None):
    """The module-level test functions of one family, for `globals().update(...)`."""
    init_options = init_options or {}

    @pytest.fixture(scope="module")
    def loaded(tmp_path_factory):
        folder = train(tmp_path_factory.mktemp(class_name), filename, **spm_options)
        return load_both(class_name, folder, tmp_path_factory, **init_options)

    @pytest.fixture(scope="module", params=["model", "json"])
    def pair(request, loaded):
        return loaded[request.param]

    def test_attributes_match_the_reference(pair):
        check_attributes(*pair)

    def test_corpus_fields_and_decode_match_the_reference(pair):
        check_texts(*pair, CORPUS)

    def test_multilingual_text_matches_the_reference(pair):
        check_texts(*pair, MULTILINGUAL)

    def test_sentence_pairs_match_the_reference(pair):
        check_pairs(*pair, PAIRS)

    def test_truncation_and_padding_match_the_reference(pair):
        check_options(*pair, CORPUS[:60], PAIRS[:40])

    def test_split_into_words_matches_the_reference(pair):
        check_split_words(*pair, CORPUS[:150])

    def test_saved_files_match_the_reference_and_load_back(loaded, tmp_path):
        check_saved_files(*loaded["model"], tmp_path)

    def test_added_tokens_match_the_reference_and_are_saved(loaded, tmp_path):
        ours, reference = (type(t).from_pretrained(str(loaded["saved"]), **init_options) for t in loaded["json"])
        for tokenizer in (ours, reference):
            tokenizer.add_tokens(["hello world", "zzq"])
            tokenizer.add_special_tokens({"additional_special_tokens": ["<new_special>"]})
        texts = [t + " zzq<new_special> hello world" for t in CORPUS[:100]]
        check_texts(ours, reference, texts)
        check_saved_files(ours, reference, tmp_path, reload=False)

    def test_auto_tokenizer_picks_the_references_class(loaded):
        ours = leanformers.AutoTokenizer.from_pretrained(str(loaded["saved"]), **init_options)
        reference = transformers.AutoTokenizer.from_pretrained(str(loaded["saved"]), **init_options)
        assert type(ours).__name__ == type(reference).__name__ == class_name
        assert ours(CORPUS[:100])["input_ids"] == reference(CORPUS[:100])["input_ids"]

    @settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
    @given(text=unicode_text())
    def test_arbitrary_unicode_matches_the_reference(loaded, text):
        hypothesis_check(*loaded["model"], text)

    return {name: value for name, value in locals().items()
            if name.startswith("test_") or name in ("loaded", "pair")}


# T5 as google-t5 trains it: <pad>=0 </s>=1 <unk>=2, no <s>
globals().update(family_tests("T5Tokenizer", "spiece.model",
                              dict(pad_id=0, eos_id=1, unk_id=2, bos_id=-1)))


def test_mt5_is_t5_under_its_name(loaded):
    ours = leanformers.MT5Tokenizer.from_pretrained(str(loaded["saved"]))
    reference = loaded["json"][1]
    assert type(ours).__name__ == "MT5Tokenizer"
    assert ours(CORPUS[:200])["input_ids"] == reference(CORPUS[:200])["input_ids"]


def test_sentinels_are_the_references(loaded):
    # the reference's get_sentinel_tokens reads `additional_special_tokens`, gone in transformers 5 (it
    # raises AttributeError); its sentinels are the <extra_id_N> of extra_special_tokens
    ours, reference = loaded["model"]
    expected = sorted(t for t in map(str, reference.extra_special_tokens) if t.startswith("<extra_id_"))
    assert len(expected) == 100
    assert sorted(ours.get_sentinel_tokens()) == expected
    assert sorted(ours.get_sentinel_token_ids()) == sorted(reference.convert_tokens_to_ids(expected))


T5_SMALL = SHARED_DATA / "tokenizers" / "google-t5-small"


@pytest.fixture(scope="module")
def t5_small():
    if not (T5_SMALL / "tokenizer.json").is_file():
        pytest.skip(f"google-t5-small's tokenizer.json not found in {T5_SMALL} (see shared/data/README.md)")
    return leanformers.T5Tokenizer.from_pretrained(str(T5_SMALL)), transformers.T5Tokenizer.from_pretrained(
        str(T5_SMALL))


def test_t5_small_whole_corpus_matches_the_reference(t5_small):
    ours, reference = t5_small
    check_attributes(ours, reference)
    check_texts(ours, reference, sentences(20_000))
    check_pairs(ours, reference, PAIRS)
    check_options(ours, reference, CORPUS[:100], PAIRS[:50])


def test_t5_small_by_auto_tokenizer():
    if not (T5_SMALL / "tokenizer.json").is_file():
        pytest.skip(f"google-t5-small's tokenizer.json not found in {T5_SMALL} (see shared/data/README.md)")
    ours, reference = (lib.AutoTokenizer.from_pretrained(str(T5_SMALL)) for lib in (leanformers, transformers))
    assert type(ours).__name__ == type(reference).__name__
    assert ours(CORPUS[:100])["input_ids"] == reference(CORPUS[:100])["input_ids"]


def test_t5_small_saves_the_references_files(t5_small, tmp_path):
    check_saved_files(*t5_small, tmp_path)
