"""Checks shared by the tokenizer-family tests: a leanformers tokenizer against the reference's, call by call.

Every expected value comes from the reference tokenizer given; nothing is written down here.

    from support.family_oracle import load_pair, check_ids, ...
    ours, ref = load_pair(folder)       # AutoTokenizer.from_pretrained(folder) in both libraries
"""

import pytest

from .paths import SHARED_DATA

TOKENIZERS = SHARED_DATA / "tokenizers"


def folder_or_skip(name):
    folder = TOKENIZERS / name
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent (the shared tokenizer folders are not on this machine)")
    return folder


def needs_stages(*names):
    """Skip when a tokenizer.json stage the folder uses is not registered yet in leanformers."""
    from leanformers.tokenization import tokenizer_json

    known = {name for kind in tokenizer_json.REGISTRY.values() for name in kind}
    missing = [n for n in names if n not in known]
    if missing:
        pytest.skip(f"leanformers has no {missing} stage registered in tokenizer_json yet")


def load_pair(folder, **kwargs):
    import transformers

    import leanformers

    return leanformers.AutoTokenizer.from_pretrained(folder, **kwargs), \
        transformers.AutoTokenizer.from_pretrained(folder, **kwargs)


def mismatches(ours, ref, name=""):
    bad = [i for i, (a, b) in enumerate(zip(ours, ref)) if a != b]
    assert len(ours) == len(ref), f"{name}: {len(ours)} rows, reference {len(ref)}"
    return bad


def assert_same_rows(ours, ref, texts, name):
    bad = mismatches(ours, ref, name)
    if bad:
        i = bad[0]
        raise AssertionError(f"{name}: {len(bad)} of {len(texts)} differ; first {texts[i]!r}:\n"
                             f"ours {ours[i]}\nref  {ref[i]}")


def check_ids(ours, ref, texts):
    a, b = ours(texts), ref(texts)
    assert_same_rows(a["input_ids"], b["input_ids"], texts, "input_ids")
    assert_same_rows(a["attention_mask"], b["attention_mask"], texts, "attention_mask")
    assert sorted(a.keys()) == sorted(b.keys())


def check_details(ours, ref, texts):
    """tokens, offsets, word ids, special tokens mask of each text."""
    kw = dict(return_offsets_mapping=True, return_special_tokens_mask=True)
    a, b = ours(texts, **kw), ref(texts, **kw)
    for key in ("input_ids", "offset_mapping", "special_tokens_mask"):
        assert_same_rows([list(map(tuple, r)) if key == "offset_mapping" else r for r in a[key]],
                         [list(map(tuple, r)) if key == "offset_mapping" else r for r in b[key]], texts, key)
    assert_same_rows([a.tokens(i) for i in range(len(texts))], [b.tokens(i) for i in range(len(texts))],
                     texts, "tokens")
    assert_same_rows([a.word_ids(i) for i in range(len(texts))], [b.word_ids(i) for i in range(len(texts))],
                     texts, "word_ids")


def check_decode(ours, ref, texts):
    ids = ref(texts)["input_ids"]
    for skip in (False, True):
        assert_same_rows(ours.batch_decode(ids, skip_special_tokens=skip),
                         ref.batch_decode(ids, skip_special_tokens=skip), texts, f"decode(skip={skip})")
    assert_same_rows(ours.convert_ids_to_tokens(ids[0]), ref.convert_ids_to_tokens(ids[0]), texts[:1],
                     "convert_ids_to_tokens")


def check_pairs(ours, ref, pairs):
    firsts, seconds = [p[0] for p in pairs], [p[1] for p in pairs]
    a, b = ours(firsts, seconds), ref(firsts, seconds)
    for key in b.keys():
        assert_same_rows(a[key], b[key], pairs, f"pairs {key}")


def check_truncation_padding(ours, ref, texts, pairs):
    firsts, seconds = [p[0] for p in pairs], [p[1] for p in pairs]
    for side in ("right", "left"):
        ours.truncation_side = ref.truncation_side = side
        ours.padding_side = ref.padding_side = side
        try:
            for kw in (dict(truncation=True, max_length=12), dict(truncation=True, max_length=7, padding="max_length"),
                       dict(padding=True), dict(padding="longest", pad_to_multiple_of=8)):
                if "padding" in kw and ref.pad_token is None:
                    if ref.eos_token is None:
                        continue  # nothing to pad with (GPT-NeoX's file names no special token)
                    ours.pad_token = ref.pad_token = ref.eos_token
                a, b = ours(texts, **kw), ref(texts, **kw)
                for key in b.keys():
                    assert_same_rows(a[key], b[key], texts, f"{side} {kw} {key}")
                a, b = ours(firsts, seconds, **kw), ref(firsts, seconds, **kw)
                for key in b.keys():
                    assert_same_rows(a[key], b[key], pairs, f"pairs {side} {kw} {key}")
        finally:
            ours.truncation_side = ref.truncation_side = "right"


def check_split_into_words(ours, ref, texts):
    words = [t.split() or ["x"] for t in texts]
    a, b = ours(words, is_split_into_words=True), ref(words, is_split_into_words=True)
    assert_same_rows(a["input_ids"], b["input_ids"], words, "is_split_into_words input_ids")
    assert_same_rows([a.word_ids(i) for i in range(len(words))], [b.word_ids(i) for i in range(len(words))],
                     words, "is_split_into_words word_ids")


def check_one(ours, ref, text):
    """Everything of one text (the hypothesis property)."""
    kw = dict(return_offsets_mapping=True, return_special_tokens_mask=True)
    a, b = ours(text, **kw), ref(text, **kw)
    assert a["input_ids"] == b["input_ids"], text
    assert [tuple(o) for o in a["offset_mapping"]] == [tuple(o) for o in b["offset_mapping"]], text
    assert a["special_tokens_mask"] == b["special_tokens_mask"], text
    assert a.tokens() == b.tokens(), text
    assert a.word_ids() == b.word_ids(), text
    for skip in (False, True):
        assert ours.decode(b["input_ids"], skip_special_tokens=skip) == \
            ref.decode(b["input_ids"], skip_special_tokens=skip), text


def check_settings(ours, ref):
    """Class, sides, limits, special tokens, vocabulary sizes."""
    assert type(ours).__name__ == type(ref).__name__
    for name in ("padding_side", "truncation_side", "model_max_length", "clean_up_tokenization_spaces",
                 "bos_token", "eos_token", "unk_token", "pad_token", "bos_token_id", "eos_token_id",
                 "all_special_tokens", "all_special_ids", "vocab_size", "model_input_names"):
        assert getattr(ours, name) == getattr(ref, name), name
    assert len(ours) == len(ref)
    assert ours.get_added_vocab() == ref.get_added_vocab()
    for name in ("add_bos_token", "add_eos_token"):
        assert getattr(ours, name, False) == getattr(ref, name, False), name


def check_save_round_trip(ours, ref, tmp_path, texts):
    """Both libraries save; each folder loads in both libraries and tokenizes as the reference."""
    import json

    import transformers

    import leanformers

    ours.save_pretrained(tmp_path / "ours")
    ref.save_pretrained(tmp_path / "ref")
    assert sorted(p.name for p in (tmp_path / "ours").iterdir()) == sorted(p.name for p in (tmp_path / "ref").iterdir())
    config_ours = json.loads((tmp_path / "ours" / "tokenizer_config.json").read_text())
    config_ref = json.loads((tmp_path / "ref" / "tokenizer_config.json").read_text())
    assert config_ours.get("tokenizer_class") == config_ref.get("tokenizer_class")
    # what the reference makes of its own saved folder: not always what it did before saving (Llama-2 from
    # tokenizer.model saves no `legacy`, and reloads with prepend_scheme "first": no "▁" after an added "<s>")
    expected = transformers.AutoTokenizer.from_pretrained(tmp_path / "ref")(texts)["input_ids"]
    for folder in ("ours", "ref"):
        for lib in (leanformers, transformers):
            again = lib.AutoTokenizer.from_pretrained(tmp_path / folder)
            assert type(again).__name__ == type(ref).__name__, (folder, lib.__name__)
            assert again(texts)["input_ids"] == expected, (folder, lib.__name__)


def assigned_text(max_size=40):
    """Hypothesis texts of code points assigned in this Python's Unicode tables. A code point assigned in a
    later Unicode version than these is a letter for the `regex` module (newer tables) and not for the
    reference's Oniguruma, so Split patterns with \\p{L} cut it differently (word ids only): left out, and
    reported as a known difference of the Split stage."""
    import unicodedata

    from hypothesis import strategies as st

    return st.text(st.characters(blacklist_categories=("Cs",)).filter(lambda c: unicodedata.category(c) != "Cn"),
                   max_size=max_size)


def standard_tests(hypothesis_examples=2000):
    """The behaviour tests of one family, for a test module that defines the module fixtures `pair`
    (ours, reference) and `texts` (the corpus): `globals().update(standard_tests())`."""
    from hypothesis import HealthCheck, given, settings

    from .corpus import EMOJI, SCRIPTS, sentence_pairs

    def test_class_and_settings_are_the_reference_ones(pair):
        check_settings(*pair)

    def test_input_ids_and_attention_mask_of_the_corpus(pair, texts):
        check_ids(*pair, texts)

    def test_tokens_offsets_word_ids_special_mask(pair, texts):
        check_details(*pair, texts[:3000])

    def test_decode_with_and_without_special_tokens(pair, texts):
        check_decode(*pair, texts[:3000])

    def test_sentence_pairs(pair):
        check_pairs(*pair, sentence_pairs(1000))

    def test_multilingual_and_emoji(pair):
        samples = list(SCRIPTS) + list(EMOJI) + [" ".join(SCRIPTS), "".join(EMOJI), "  ".join(SCRIPTS + EMOJI)]
        check_details(*pair, samples)
        check_decode(*pair, samples)

    def test_truncation_and_padding_both_sides(pair, texts):
        check_truncation_padding(*pair, texts[:300], sentence_pairs(300))

    def test_is_split_into_words(pair, texts):
        check_split_into_words(*pair, texts[:1000])

    def test_save_pretrained_round_trips_in_both_libraries(pair, tmp_path, texts):
        check_save_round_trip(*pair, tmp_path, texts[:200])

    @settings(max_examples=hypothesis_examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(text=assigned_text())
    def test_arbitrary_unicode(text, pair):
        check_one(*pair, text)

    return {name: f for name, f in locals().items() if name.startswith("test_")}
