"""The Precompiled normalizer against the `tokenizers` reference on real SentencePiece charsmaps
(t5-small's tokenizer.json, the SentencePiece test models, XLNet's spiece.model): normalized text
and the original offsets of every normalized character must match, on the corpus, many scripts
and arbitrary Unicode."""

import base64
import json
import pickle

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.corpus import ACCENTED, EMOJI, ODD, SCRIPTS, sentences
from support.paths import SHARED_DATA

tokenizers = pytest.importorskip("tokenizers")

from leanformers.tokenization import tokenizer_json  # noqa: E402
from leanformers.tokenization.precompiled import Precompiled  # noqa: E402
from leanformers.tokenization.sentencepiece_model import read_model  # noqa: E402

T5_JSON = SHARED_DATA / "tokenizers" / "google-t5-small" / "tokenizer.json"
MODELS = {"test_model": SHARED_DATA / "tokenizers" / "google-sentencepiece-test-models" / "test_model.model",
          "test_ja_model": SHARED_DATA / "tokenizers" / "google-sentencepiece-test-models" / "test_ja_model.model",
          "xlnet": SHARED_DATA / "vocab" / "xlnet-base-cased" / "spiece.model"}
CHARSMAPS = ["t5", *MODELS]


def _charsmap(name):
    if name == "t5":
        if not T5_JSON.exists():
            pytest.skip(f"{T5_JSON} is not in the shared data folder")
        return json.loads(T5_JSON.read_text(encoding="utf-8"))["normalizer"]["precompiled_charsmap"]
    if not MODELS[name].exists():
        pytest.skip(f"{MODELS[name]} is not in the shared data folder")
    model = read_model(MODELS[name])
    return base64.b64encode(model.normalizer_spec.precompiled_charsmap).decode("ascii")


_PAIRS = {}


def _pair(name):
    """(ours, reference): a tokenizer whose words are single normalized characters, each an unknown
    token carrying that character's offsets in the original text."""
    if name not in _PAIRS:
        data = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [],
                "normalizer": {"type": "Precompiled", "precompiled_charsmap": _charsmap(name)},
                "pre_tokenizer": {"type": "Split", "pattern": {"Regex": r"[\s\S]"}, "behavior": "Isolated",
                                  "invert": False},
                "post_processor": None, "decoder": None,
                "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                          "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                          "ignore_merges": False, "vocab": {"<unk>": 0}, "merges": []}}
        text = json.dumps(data)
        ours = tokenizer_json.build_tokenizer(json.loads(text), name)
        _PAIRS[name] = (ours, tokenizers.Tokenizer.from_str(text))
    return _PAIRS[name]


def _mismatches(name, texts):
    ours, ref = _pair(name)
    bad = []
    for text in texts:
        want = (ref.normalizer.normalize_str(text), [tuple(o) for o in ref.encode(text).offsets])
        got = (ours.normalizer.normalize_str(text), [tuple(o) for o in ours.encode_raw(text, with_offsets=True).offsets])
        if got != want:
            bad.append((text, got, want))
    return bad


HAND = ["Ａ\u0301", "ﬁ\u0301x", "\r\n", "a\r\nb", "\x01abc", "\x01\x02a", "ab\x01", "a\x01b", "①②", "㍻", "e\u0301",
        "\u200b", "\u200bx", "x\u200b", "ｶﾞ", "ｶ\u3099", "\ufeffa", "a\u00adb", "ＡＢＣ", "™", "…", "½", "ǆ", "ﷺ",
        "\u0300\u0300", "a\u20dd", "\u0600a", "👍🏽", "🇫🇷🇫", "\x00", "a\x00b", "한\u11a8", "\u1100\u1161\u11a8"]
EXTRA = HAND + list(SCRIPTS) + list(EMOJI) + list(ACCENTED) + list(ODD) + [" ".join(SCRIPTS + EMOJI + ODD)]


@pytest.mark.parametrize("name", CHARSMAPS)
def test_corpus_and_scripts(name):
    bad = _mismatches(name, sentences(2000) + EXTRA)
    assert not bad, f"{len(bad)} mismatches, first: {bad[:3]}"


@pytest.mark.parametrize("name", ["t5"])  # 13 s each; the other maps get the corpus and hypothesis cases
def test_every_character_alone_and_after_a_mapped_one(name):
    """Each code point alone and after "²" (mapped to "2"; a mark of up to 3 bytes that joins it is swallowed)."""
    texts = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    ours, ref = _pair(name)
    got = [ours.normalizer.normalize_str(t) for t in texts]
    want = [ref.normalizer.normalize_str(t) for t in texts]
    assert [t for t, g, w in zip(texts, got, want) if g != w] == []
    joined = ["²" + t for t in texts]
    got = [ours.normalizer.normalize_str(t) for t in joined]
    want = [ref.normalizer.normalize_str(t) for t in joined]
    assert [t for t, g, w in zip(joined, got, want) if g != w] == []


@pytest.mark.parametrize("name", CHARSMAPS)
def test_to_dict_round_trip(name):
    ours, ref = _pair(name)
    assert ours.normalizer.to_dict() == json.loads(ref.to_str())["normalizer"]


def test_pickled_normalizer_normalizes_the_same():
    """Pipelines with worker processes send the tokenizer by pickle; its memo tables travel empty."""
    ours, _ = _pair("t5")
    texts = sentences(50) + EXTRA
    before = [ours.normalizer.normalize_str(t) for t in texts]
    copy = pickle.loads(pickle.dumps(ours.normalizer))
    assert len(copy._normalized_clusters) == 0
    assert [copy.normalize_str(t) for t in texts] == before


def test_bad_charsmaps():
    with pytest.raises(ValueError, match="not valid base64"):
        Precompiled("not base64!")
    with pytest.raises(ValueError, match="truncated"):
        Precompiled(b"\x01")
    with pytest.raises(ValueError, match="declares a trie of 4096 bytes"):
        Precompiled((4096).to_bytes(4, "little") + b"\0" * 16)
    with pytest.raises(ValueError, match="not UTF-8"):
        Precompiled((4).to_bytes(4, "little") + b"\0\0\0\0" + b"\xff\0")
    with pytest.raises(ValueError, match="my/tokenizer.json.*precompiled_charsmap"):
        tokenizer_json.read_component("normalizer", {"type": "Precompiled"}, "my/tokenizer.json")


PIECES = st.sampled_from(HAND + list(SCRIPTS) + list(EMOJI) + list(ACCENTED) + list(ODD) + ["\u0301", "\u0308", "\u20dd"])
text_strategy = st.lists(st.one_of(st.text(max_size=5), PIECES), max_size=8).map("".join)


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=text_strategy, name=st.sampled_from(CHARSMAPS))
def test_hypothesis_text(text, name):
    assert not _mismatches(name, [text])
