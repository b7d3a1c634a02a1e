"""TokenizersBackend / PreTrainedTokenizerFast: real tokenizer.json folders loaded as they are, through
AutoTokenizer in both libraries (Llama-3's byte-level BPE, GPT-NeoX's, Mistral's byte-fallback BPE), every
expected value taken from transformers."""

import pytest
from hypothesis import HealthCheck, given, settings

from support import family_oracle as fo
from support.corpus import EMOJI, SCRIPTS, sentence_pairs, sentences

pytest.importorskip("transformers")

FOLDERS = {"llama3": ("meta-llama-Meta-Llama-3-8B-Instruct", ()),
           "neox": ("EleutherAI-gpt-neox-20b", ()),
           "mistral": ("mistralai-Mistral-7B-Instruct-v0.3", ("Metaspace",))}


@pytest.fixture(scope="module", params=sorted(FOLDERS))
def pair(request):
    name, stages = FOLDERS[request.param]
    folder = fo.folder_or_skip(name)
    fo.needs_stages(*stages)
    return fo.load_pair(folder)


@pytest.fixture(scope="module")
def texts():
    return sentences(20_000)


def test_class_and_settings_are_the_reference_ones(pair):
    fo.check_settings(*pair)


def test_input_ids_and_attention_mask_of_the_corpus(pair, texts):
    fo.check_ids(*pair, texts)


def test_tokens_offsets_word_ids_special_mask(pair, texts):
    fo.check_details(*pair, texts[:3000])


def test_decode_with_and_without_special_tokens(pair, texts):
    fo.check_decode(*pair, texts[:3000])


def test_sentence_pairs(pair):
    fo.check_pairs(*pair, sentence_pairs(1000))


def test_multilingual_and_emoji(pair):
    samples = list(SCRIPTS) + list(EMOJI) + [" ".join(SCRIPTS), "".join(EMOJI), "  ".join(SCRIPTS + EMOJI)]
    fo.check_details(*pair, samples)
    fo.check_decode(*pair, samples)


def test_truncation_and_padding_both_sides(pair, texts):
    fo.check_truncation_padding(*pair, texts[:300], sentence_pairs(300))


def test_is_split_into_words(pair, texts):
    fo.check_split_into_words(*pair, texts[:1000])


def test_add_bos_and_eos_flags_rebuild_the_template(pair):
    ours, ref = pair
    import leanformers
    import transformers
    folder = ref.name_or_path
    a = leanformers.AutoTokenizer.from_pretrained(folder, add_bos_token=True, add_eos_token=True)
    b = transformers.AutoTokenizer.from_pretrained(folder, add_bos_token=True, add_eos_token=True)
    for args in (("Hello world",), ("Hello", "world")):
        assert a(*args)["input_ids"] == b(*args)["input_ids"]
        assert a(*args).get("token_type_ids") == b(*args).get("token_type_ids")


def test_save_pretrained_round_trips_in_both_libraries(pair, tmp_path, texts):
    fo.check_save_round_trip(*pair, tmp_path, texts[:200])


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=fo.assigned_text())
def test_arbitrary_unicode_llama3(text, llama3):
    fo.check_one(*llama3, text)


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=fo.assigned_text())
def test_arbitrary_unicode_neox(text, neox):
    fo.check_one(*neox, text)


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=fo.assigned_text())
def test_arbitrary_unicode_mistral(text, mistral):
    fo.check_one(*mistral, text)


def _one(key):
    @pytest.fixture(scope="module")
    def fixture():
        name, stages = FOLDERS[key]
        folder = fo.folder_or_skip(name)
        fo.needs_stages(*stages)
        return fo.load_pair(folder)
    return fixture


llama3, neox, mistral = _one("llama3"), _one("neox"), _one("mistral")


@pytest.fixture(scope="module")
def trained_by_tokenizers(tmp_path_factory):
    """A BPE tokenizer trained with the tokenizers library as transformers' "Tokenizers" guide does it."""
    from tokenizers import Tokenizer
    from tokenizers.models import BPE
    from tokenizers.pre_tokenizers import Whitespace
    from tokenizers.trainers import BpeTrainer

    tokenizer = Tokenizer(BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    tokenizer.train_from_iterator(sentences(3000), BpeTrainer(special_tokens=["[UNK]", "[CLS]", "[SEP]", "[PAD]",
                                                                             "[MASK]"], vocab_size=600))
    path = tmp_path_factory.mktemp("guide") / "tokenizer.json"
    tokenizer.save(str(path))
    return tokenizer, path


@pytest.mark.parametrize("given_as", ["tokenizer_object", "tokenizer_file"])
def test_guide_tokenizer_object_and_file_match_reference(trained_by_tokenizers, given_as):
    import transformers

    import leanformers

    tokenizer, path = trained_by_tokenizers
    argument = {given_as: tokenizer if given_as == "tokenizer_object" else str(path)}
    ours, ref = leanformers.PreTrainedTokenizerFast(**argument), transformers.PreTrainedTokenizerFast(**argument)
    texts = sentences(300, seed=1) + [f"{EMOJI} unknown ✓ words", "Hello, y'all! How are you?"]
    fo.check_ids(ours, ref, texts)
    ids = ref(texts)["input_ids"]
    assert ours.batch_decode(ids) == ref.batch_decode(ids)


def test_tokenizer_object_of_another_kind_is_refused():
    import leanformers

    with pytest.raises(TypeError, match="tokenizer_object must be a tokenizer.*got dict"):
        leanformers.PreTrainedTokenizerFast(tokenizer_object={"model": {}})
