"""The per-word cache of core.Tokenizer is bounded (core.WORD_CACHE_LIMIT): past the limit it starts
afresh, the ids, tokens, offsets and word ids stay the reference's, and an encoding made before a reset
still reads its tokens. Here the limit is lowered to 100 words; the benchmark corpus never reaches the
real one."""

import random
import string

import pytest

from support.paths import SHARED_DATA

transformers = pytest.importorskip("transformers")

import leanformers  # noqa: E402
from leanformers.tokenization import core  # noqa: E402


@pytest.mark.parametrize("name, class_name", [("bert-base-uncased", "BertTokenizer"), ("gpt2", "GPT2Tokenizer")])
def test_the_cache_stays_bounded_and_the_results_stay_the_references(monkeypatch, name, class_name):
    folder = SHARED_DATA / "vocab" / name
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent: the real vocabularies live in ../shared/data/vocab")
    monkeypatch.setattr(core, "WORD_CACHE_LIMIT", 100)
    ours = getattr(leanformers, class_name).from_pretrained(folder)
    reference = getattr(transformers, class_name).from_pretrained(str(folder))
    rng = random.Random(0)
    words = ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randrange(3, 12))) for _ in range(3000)]
    texts = [" ".join(words[i:i + 10]) for i in range(0, len(words), 10)]
    first = ours(texts[:5], return_offsets_mapping=True)  # read after many resets below
    largest = 0
    for i in range(0, len(texts), 7):
        batch = texts[i:i + 7]
        got, expected = ours(batch, return_offsets_mapping=True), reference(batch, return_offsets_mapping=True)
        assert got["input_ids"] == expected["input_ids"]
        assert got["offset_mapping"] == [[tuple(o) for o in row] for row in expected["offset_mapping"]]
        assert [got.tokens(j) for j in range(len(batch))] == [expected.tokens(j) for j in range(len(batch))]
        largest = max(largest, len(ours._tokenizer._cache))
    assert largest <= 100 + 7 * 10 * 3  # the limit, plus what one batch adds before the next check
    expected = reference(texts[:5], return_offsets_mapping=True)
    assert [first.tokens(j) for j in range(5)] == [expected.tokens(j) for j in range(5)]
    assert [first.word_ids(j) for j in range(5)] == [expected.word_ids(j) for j in range(5)]
