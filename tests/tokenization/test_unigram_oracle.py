"""The Unigram model against the `tokenizers` reference on the same tokenizer.json: a
hand vocabulary with ties, unknown characters and byte pieces, a Unigram trained by
`tokenizers` on the corpus, and the real T5 model. ids, tokens and offsets must match."""

import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from support.corpus import EMOJI, SCRIPTS, sentences
from support.paths import SHARED_DATA

tokenizers = pytest.importorskip("tokenizers")

from leanformers.tokenization import tokenizer_json  # noqa: E402
from leanformers.tokenization.unigram import Unigram  # noqa: E402

CORPUS = sentences(5000)
T5_JSON = SHARED_DATA / "tokenizers" / "google-t5-small" / "tokenizer.json"

HAND_VOCAB = [("<unk>", 0.0), ("a", -1.0), ("b", -1.0), ("ab", -2.0), ("abc", -3.0), ("c", -1.5), ("bc", -2.5),
              ("the", -2.0), ("t", -1.0), ("h", -1.0), ("e", -1.0), ("th", -1.5), ("he", -1.5), ("é", -2.0),
              ("🤗", -4.0), ("x", -3.0), ("xx", -6.0), ("xxx", -9.0), (".", -1.0)]
HAND_BYTES = HAND_VOCAB + [(f"<0x{b:02X}>", -5.0) for b in range(256) if b not in (0xE6,)]


def _write(folder, name, model, pre_tokenizer=True):
    from tokenizers import Tokenizer, pre_tokenizers

    tok = Tokenizer(model)
    if pre_tokenizer:
        tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    path = folder / f"{name}.json"
    tok.save(str(path))
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    folder = tmp_path_factory.mktemp("unigram")
    out = {
        "hand": _write(folder, "hand", models.Unigram(HAND_VOCAB, 0, False)),
        "hand-bytes": _write(folder, "hand-bytes", models.Unigram(HAND_BYTES, 0, True)),
    }
    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    trainer = trainers.UnigramTrainer(vocab_size=800, special_tokens=["<pad>", "<unk>"], unk_token="<unk>",
                                      show_progress=False)
    tok.train_from_iterator(sentences(2000), trainer)
    out["trained"] = folder / "trained.json"
    tok.save(str(out["trained"]))
    if T5_JSON.exists():
        t5_model = json.loads(T5_JSON.read_text(encoding="utf-8"))["model"]
        data = json.loads(Tokenizer(models.Unigram([("a", 0.0)], 0, False)).to_str())
        data["model"], data["pre_tokenizer"] = t5_model, {"type": "WhitespaceSplit"}
        out["t5"] = folder / "t5.json"
        out["t5"].write_text(json.dumps(data), encoding="utf-8")
    return out


_PAIRS = {}


def _pair(path):
    key = str(path)
    if key not in _PAIRS:
        ours = tokenizer_json.build_tokenizer(tokenizer_json.load(path), key)
        _PAIRS[key] = (ours, tokenizers.Tokenizer.from_file(key))
    return _PAIRS[key]


def _mismatches(path, texts):
    ours, ref = _pair(path)
    bad = []
    for text in texts:
        enc = ours.encode_raw(text, with_offsets=True)
        want = ref.encode(text, add_special_tokens=False)
        got = (list(enc.ids), list(enc.tokens), [tuple(o) for o in enc.offsets])
        exp = (want.ids, want.tokens, [tuple(o) for o in want.offsets])
        if got != exp:
            bad.append((text, got, exp))
    return bad


HAND_TEXTS = ["abc", "ab", "abcabc", "the", "thé", "xxxx", "xqzx", "qqq", "q", "🤗🤗", "日本", "a日b本c",
              "<unk>", "<unk>q", "q<unk>", "æ", "æé", "aæb", "ÿ€", "..", "a b  c", "\u3000x", "e\u0301"]
EXTRA = HAND_TEXTS + list(SCRIPTS) + list(EMOJI) + [" ".join(SCRIPTS), "".join(EMOJI)]


@pytest.mark.parametrize("name", ["hand", "hand-bytes", "trained"])
def test_corpus_and_scripts(files, name):
    bad = _mismatches(files[name], CORPUS[:3000] + EXTRA)
    assert not bad, f"{len(bad)} mismatches, first: {bad[:3]}"


def test_t5_model(files):
    if "t5" not in files:
        pytest.skip(f"{T5_JSON} is not in the shared data folder")
    bad = _mismatches(files["t5"], CORPUS + EXTRA)
    assert not bad, f"{len(bad)} mismatches, first: {bad[:3]}"


@pytest.mark.parametrize("name", ["hand", "hand-bytes", "trained", "t5"])
def test_to_dict_round_trip(files, name):
    if name not in files:
        pytest.skip(f"{T5_JSON} is not in the shared data folder")
    ours, ref = _pair(files[name])
    written = json.loads(ref.to_str())["model"]  # what the reference writes for this model
    assert ours.model.to_dict() == written
    if name != "t5":  # (t5's file is in an older layout, without "type" and "byte_fallback")
        assert written == tokenizer_json.load(files[name])["model"]  # the file, read as the reference reads it
    assert tokenizer_json.tokenizer_to_json(ours)["model"] == written


def test_vocab_api(files):
    ours, ref = _pair(files["trained"])
    model = ours.model
    assert model.vocab_size() == ref.get_vocab_size()
    assert model.get_vocab() == ref.get_vocab()
    for token, i in ref.get_vocab().items():
        assert model.token_to_id(token) == i and model.id_to_token(i) == token
    assert model.token_to_id("no such piece") is None and model.id_to_token(10 ** 6) is None


def test_guessed_type_without_type_key():
    spec = {"unk_id": 0, "vocab": [["<unk>", 0.0], ["a", -1.0]]}
    assert isinstance(tokenizer_json.read_component("model", spec), Unigram)
    assert isinstance(tokenizer_json.read_component("model", {"vocab": [["<unk>", 0.0]]}), Unigram)


@pytest.mark.parametrize("spec, words", [
    ({"type": "Unigram", "unk_id": 0, "vocab": []}, "empty"),
    ({"type": "Unigram", "unk_id": 3, "vocab": [["a", -1.0]]}, "unk_id 3"),
    ({"type": "Unigram", "unk_id": 0, "vocab": [["a"]]}, "[piece, score]"),
    ({"type": "Unigram", "unk_id": 0, "vocab": {"a": 1}}, "vocab"),
])
def test_bad_input(spec, words):
    with pytest.raises(ValueError) as info:
        tokenizer_json.read_component("model", spec, "my/tokenizer.json")
    assert "my/tokenizer.json" in str(info.value) and words in str(info.value)


text_strategy = st.lists(st.one_of(st.text(max_size=6), st.sampled_from(HAND_TEXTS + list(EMOJI) + list(SCRIPTS))),
                         max_size=10).map("".join)


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=text_strategy, name=st.sampled_from(["hand", "hand-bytes", "trained"]))
def test_hypothesis_text(files, text, name):
    assert not _mismatches(files[name], [text])


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(numbers=st.lists(st.one_of(st.floats(allow_nan=False, allow_infinity=False).map(repr),
                                  st.from_regex(r"-?[1-9][0-9]{0,25}\.[0-9]{1,30}([eE][+-]?[0-9]{1,3})?",
                                                fullmatch=True)), min_size=1, max_size=20))
def test_scores_are_read_as_the_reference_reads_them(tmp_path_factory, numbers):
    """The reference's JSON reader is not always correctly rounded; a score must become the float it makes."""
    numbers = [n for n in numbers if abs(float(n)) < 1e300]
    assume(numbers)
    vocab = ",".join(f'["p{i}", {n}]' for i, n in enumerate(numbers))
    path = tmp_path_factory.mktemp("scores") / "tokenizer.json"
    data = json.loads(tokenizers.Tokenizer(tokenizers.models.Unigram([("a", 0.0)], 0, False)).to_str())
    text = json.dumps(data).replace('"vocab": [["a", 0.0]]', f'"vocab": [{vocab}]')
    path.write_text(text, encoding="utf-8")
    written = json.loads(tokenizers.Tokenizer.from_file(str(path)).to_str())["model"]["vocab"]
    ours = tokenizer_json.load(path)["model"]["vocab"]
    assert [score for _, score in ours] == [score for _, score in written]
