"""Real tokenizer.json files (Mistral-7B-v0.3: byte-fallback BPE behind Metaspace; Llama-3:
ignore_merges byte-level BPE behind a Split; GPT-NeoX: NFC + byte-level BPE) against the
reference (`tokenizers`) on the same files: ids on a large corpus, tokens and offsets,
multilingual and odd text, added and special tokens in text, decoding, and arbitrary Unicode."""

import json
import random

import pytest

tokenizers = pytest.importorskip("tokenizers")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from leanformers.tokenization import tokenizer_json  # noqa: E402
from tests.support import corpus  # noqa: E402
from tests.support.paths import SHARED_DATA  # noqa: E402

MISTRAL = "mistralai-Mistral-7B-Instruct-v0.3"
# the last one: Mistral's BPE model, added tokens and decoders behind Llama-2's normalizer
# (Prepend "▁", Replace " " -> "▁") instead of its Metaspace pre-tokenizer, written to a
# temporary file that both libraries read
NAMES = (MISTRAL, "meta-llama-Meta-Llama-3-8B-Instruct", "EleutherAI-gpt-neox-20b", MISTRAL + "+llama2-normalizer")
SENTENCES = corpus.sentences(20_000)


def _multilingual():
    rng = random.Random(7)
    pool = corpus.SCRIPTS + corpus.EMOJI + corpus.ODD + corpus.ACCENTED + (
        "e\u0301\u0302", "\u0915\u094d\u0937", "a\u0300\u0301\u0302\u0303", "ﷺ", "\u0645\u064e\u0631\u0652")
    texts = list(pool)
    for _ in range(500):
        texts.append("".join(rng.choice(pool) + rng.choice(("", " ", "  ", "\n")) for _ in range(rng.randrange(1, 8))))
    return texts


MULTILINGUAL = _multilingual()


@pytest.fixture(scope="module", params=NAMES)
def pair(request, tmp_path_factory):
    name, _, variant = request.param.partition("+")
    path = SHARED_DATA / "tokenizers" / name / "tokenizer.json"
    if not path.is_file():
        pytest.skip(f"{path} is absent: the real tokenizer.json files live in ../shared/data/tokenizers")
    data = tokenizer_json.load(path)
    if variant:
        data["pre_tokenizer"] = None
        data["normalizer"] = {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]}
        path = tmp_path_factory.mktemp("mistral") / "tokenizer.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    ours = tokenizer_json.build_tokenizer(data, path)
    ref = tokenizers.Tokenizer.from_file(str(path))
    return request.param, ours, ref


def _special_texts(ours, rng):
    contents = [t.content for t in ours.added.tokens.values()]
    texts = []
    for i in range(300):
        words = rng.choice(SENTENCES).split(" ")
        for _ in range(rng.randrange(1, 4)):
            words.insert(rng.randrange(len(words) + 1), rng.choice(contents) + rng.choice(("", " ")))
        texts.append(rng.choice(("", " ")).join(words))
    return texts + contents


def test_ids_on_the_corpus(pair):
    name, ours, ref = pair
    expected = [e.ids for e in ref.encode_batch(list(SENTENCES))]
    wrong = [s for s, ids in zip(SENTENCES, expected) if ours.encode(s).ids != ids]
    assert not wrong, (name, len(wrong), wrong[:3])


def test_tokens_offsets_and_pairs(pair):
    name, ours, ref = pair
    for i, text in enumerate(SENTENCES[:3000]):
        other = SENTENCES[-1 - i] if i % 3 == 0 else None
        r = ref.encode(text, other)
        o = ours.encode(text, other, with_offsets=True)
        assert (o.ids, o.tokens, o.offsets, o.type_ids) == (r.ids, r.tokens, r.offsets, r.type_ids), (name, text)


def test_multilingual_and_odd_text(pair):
    name, ours, ref = pair
    for text in MULTILINGUAL:
        r = ref.encode(text)
        o = ours.encode(text, with_offsets=True)
        assert (o.ids, o.tokens, o.offsets) == (r.ids, r.tokens, r.offsets), (name, text)
        assert ours.decode(o.ids) == ref.decode(r.ids, skip_special_tokens=False), (name, text)


def test_added_and_special_tokens_in_text(pair):
    name, ours, ref = pair
    for text in _special_texts(ours, random.Random(3)):
        r = ref.encode(text)
        o = ours.encode(text, with_offsets=True)
        assert (o.ids, o.tokens, o.offsets) == (r.ids, r.tokens, r.offsets), (name, text)
        for skip in (False, True):
            assert ours.decode(o.ids, skip_special_tokens=skip) == ref.decode(r.ids, skip_special_tokens=skip)


def test_decode_on_the_corpus(pair):
    name, ours, ref = pair
    for text in SENTENCES[:2000]:
        ids = ref.encode(text).ids
        assert ours.decode(ids) == ref.decode(ids, skip_special_tokens=False), (name, text)
        assert ours.decode(ids, skip_special_tokens=True) == ref.decode(ids), (name, text)


def test_decode_of_arbitrary_ids(pair):
    # partial UTF-8 sequences, byte tokens among pieces, special tokens in the middle
    name, ours, ref = pair
    rng = random.Random(5)
    size = ref.get_vocab_size()
    for _ in range(300):
        ids = [rng.randrange(size) for _ in range(rng.randrange(1, 12))]
        assert ours.decode(ids) == ref.decode(ids, skip_special_tokens=False), (name, ids)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=40))
def test_arbitrary_unicode(pair, text):
    name, ours, ref = pair
    r = ref.encode(text)
    o = ours.encode(text, with_offsets=True)
    assert (o.ids, o.tokens, o.offsets) == (r.ids, r.tokens, r.offsets), (name, text)
    assert ours.decode(o.ids) == ref.decode(r.ids, skip_special_tokens=False), (name, text)


def test_a_pickled_copy_encodes_the_same_and_writes_the_references_stages(pair):
    # pipelines send the tokenizer to worker processes, so every stage must pickle (no lambdas)
    import pickle

    name, ours, ref = pair
    copy = pickle.loads(pickle.dumps(ours))
    for text in SENTENCES[:2000] + MULTILINGUAL[:200]:
        r = ref.encode(text)
        o = copy.encode(text, with_offsets=True)
        assert (o.ids, o.tokens, o.offsets) == (r.ids, r.tokens, r.offsets), (name, text)
    written, expected = tokenizer_json.tokenizer_to_json(copy), json.loads(ref.to_str())
    for kind in ("normalizer", "pre_tokenizer", "post_processor", "decoder"):
        assert written[kind] == expected[kind], (name, kind)
