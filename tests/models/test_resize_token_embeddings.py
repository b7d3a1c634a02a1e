"""resize_token_embeddings against transformers, on tiny random checkpoints that transformers built and saved.

Every architecture, bare and with its language-model head (tied and untied): grown, shrunk and padded to a
multiple, under the same torch seed in both libraries, with mean_resizing on and off. The weights (the new
rows drawn by mean_resizing included) and the logits on inputs using the new ids agree within 1e-5, the
tying is kept, config.vocab_size follows, and the resized model is saved and read back by both libraries.
"""

import logging

import pytest
import torch
import transformers

import leanformers
from support.generative_models import bart_config, build, gpt2_config
from support.tiny_models import config_kwargs, model_test_settings

TOL = 1e-5
VOCAB = 99
# architecture (the start of a class name) -> a transformers config for it
CONFIGS = {
    "Bert": lambda **kw: transformers.BertConfig(**config_kwargs("bert", "h32-l2", **kw)),
    "DistilBert": lambda **kw: transformers.DistilBertConfig(**config_kwargs("distilbert", "h32-l2", **kw)),
    "Roberta": lambda **kw: transformers.RobertaConfig(**config_kwargs("roberta", "h32-l2", **kw)),
    "Electra": lambda **kw: transformers.ElectraConfig(**config_kwargs("electra", "h32-l2", embedding_size=24, **kw)),
    "GPT2": gpt2_config,
    "Bart": bart_config,
}
NAMES = ["BertModel", "BertForMaskedLM", "BertForSequenceClassification", "DistilBertModel", "DistilBertForMaskedLM",
         "RobertaModel", "RobertaForMaskedLM", "ElectraModel", "ElectraForMaskedLM", "GPT2Model", "GPT2LMHeadModel",
         "BartModel", "BartForConditionalGeneration"]
WITH_HEAD = ("BertForMaskedLM", "DistilBertForMaskedLM", "RobertaForMaskedLM", "ElectraForMaskedLM",
             "GPT2LMHeadModel", "BartForConditionalGeneration")
# (new_num_tokens, pad_to_multiple_of): grown, shrunk, grown to a multiple, padded only
SIZES = [(VOCAB + 7, None), (VOCAB - 10, None), (101, 16), (None, 64)]


@pytest.fixture(autouse=True)
def quiet_transformers():
    with model_test_settings(logging.ERROR):
        yield


def checkpoint(folder, name, tied=True):
    architecture = max((prefix for prefix in CONFIGS if name.startswith(prefix)), key=len)
    config = CONFIGS[architecture](**({} if tied else {"tie_word_embeddings": False}))
    build(name, config, scale=0.05).save_pretrained(folder)
    theirs = getattr(transformers, name).from_pretrained(folder, attn_implementation="eager").eval()
    return theirs, getattr(leanformers, name).from_pretrained(folder).eval()


def resized(model, seed, *args, **kwargs):
    torch.manual_seed(seed)
    return model.resize_token_embeddings(*args, **kwargs)


def outputs(model, vocab_size):
    """The logits (or last hidden states) on ids spread over the whole new vocabulary, the highest included."""
    ids = torch.linspace(3, vocab_size - 1, 12).long().view(2, 6)
    kwargs = {"input_ids": ids}
    if "Bart" in type(model).__name__:
        kwargs["decoder_input_ids"] = ids.flip(-1)
    with torch.no_grad():
        out = model(**kwargs)
    return out.logits if hasattr(out, "logits") else out.last_hidden_state


def assert_same_weights(ours, theirs):
    mine, reference = ours.state_dict(), theirs.state_dict()
    keys = mine.keys() & reference.keys()
    if type(ours).__name__ == "RobertaForMaskedLM" and not ours.config.tie_word_embeddings:
        # transformers leaves the unused lm_head.bias of an untied RoBERTa at the old size (so its checkpoint no
        # longer matches its config); leanformers resizes it with the decoder's bias, as transformers does for BERT
        keys.remove("lm_head.bias")
        assert torch.equal(ours.lm_head.bias, ours.lm_head.decoder.bias)
    for key in sorted(keys):
        assert mine[key].shape == reference[key].shape, key
        assert (mine[key].float() - reference[key].float()).abs().max() <= TOL, key


def tied_pairs(model):
    head = model.get_output_embeddings()
    return head is not None and head.weight is model.get_input_embeddings().weight


CASES = [(name, tied, size, mean) for name in NAMES for tied in ((True, False) if name in WITH_HEAD else (True,))
         for size in SIZES for mean in (True, False)]


@pytest.mark.parametrize("name, tied, size, mean_resizing", CASES)
def test_resize_matches_transformers(tmp_path, name, tied, size, mean_resizing):
    theirs, ours = checkpoint(tmp_path / "hf", name, tied)
    new_num_tokens, multiple = size
    expected = resized(theirs, 7, new_num_tokens, pad_to_multiple_of=multiple, mean_resizing=mean_resizing)
    embedding = resized(ours, 7, new_num_tokens, pad_to_multiple_of=multiple, mean_resizing=mean_resizing)
    assert embedding is ours.get_input_embeddings()
    assert tuple(embedding.weight.shape) == tuple(expected.weight.shape)
    assert (embedding.num_embeddings, embedding.padding_idx) == (expected.num_embeddings, expected.padding_idx)
    vocab_size = embedding.weight.shape[0]
    assert ours.config.vocab_size == theirs.config.vocab_size == vocab_size
    assert tied_pairs(ours) == tied_pairs(theirs) == (tied and name in WITH_HEAD)
    assert_same_weights(ours, theirs)
    assert (outputs(ours, vocab_size) - outputs(theirs, vocab_size)).abs().max() <= TOL

    ours.save_pretrained(tmp_path / "ours")
    again = getattr(leanformers, name).from_pretrained(tmp_path / "ours").eval()
    read_by_theirs = getattr(transformers, name).from_pretrained(tmp_path / "ours", attn_implementation="eager")
    assert again.config.vocab_size == read_by_theirs.config.vocab_size == vocab_size
    assert tied_pairs(again) == tied_pairs(ours)
    reference = outputs(ours, vocab_size)
    assert torch.equal(outputs(again, vocab_size), reference)
    assert (outputs(read_by_theirs.eval(), vocab_size) - reference).abs().max() <= TOL


OTHER_HEADS = ["BartForSequenceClassification", "BertForQuestionAnswering", "BertForTokenClassification",
               "DistilBertForQuestionAnswering", "DistilBertForSequenceClassification",
               "DistilBertForTokenClassification", "ElectraForPreTraining", "ElectraForSequenceClassification",
               "ElectraForTokenClassification", "GPT2ForSequenceClassification", "RobertaForQuestionAnswering",
               "RobertaForSequenceClassification", "RobertaForTokenClassification"]


@pytest.mark.parametrize("name", OTHER_HEADS)
def test_every_other_head_resizes_its_input_embedding(tmp_path, name):
    """Heads without an output embedding: the input embedding grown as transformers grows it, the outputs alike."""
    theirs, ours = checkpoint(tmp_path, name)
    assert ours.get_output_embeddings() is None and theirs.get_output_embeddings() is None
    expected, got = resized(theirs, 5, VOCAB + 9), resized(ours, 5, VOCAB + 9)
    assert torch.equal(got.weight, expected.weight) and ours.config.vocab_size == VOCAB + 9
    assert_same_weights(ours, theirs)
    ids = torch.linspace(3, VOCAB + 8, 12).long().view(2, 6)
    ids[:, -1] = 2  # BART's classifier reads the eos position
    kwargs = {"input_ids": ids, **({"decoder_input_ids": ids.flip(-1)} if name.startswith("Bart") else {})}
    if name.startswith("GPT2"):
        ours.config.pad_token_id = theirs.config.pad_token_id = 1  # finds each row's last token
    with torch.no_grad():
        mine, reference = ours(**kwargs), theirs(**kwargs)
    for field in ("logits", "start_logits", "end_logits"):
        if getattr(reference, field, None) is not None:
            assert (getattr(mine, field) - getattr(reference, field)).abs().max() <= TOL, field


def test_resize_draws_what_transformers_draws(tmp_path):
    """Seeded mean_resizing gives transformers' new rows exactly, and leaves the RNG where transformers leaves it."""
    theirs, ours = checkpoint(tmp_path, "BertForMaskedLM", tied=False)
    resized(theirs, 3, VOCAB + 5)
    after_theirs = torch.rand(4)
    resized(ours, 3, VOCAB + 5)
    assert torch.equal(torch.rand(4), after_theirs)
    assert torch.equal(ours.bert.embeddings.word_embeddings.weight, theirs.bert.embeddings.word_embeddings.weight)
    assert torch.equal(ours.cls.predictions.decoder.weight, theirs.cls.predictions.decoder.weight)
    assert torch.equal(ours.cls.predictions.decoder.bias, theirs.cls.predictions.decoder.bias)


def test_resize_without_a_size_returns_the_embedding(tmp_path):
    _, ours = checkpoint(tmp_path, "GPT2LMHeadModel")
    before = ours.get_input_embeddings().weight
    assert ours.resize_token_embeddings() is ours.get_input_embeddings()
    assert ours.get_input_embeddings().weight is before and ours.config.vocab_size == VOCAB


def test_pad_to_multiple_of_must_be_an_integer(tmp_path):
    theirs, ours = checkpoint(tmp_path, "GPT2LMHeadModel")
    for model in (theirs, ours):
        with pytest.raises(ValueError, match="integer"):
            model.resize_token_embeddings(120, pad_to_multiple_of=8.0)


def test_resized_model_trains(tmp_path):
    """The new rows get gradients like the old ones; BART's final_logits_bias stays frozen."""
    _, ours = checkpoint(tmp_path, "BartForConditionalGeneration")
    ours.resize_token_embeddings(VOCAB + 4)
    ids = torch.tensor([[3, VOCAB + 3, 5, 2]])
    ours(input_ids=ids, labels=ids).loss.backward()
    assert ours.model.shared.weight.grad[VOCAB + 3].abs().sum() > 0
    assert not ours.final_logits_bias.requires_grad


def test_mean_resizing_says_so_once(tmp_path, caplog):
    from leanformers.modeling import base

    base._say_mean_resizing.cache_clear()
    _, ours = checkpoint(tmp_path, "GPT2LMHeadModel")
    with caplog.at_level(logging.WARNING, logger="leanformers.modeling"):
        ours.resize_token_embeddings(VOCAB + 2)
        ours.resize_token_embeddings(VOCAB + 4)
        ours.resize_token_embeddings(VOCAB + 6, mean_resizing=False)
    assert [r.getMessage().count("mean_resizing=False") for r in caplog.records] == [1]


def test_num_labels_is_the_configs():
    for name, config in (("BertForSequenceClassification", leanformers.BertConfig(num_labels=5)),
                         ("DistilBertForTokenClassification", leanformers.DistilBertConfig(n_layers=1)),
                         ("GPT2ForSequenceClassification", leanformers.GPT2Config(n_embd=16, n_layer=1, n_head=2,
                                                                                  num_labels=3))):
        model = getattr(leanformers, name)(config)
        reference = getattr(transformers, name)(getattr(transformers, type(config).__name__)(**config.to_dict()))
        assert model.num_labels == reference.num_labels == config.num_labels
