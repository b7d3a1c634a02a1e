"""pipeline("fill-mask") and pipeline("text-classification") against transformers' on one tiny ModernBERT with a
byte-level BPE tokenizer.json ([CLS] $A [SEP], as ModernBERT's): the tokenizer class AutoTokenizer picks, the
ids, and the results (scores within 1e-5)."""

import json
import logging
import shutil
import warnings

import pytest

import leanformers
from support.generative_models import CORPUS, VOCAB, assert_same_result, build, save

transformers = pytest.importorskip("transformers")

SPECIALS = ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"]  # ids 0..4


def modernbert_checkpoint(folder, head):
    """A tiny ModernBERT of `head` and its tokenizer.json, saved together by transformers."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(CORPUS * 10, trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=SPECIALS,
                                                             initial_alphabet=[], show_progress=False))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", 1), ("[SEP]", 2)])
    transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]", unk_token="[UNK]",
        mask_token="[MASK]", model_max_length=64).save_pretrained(folder)
    config = transformers.ModernBertConfig(
        vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=3, num_attention_heads=4,
        intermediate_size=37, max_position_embeddings=64, local_attention=8, global_attn_every_n_layers=2,
        pad_token_id=0, cls_token_id=1, bos_token_id=1, sep_token_id=2, eos_token_id=2)
    return save(build(head, config, seed=0, scale=0.3), folder)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    logging.getLogger("transformers").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="transformers")
    root = tmp_path_factory.mktemp("modernbert")
    return {head: modernbert_checkpoint(root / head, head)
            for head in ("ModernBertForMaskedLM", "ModernBertForSequenceClassification")}


# each under the tokenizer's 64 tokens: past them leanformers' text-classification pipeline truncates by default
# and transformers' runs the whole text (ModernBERT's rotary positions have no table to overrun)
TEXTS = ["paris is the [MASK] of france.", "my name is [MASK] and i live in berlin with my sister sarah, who"
         " reads books.", "[MASK]"]


@pytest.mark.parametrize("tokenizer_class", ["saved", "PreTrainedTokenizerFast", None])
def test_auto_tokenizer_is_the_reference_one(folders, tmp_path, tokenizer_class):
    """As saved, as the Hub's ModernBERT folders name it, and with no tokenizer_class (model_type decides)."""
    folder = tmp_path / "tok"
    shutil.copytree(folders["ModernBertForMaskedLM"], folder)
    if tokenizer_class != "saved":
        path = folder / "tokenizer_config.json"
        settings = {k: v for k, v in json.loads(path.read_text()).items() if k != "tokenizer_class"}
        path.write_text(json.dumps({**settings, **({"tokenizer_class": tokenizer_class} if tokenizer_class else {})}))
    ours, theirs = leanformers.AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours(TEXTS, padding=True)["input_ids"] == theirs(TEXTS, padding=True)["input_ids"]
    assert sorted(ours(TEXTS[0]).keys()) == sorted(theirs(TEXTS[0]).keys())
    assert max(len(ids) for ids in theirs(TEXTS)["input_ids"]) < theirs.model_max_length


def test_fill_mask_same_as_transformers(folders):
    folder = str(folders["ModernBertForMaskedLM"])
    theirs, ours = transformers.pipeline("fill-mask", model=folder), leanformers.pipeline("fill-mask", model=folder)
    for inputs, kwargs in ((TEXTS[0], {}), (TEXTS, {"top_k": 3}), (TEXTS[1], {"targets": ["paris", "the"]})):
        assert_same_result(ours(inputs, **kwargs), theirs(inputs, **kwargs))


def test_text_classification_same_as_transformers(folders):
    folder = str(folders["ModernBertForSequenceClassification"])
    theirs = transformers.pipeline("text-classification", model=folder)
    ours = leanformers.pipeline("text-classification", model=folder)
    texts = [t.replace("[MASK]", "capital") for t in TEXTS]
    assert_same_result(ours(texts), theirs(texts))
    assert_same_result(ours(texts, top_k=None), theirs(texts, top_k=None))
