"""tokenizer.pad, the data collators of transformers' task guides, default_data_collator and set_seed give what
transformers' give on the same tokenizer and features: the same keys, dtypes, shapes and values; the masked-LM
collator, under the same torch seed, masks the same tokens.

Each case runs on a 40-token WordPiece vocabulary written here and, when ../shared/data is there, on the real
bert-base-uncased vocabulary (30522 tokens: the random replacement tokens are drawn from all of them).
"""

import copy
import random

import numpy as np
import pytest
import torch

import leanformers
from support.wordpiece_cases import HAVE_DATA, VOCABS, load_pair, make_folder

transformers = pytest.importorskip("transformers")

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = ("the a film story plot acting was is it and good great fun bad dull awful very not movie one two three "
         "i liked hated loved this that of to in on ##s ##ed ##ly").split()
TEXTS = ["the film was good", "i hated this very dull movie and the acting", "fun", "a story of two plots",
         "it is not great, not bad, it is a film that i liked in one way and hated in another"]


@pytest.fixture(scope="module", params=["tiny", "bert-base-uncased"])
def pair(request, tmp_path_factory):
    """(transformers tokenizer, leanformers tokenizer) of the same folder."""
    root = tmp_path_factory.mktemp("collate")
    if request.param == "tiny":
        folder = make_folder(root, "tiny", vocab_lines=SPECIAL + WORDS, model_max_length=64)
    elif not HAVE_DATA:
        pytest.skip(f"the real vocabulary is not in {VOCABS} (../shared/data missing)")
    else:
        folder = make_folder(root, "uncased", vocab_file=VOCABS / "bert-base-uncased" / "vocab.txt",
                             model_max_length=512)
    return load_pair(folder)


def features(tokenizer, **kwargs):
    """One dict of lists per text, unpadded, as `datasets.map(tokenize)` gives them."""
    encoded = tokenizer(TEXTS, **kwargs)
    return [{key: encoded[key][i] for key in encoded} for i in range(len(TEXTS))]


def assert_same_batch(ours, theirs):
    assert list(ours.keys()) == list(theirs.keys())
    for key in theirs:
        a, b = ours[key], theirs[key]
        assert type(a) is type(b), (key, type(a), type(b))
        if isinstance(b, (torch.Tensor, np.ndarray)):
            assert a.dtype == b.dtype and a.shape == b.shape, (key, a.dtype, b.dtype, a.shape, b.shape)
            assert (a == b).all(), (key, a, b)
        else:
            assert a == b, key


def both(make, *args, **kwargs):
    """(ours, theirs): `make(library)` called on copies of the arguments, so neither sees what the other did."""
    return make(leanformers, *copy.deepcopy(args), **kwargs), make(transformers, *copy.deepcopy(args), **kwargs)


# --- tokenizer.pad ---------------------------------------------------------------------------------------------

PAD_CASES = {
    "longest": dict(),
    "max_length": dict(padding="max_length", max_length=24),
    "multiple_of_8": dict(pad_to_multiple_of=8),
    "max_length_and_multiple": dict(padding="max_length", max_length=21, pad_to_multiple_of=8),
    "left": dict(padding_side="left", pad_to_multiple_of=4),
    "not_padded": dict(padding=False),
    "no_attention_mask": dict(return_attention_mask=False),
    "np": dict(return_tensors="np"),
    "pt": dict(return_tensors="pt", pad_to_multiple_of=8),
}


@pytest.mark.parametrize("options", PAD_CASES.values(), ids=PAD_CASES.keys())
def test_pad_a_list_of_dicts(pair, options):
    theirs_tok, ours_tok = pair
    rows = features(ours_tok, return_special_tokens_mask=True)
    ours, theirs = ours_tok.pad(copy.deepcopy(rows), **options), theirs_tok.pad(copy.deepcopy(rows), **options)
    assert_same_batch(ours, theirs)
    assert isinstance(ours, leanformers.BatchEncoding)


def test_pad_a_dict_of_lists_and_one_encoding(pair):
    theirs_tok, ours_tok = pair
    columns = {key: list(value) for key, value in ours_tok(TEXTS[:3]).items()}
    assert_same_batch(ours_tok.pad(copy.deepcopy(columns), pad_to_multiple_of=8),
                      theirs_tok.pad(copy.deepcopy(columns), pad_to_multiple_of=8))
    one = dict(ours_tok(TEXTS[0]))
    for options in ({}, {"padding": "max_length", "max_length": 12},
                    {"pad_to_multiple_of": 16, "return_tensors": "pt"}):
        assert_same_batch(ours_tok.pad(dict(one), **options), theirs_tok.pad(dict(one), **options))


@pytest.mark.parametrize("kind", ["pt", "np"])
def test_pad_tensors_in_gives_the_same_kind_out(pair, kind):
    theirs_tok, ours_tok = pair
    convert = torch.tensor if kind == "pt" else np.array
    rows = [{key: convert(value) for key, value in row.items()} for row in features(ours_tok)]
    ours, theirs = ours_tok.pad(copy.deepcopy(rows)), theirs_tok.pad(copy.deepcopy(rows))
    assert_same_batch(ours, theirs)
    assert isinstance(ours["input_ids"], torch.Tensor if kind == "pt" else np.ndarray)


def test_pad_already_padded_inputs_changes_nothing(pair):
    theirs_tok, ours_tok = pair
    rows = features(ours_tok, padding="max_length", max_length=32)
    for options in ({}, {"padding": "max_length", "max_length": 16}, {"pad_to_multiple_of": 8}):
        assert_same_batch(ours_tok.pad(copy.deepcopy(rows), **options, return_tensors="pt"),
                          theirs_tok.pad(copy.deepcopy(rows), **options, return_tensors="pt"))


def test_pad_stays_torch_free_without_pt(run_python):
    done = run_python("""
import sys
from leanformers import BertTokenizer, DataCollatorWithPadding, DataCollatorForLanguageModeling, set_seed
tok = BertTokenizer(vocab={w: i for i, w in enumerate(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hi'])})
print(tok.pad([{'input_ids': [2, 5, 3]}, {'input_ids': [2, 3]}], return_tensors='np')['attention_mask'].tolist())
DataCollatorWithPadding(tok)
assert 'torch' not in sys.modules, 'torch was imported'
""")
    assert done.stdout.strip() == "[[1, 1, 1], [1, 1, 0]]"


# --- the collators ---------------------------------------------------------------------------------------------

COLLATOR_CASES = {
    "longest": dict(),
    "multiple_of_8": dict(pad_to_multiple_of=8),
    "max_length": dict(padding="max_length", max_length=40),
    "max_length_and_multiple": dict(padding="max_length", max_length=30, pad_to_multiple_of=16),
}


@pytest.mark.parametrize("options", COLLATOR_CASES.values(), ids=COLLATOR_CASES.keys())
def test_with_padding_renames_label_to_labels(pair, options):
    theirs_tok, ours_tok = pair
    rows = [dict(row, label=i % 2) for i, row in enumerate(features(ours_tok))]
    ours, theirs = both(lambda lib, rows: lib.DataCollatorWithPadding(
        ours_tok if lib is leanformers else theirs_tok, **options)(rows), rows)
    assert_same_batch(ours, theirs)
    assert ours["labels"].tolist() == [0, 1, 0, 1, 0]


def word_labels(rows):
    """Per-token labels as the token classification guide makes them: -100 on special tokens."""
    return [dict(row, labels=[-100] + [(3 * i + j) % 5 for j in range(len(row["input_ids"]) - 2)] + [-100])
            for i, row in enumerate(rows)]


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("options", COLLATOR_CASES.values(), ids=COLLATOR_CASES.keys())
def test_token_classification_pads_labels_with_minus_100(pair, options, side):
    theirs_tok, ours_tok = pair
    rows = word_labels(features(ours_tok))
    tokenizers = {leanformers: ours_tok, transformers: theirs_tok}
    for tokenizer in tokenizers.values():
        tokenizer.padding_side = side
    try:
        ours, theirs = both(lambda lib, rows: lib.DataCollatorForTokenClassification(tokenizers[lib], **options)(rows),
                            rows)
    finally:
        for tokenizer in tokenizers.values():
            tokenizer.padding_side = "right"
    assert_same_batch(ours, theirs)
    padded = ours["labels"][2] if side == "right" else ours["labels"][2].flip(0)
    assert (padded[3:] == -100).all()  # "fun": [CLS] fun [SEP], then padding


def test_token_classification_with_label_key_and_a_pad_id(pair):
    theirs_tok, ours_tok = pair
    rows = [{"input_ids": row["input_ids"], "label": row.pop("labels")} for row in word_labels(features(ours_tok))]
    ours, theirs = both(lambda lib, rows: lib.DataCollatorForTokenClassification(
        ours_tok if lib is leanformers else theirs_tok, label_pad_token_id=7)(rows), rows)
    assert_same_batch(ours, theirs)


def tiny_bart(library):
    config = library.BartConfig(vocab_size=40, d_model=16, encoder_layers=1, decoder_layers=1,
                                encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=16,
                                decoder_ffn_dim=16, max_position_embeddings=64, pad_token_id=0,
                                decoder_start_token_id=2)
    return library.BartForConditionalGeneration(config)


@pytest.mark.parametrize("with_model", [False, True], ids=["labels", "decoder_input_ids"])
@pytest.mark.parametrize("options", [*COLLATOR_CASES.values(), dict(padding=False)],
                         ids=[*COLLATOR_CASES.keys(), "not_padded"])
def test_seq2seq_pads_labels_and_makes_decoder_input_ids(pair, options, with_model):
    theirs_tok, ours_tok = pair
    rows = [{"input_ids": row["input_ids"], "attention_mask": row["attention_mask"], "labels": target["input_ids"]}
            for row, target in zip(features(ours_tok), features(ours_tok)[::-1])]
    if options.get("padding") is False:  # no padding: only rows of one length make a tensor
        rows = [dict(row, input_ids=[2, 5, 3], attention_mask=[1, 1, 1], labels=[2, 6, 3]) for row in rows]
    models = {lib: tiny_bart(lib) if with_model else None for lib in (leanformers, transformers)}
    ours, theirs = both(lambda lib, rows: lib.DataCollatorForSeq2Seq(
        ours_tok if lib is leanformers else theirs_tok, model=models[lib], **options)(rows), rows)
    assert_same_batch(ours, theirs)
    assert ("decoder_input_ids" in ours) is with_model


def test_seq2seq_without_labels_gives_labels_none(pair):
    theirs_tok, ours_tok = pair
    rows = features(ours_tok)
    ours, theirs = both(lambda lib, rows: lib.DataCollatorForSeq2Seq(
        ours_tok if lib is leanformers else theirs_tok)(rows), rows)
    assert ours["labels"] is None and theirs["labels"] is None
    assert_same_batch(ours, theirs)


MLM_CASES = {
    "default": dict(),
    "multiple_of_8": dict(pad_to_multiple_of=8),
    "half_chosen": dict(mlm_probability=0.5),
    "only_mask_token": dict(mlm_probability=0.5, mask_replace_prob=1.0, random_replace_prob=0.0),
    "mostly_random": dict(mlm_probability=0.6, mask_replace_prob=0.2, random_replace_prob=0.7),
}


@pytest.mark.parametrize("with_special_mask", [False, True], ids=["mask_from_ids", "special_tokens_mask"])
@pytest.mark.parametrize("options", MLM_CASES.values(), ids=MLM_CASES.keys())
def test_masked_lm_masks_the_same_tokens_under_the_same_seed(pair, options, with_special_mask):
    theirs_tok, ours_tok = pair
    rows = features(ours_tok, return_special_tokens_mask=with_special_mask) * 4

    def collate(lib, rows):
        collator = lib.DataCollatorForLanguageModeling(ours_tok if lib is leanformers else theirs_tok, **options)
        torch.manual_seed(1234)
        return [collator(rows[i:i + 10]) for i in range(0, len(rows), 10)]  # two batches: the draws go on

    for ours, theirs in zip(*both(collate, rows)):
        assert_same_batch(ours, theirs)
        chosen = ours["labels"] != -100  # the labels hold the original ids of the chosen tokens
        framing = torch.tensor([ours_tok.cls_token_id, ours_tok.sep_token_id, ours_tok.pad_token_id])
        assert chosen.any() and not torch.isin(ours["labels"][chosen], framing).any()


def test_masked_lm_with_its_own_seed_and_bare_id_lists(pair):
    theirs_tok, ours_tok = pair
    rows = [row["input_ids"] for row in features(ours_tok)]
    for case in (rows, [row[:4] for row in rows]):  # ragged, then all of one length (stacked, not padded)
        ours, theirs = both(lambda lib, case: lib.DataCollatorForLanguageModeling(
            ours_tok if lib is leanformers else theirs_tok, seed=7, mlm_probability=0.4)(case), case)
        assert_same_batch(ours, theirs)


@pytest.mark.parametrize("options", [dict(), dict(pad_to_multiple_of=8)], ids=["longest", "multiple_of_8"])
def test_causal_lm_labels_are_the_ids_with_pads_minus_100(pair, options):
    theirs_tok, ours_tok = pair
    for rows in (features(ours_tok), [row["input_ids"] for row in features(ours_tok)]):
        ours, theirs = both(lambda lib, rows: lib.DataCollatorForLanguageModeling(
            ours_tok if lib is leanformers else theirs_tok, mlm=False, **options)(rows), rows)
        assert_same_batch(ours, theirs)
        assert ((ours["labels"] == -100) == (ours["input_ids"] == ours_tok.pad_token_id)).all()


def test_causal_lm_on_gpt2_with_the_eos_token_as_pad_token():
    """The causal LM guide: GPT-2 has no pad token, so the guide sets `tokenizer.pad_token = tokenizer.eos_token`
    (and then the eos tokens are -100 too, as in transformers); without one, padding says how to set it."""
    folder = VOCABS / "gpt2"
    if not (folder / "vocab.json").is_file():
        pytest.skip(f"the GPT-2 vocabulary is not in {folder} (../shared/data missing)")
    theirs_tok = transformers.GPT2Tokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"))
    ours_tok = leanformers.GPT2Tokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"))
    rows = [dict(row, input_ids=row["input_ids"] + [ours_tok.eos_token_id], attention_mask=row["attention_mask"] + [1])
            for row in features(ours_tok)]
    with pytest.raises(ValueError, match="tokenizer.pad_token = tokenizer.eos_token"):
        leanformers.DataCollatorForLanguageModeling(ours_tok, mlm=False)(rows)
    for tokenizer in (theirs_tok, ours_tok):
        tokenizer.pad_token = tokenizer.eos_token
    ours, theirs = both(lambda lib, rows: lib.DataCollatorForLanguageModeling(
        ours_tok if lib is leanformers else theirs_tok, mlm=False)(rows), rows)
    assert_same_batch(ours, theirs)


# --- default_data_collator and set_seed --------------------------------------------------------------------------

DEFAULT_CASES = {
    "int_label": [{"input_ids": [1, 2, 3], "label": 1, "text": "skipped"}, {"input_ids": [4, 5, 6], "label": 0,
                                                                          "text": "too"}],
    "float_label": [{"input_ids": [1, 2], "label": 0.5}, {"input_ids": [3, 4], "label": 2.0}],
    "label_ids": [{"input_ids": [1, 2], "label_ids": [0, 1]}, {"input_ids": [3, 4], "label_ids": [1, 1]}],
    "arrays": [{"input_ids": np.array([1, 2]), "mask": np.array([0.5, 1.0]), "none": None},
               {"input_ids": np.array([3, 4]), "mask": np.array([1.0, 0.0]), "none": None}],
    "tensors": [{"input_ids": torch.tensor([1, 2]), "label": torch.tensor(1), "label_ids": [3]},
                {"input_ids": torch.tensor([3, 4]), "label": torch.tensor(0), "label_ids": [4]}],
}


@pytest.mark.parametrize("rows", DEFAULT_CASES.values(), ids=DEFAULT_CASES.keys())
def test_default_data_collator(rows):
    assert_same_batch(*both(lambda lib, rows: lib.default_data_collator(rows), rows))
    assert_same_batch(*both(lambda lib, rows: lib.DefaultDataCollator()(rows), rows))


def test_set_seed_seeds_random_numpy_and_torch_as_transformers():
    def draws(lib):
        lib.set_seed(42)
        return random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist(), torch.randint(100, (4,)).tolist()

    ours = draws(leanformers)
    assert ours == draws(transformers)
    leanformers.set_seed(7)
    assert random.random() != ours[0]  # another seed, other draws


# --- bad input ---------------------------------------------------------------------------------------------------


def test_bad_input_says_what_to_fix(pair):
    _, tok = pair
    with pytest.raises(ValueError, match="includes input_ids"):
        tok.pad([{"ids": [1, 2]}])
    with pytest.raises(ValueError, match=r"encoded_inputs\[1\] has \['attention_mask'\].*same keys"):
        tok.pad([{"input_ids": [2, 3]}, {"attention_mask": [1]}])
    with pytest.raises(ValueError, match="different batch sizes"):
        tok.pad({"input_ids": [[2, 3], [2]], "labels": [1]})
    with pytest.raises(ValueError, match="return_tensors='pt'"):
        leanformers.DataCollatorForTokenClassification(tok, return_tensors="np")(features(tok))
    with pytest.raises(ValueError, match="mlm_probability=1.5 must be"):
        leanformers.DataCollatorForLanguageModeling(tok, mlm_probability=1.5)
    with pytest.raises(ValueError, match="must not exceed 1"):
        leanformers.DataCollatorForLanguageModeling(tok, mask_replace_prob=0.8, random_replace_prob=0.5)
    with pytest.raises(ValueError, match="whole_word_mask=False"):
        leanformers.DataCollatorForLanguageModeling(tok, whole_word_mask=True)
    mask = tok.mask_token
    try:
        tok.mask_token = None
        with pytest.raises(ValueError, match="pass mlm=False"):
            leanformers.DataCollatorForLanguageModeling(tok)
    finally:
        tok.mask_token = mask
