"""XLNetTokenizer against transformers 5: a Unigram model trained here as XLNet's is (<unk>=0 <s>=1
</s>=2, then <cls> <sep> <pad> <mask> <eod> <eop> control pieces), loaded from spiece.model and from
the reference's saved tokenizer.json, and xlnet-base-cased's spiece.model: `A <sep> <cls>`, left
padding with type id 3. Helpers and checks: test_t5_tokenizer.py."""

import pytest

import leanformers
from support.corpus import sentences
from support.paths import SHARED_DATA
from test_t5_tokenizer import PAIRS, CORPUS, check_attributes, check_options, check_pairs, check_saved_files, \
    check_texts, family_tests, transformers

globals().update(family_tests("XLNetTokenizer", "spiece.model", dict(
    unk_id=0, bos_id=1, eos_id=2, pad_id=-1, control_symbols=["<cls>", "<sep>", "<pad>", "<mask>", "<eod>", "<eop>"])))

XLNET_BASE = SHARED_DATA / "vocab" / "xlnet-base-cased"


@pytest.fixture(scope="module")
def xlnet_base():
    if not (XLNET_BASE / "spiece.model").is_file():
        pytest.skip(f"xlnet-base-cased's spiece.model not found in {XLNET_BASE} (see shared/data/README.md)")
    return (leanformers.XLNetTokenizer.from_pretrained(str(XLNET_BASE)),
            transformers.XLNetTokenizer.from_pretrained(str(XLNET_BASE)))


def test_xlnet_base_cased_matches_the_reference(xlnet_base):
    ours, reference = xlnet_base
    check_attributes(ours, reference)
    check_texts(ours, reference, sentences(5_000))
    check_pairs(ours, reference, PAIRS)
    check_options(ours, reference, CORPUS[:100], PAIRS[:50])


def test_xlnet_base_cased_saves_the_references_files(xlnet_base, tmp_path):
    check_saved_files(*xlnet_base, tmp_path)


def test_legacy_false_keeps_the_references_prepend_scheme(loaded):
    ours, reference = loaded["model"]
    ours = type(ours).from_pretrained(str(loaded["saved"]), legacy=False)
    reference = type(reference).from_pretrained(str(loaded["saved"]), legacy=False)
    texts = CORPUS[:200]
    assert ours(texts)["input_ids"] == reference(texts)["input_ids"]
