"""LlamaTokenizer against transformers' on the real folders, through AutoTokenizer on both sides: Llama-2's
tokenizer.model (read by sentencepiece_model, BPE vocab and merges extracted as the reference extracts them) and
Mistral's tokenizer.json read by LlamaTokenizer itself (vocab, merges, post-processor taken from it)."""

import pytest

from support import family_oracle as fo
from support.corpus import sentences

pytest.importorskip("transformers")


@pytest.fixture(scope="module", params=["llama2-model", "mistral-json"])
def pair(request):
    fo.needs_stages("Metaspace")
    if request.param == "llama2-model":
        pytest.importorskip("sentencepiece")
        return fo.load_pair(fo.folder_or_skip("meta-llama-Llama-2-7b-hf"))
    import transformers

    import leanformers
    folder = fo.folder_or_skip("mistralai-Mistral-7B-Instruct-v0.3")
    return leanformers.LlamaTokenizer.from_pretrained(folder), transformers.LlamaTokenizer.from_pretrained(folder)


@pytest.fixture(scope="module")
def texts():
    return sentences(20_000)


globals().update(fo.standard_tests())


@pytest.mark.parametrize("legacy,add_prefix_space", [(True, None), (False, None), (False, False), (True, True)])
def test_legacy_and_prefix_space_pick_the_metaspace_scheme(legacy, add_prefix_space):
    fo.needs_stages("Metaspace")
    pytest.importorskip("sentencepiece")
    folder = fo.folder_or_skip("meta-llama-Llama-2-7b-hf")
    kw = {"legacy": legacy} if add_prefix_space is None else {"legacy": legacy, "add_prefix_space": add_prefix_space}
    ours, ref = fo.load_pair(folder, **kw)
    samples = ["Hello world", " Hello", "Hey <s>. how", "a\n b", "  two spaces"]
    for t in samples:
        assert ours(t)["input_ids"] == ref(t)["input_ids"], t
        assert ours.decode(ref(t)["input_ids"]) == ref.decode(ref(t)["input_ids"]), t


def test_add_eos_token_and_bos_toggle():
    fo.needs_stages("Metaspace")
    pytest.importorskip("sentencepiece")
    ours, ref = fo.load_pair(fo.folder_or_skip("meta-llama-Llama-2-7b-hf"))
    for tok in (ours, ref):
        tok.add_eos_token = True
        tok.add_bos_token = False
    assert ours("Hi there", "pair")["input_ids"] == ref("Hi there", "pair")["input_ids"]
