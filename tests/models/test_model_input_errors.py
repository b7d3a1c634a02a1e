"""Bad inputs to a model's forward: each a clear error naming the argument, what is wrong and the fix, raised before
the model runs (transformers raises an IndexError, an AttributeError or a shape error from inside torch, or runs).
Valid inputs give the same outputs as before; the checks run once per call, and once per generate()."""

import logging
import re

import pytest
import torch
import transformers

import leanformers
from leanformers.modeling import inputs
from leanformers.modeling.inputs import IdOutOfRangeError
from support.generative_models import bart_config, build, gpt2_config
from support.tiny_models import VOCAB, build_transformers_model, config_kwargs, model_test_settings, padded_batch

# architecture -> the transformers model with a sequence-classification head (every architecture has one)
BUILDERS = {
    "bert": lambda: build_transformers_model("bert", "ForSequenceClassification", "h32-l2"),
    "distilbert": lambda: build_transformers_model("distilbert", "ForSequenceClassification", "h32-l2"),
    "roberta": lambda: build_transformers_model("roberta", "ForSequenceClassification", "h32-l2"),
    "electra": lambda: build("ElectraForSequenceClassification",
                             transformers.ElectraConfig(**config_kwargs("electra", "h32-l2", embedding_size=24))),
    "gpt2": lambda: build("GPT2ForSequenceClassification", gpt2_config(pad_token_id=1)),
    "bart": lambda: build("BartForSequenceClassification", bart_config()),
}
TOKEN_TYPES = ("bert", "roberta", "electra")  # the architectures with a token type table


@pytest.fixture(autouse=True)
def quiet_transformers():
    with model_test_settings(logging.ERROR):
        yield


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """architecture -> (transformers model, leanformers model loaded from its checkpoint), built once."""
    logging.getLogger("transformers").setLevel(logging.ERROR)
    pairs = {}
    for arch, builder in BUILDERS.items():
        theirs = builder()
        folder = tmp_path_factory.mktemp(arch)
        theirs.save_pretrained(folder)
        pairs[arch] = theirs, leanformers.AutoModelForSequenceClassification.from_pretrained(folder)
    return pairs


def ids(batch=2, length=6):
    """Valid ids ending in BART's eos (2), which its classifier pools at; no pad id (0 or 1) inside."""
    out = torch.arange(batch * length).view(batch, length) % (VOCAB - 3) + 3
    out[:, -1] = 2
    return out


@pytest.mark.parametrize("arch", list(BUILDERS))
@pytest.mark.parametrize("bad", [VOCAB, VOCAB + 500, -1])
def test_id_outside_the_vocabulary(models, arch, bad):
    theirs, ours = models[arch]
    input_ids = ids()
    input_ids[1, 3] = bad
    with pytest.raises(IndexError):
        theirs(input_ids=input_ids)
    with pytest.raises(IdOutOfRangeError, match=rf"input_ids holds {bad} at \[1, 3\], but the model's vocab_size is "
                                                rf"{VOCAB}: ids must lie in \[0, {VOCAB}\)") as caught:
        ours(input_ids=input_ids)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, IndexError)  # both catch it
    fix = "negative ids are not tokens" if bad < 0 else "another model's tokenizer"
    assert fix in str(caught.value)


@pytest.mark.parametrize("arch", ["bert", "gpt2", "bart"])
def test_float_ids(models, arch):
    theirs, ours = models[arch]
    with pytest.raises(RuntimeError):
        theirs(input_ids=ids().float())
    with pytest.raises(TypeError, match=r"input_ids has dtype torch\.float32, but ids must be integers .*"
                                        r"input_ids\.long\(\)"):
        ours(input_ids=ids().float())


@pytest.mark.parametrize("arch", ["bert", "distilbert", "gpt2"])
def test_python_list_as_input_ids(models, arch):
    theirs, ours = models[arch]
    with pytest.raises((AttributeError, TypeError)):
        theirs(input_ids=ids().tolist())
    with pytest.raises(TypeError, match=r"input_ids must be a torch\.Tensor, got a list\. Pass torch\.tensor\(input_ids"
                                        r"\) or call the tokenizer with return_tensors='pt'"):
        ours(input_ids=ids().tolist())
    with pytest.raises(TypeError, match=r"attention_mask must be a torch\.Tensor, got a list"):
        ours(input_ids=ids(), attention_mask=[[1] * 6] * 2)


def test_one_dimensional_input_ids(models):
    with pytest.raises(ValueError, match=r"input_ids must be 2-D \(batch, sequence\), got shape \(6,\); add a batch "
                                         r"dimension with input_ids\[None\]"):
        models["bert"][1](input_ids=ids()[0])


@pytest.mark.parametrize("arch", TOKEN_TYPES)
def test_token_type_past_type_vocab_size(models, arch):
    theirs, ours = models[arch]
    token_type_ids = torch.zeros(2, 6, dtype=torch.long)
    token_type_ids[0, 4] = 2
    with pytest.raises(IndexError):
        theirs(input_ids=ids(), token_type_ids=token_type_ids)
    with pytest.raises(IdOutOfRangeError, match=r"token_type_ids holds 2 at \[0, 4\], but the model's type_vocab_size "
                                                r"is 2: ids must lie in \[0, 2\); pass the token_type_ids of this "
                                                r"model's tokenizer, or leave token_type_ids out"):
        ours(input_ids=ids(), token_type_ids=token_type_ids)


def test_token_types_are_ignored_by_distilbert_and_are_tokens_for_gpt2(models):
    theirs, ours = models["distilbert"]  # no token type table: ignored, as transformers ignores them
    for token_type_ids in (torch.full((2, 6), 7), torch.full((2, 6), 0.5)):
        assert torch.equal(ours(input_ids=ids(), token_type_ids=token_type_ids).logits, ours(input_ids=ids()).logits)
    theirs, ours = models["gpt2"]  # looked up in the token embeddings: below vocab_size
    with pytest.raises(IdOutOfRangeError, match=rf"token_type_ids holds {VOCAB} at \[0, 0\], but the model's "
                                                rf"vocab_size is {VOCAB}"):
        ours(input_ids=ids(), token_type_ids=torch.full((2, 6), VOCAB))


@pytest.mark.parametrize("arch", ["bert", "distilbert", "gpt2", "bart"])
@pytest.mark.parametrize("shape", [(2, 7), (2, 5), (1, 6), (2, 6, 1)])
def test_attention_mask_of_another_shape(models, arch, shape):
    """transformers refuses some of these deep inside torch and silently runs others (a longer mask is cut)."""
    ours = models[arch][1]
    with pytest.raises(ValueError, match=rf"attention_mask has shape {re.escape(str(shape))}, but input_ids is 2 x 6 "
                                         r"tokens: the mask needs one entry per token, shape \(2, 6\)\. Pass the "
                                         r"attention_mask the tokenizer returned"):
        ours(input_ids=ids(), attention_mask=torch.ones(shape, dtype=torch.long))


def test_decoder_attention_mask_of_another_shape(models):
    ours = models["bart"][1]
    with pytest.raises(ValueError, match=r"decoder_attention_mask has shape \(2, 4\), but decoder_input_ids is 2 x 3 "
                                         r"tokens: the mask needs one entry per token, shape \(2, 3\)"):
        ours(input_ids=ids(), decoder_input_ids=ids(2, 3), decoder_attention_mask=torch.ones(2, 4))


def test_attention_mask_with_a_cache_covers_the_cached_tokens(tmp_path):
    """One step after a 6-token prompt: the mask has 6 + 1 entries; a mask of the new token only is refused."""
    build("GPT2LMHeadModel", gpt2_config()).save_pretrained(tmp_path)
    model = leanformers.GPT2LMHeadModel.from_pretrained(tmp_path)
    cache = model(input_ids=ids(), use_cache=True).cache
    step = torch.tensor([[5], [6]])
    with pytest.raises(ValueError, match=r"attention_mask has shape \(2, 1\), but input_ids is 2 x 1 tokens: the mask "
                                         r"needs one entry per token, shape \(2, 7\), 6 cached and 1 new tokens"):
        model(input_ids=step, attention_mask=torch.ones(2, 1), cache=cache, use_cache=True)
    out = model(input_ids=step, attention_mask=torch.ones(2, 7), cache=cache, use_cache=True)
    assert out.logits.shape[:2] == (2, 1)


@pytest.mark.parametrize("arch", list(BUILDERS))
def test_labels_of_another_batch_size(models, arch):
    theirs, ours = models[arch]
    labels = torch.tensor([0, 1, 1])
    with pytest.raises(Exception):
        theirs(input_ids=ids(), labels=labels)
    with pytest.raises(ValueError, match=r"labels has shape \(3,\), a batch of 3, but input_ids has a batch of 2: give "
                                         r"one label per row, from the same batch as the inputs"):
        ours(input_ids=ids(), labels=labels)


def test_token_labels_and_answer_positions_of_another_batch_size(tmp_path):
    for head in ("ForTokenClassification", "ForQuestionAnswering"):
        build_transformers_model("bert", head, "h32-l2").save_pretrained(tmp_path / head)
    tagger = leanformers.BertForTokenClassification.from_pretrained(tmp_path / "ForTokenClassification")
    with pytest.raises(ValueError, match=r"labels has shape \(1, 6\), a batch of 1, but input_ids has a batch of 2"):
        tagger(input_ids=ids(), labels=torch.zeros(1, 6, dtype=torch.long))
    reader = leanformers.BertForQuestionAnswering.from_pretrained(tmp_path / "ForQuestionAnswering")
    with pytest.raises(ValueError, match=r"end_positions has shape \(3,\), a batch of 3, but input_ids has a batch of"):
        reader(input_ids=ids(), start_positions=torch.tensor([1, 2]), end_positions=torch.tensor([1, 2, 3]))


@pytest.mark.parametrize("arch", ["bert", "distilbert", "gpt2", "bart"])
def test_empty_sequence(models, arch):
    theirs, ours = models[arch]
    empty = torch.zeros(2, 0, dtype=torch.long)
    with pytest.raises(Exception):
        theirs(input_ids=empty)
    with pytest.raises(ValueError, match=r"input_ids has shape \(2, 0\): a sequence of length 0\. Each row needs at "
                                         r"least one token; leave empty texts out of the batch"):
        ours(input_ids=empty)
    with pytest.raises(ValueError, match=r"inputs_embeds has shape \(2, 0, 32\): a sequence of length 0"):
        ours(inputs_embeds=torch.zeros(2, 0, 32))


@pytest.mark.parametrize("arch", ["bert", "gpt2"])
def test_float_labels_on_a_single_label_classifier(models, arch, monkeypatch):
    theirs, ours = models[arch]
    for model in (theirs, ours):
        monkeypatch.setattr(model.config, "problem_type", "single_label_classification")
    float_labels = torch.tensor([1.0, 0.0])
    with pytest.raises(RuntimeError):
        theirs(input_ids=ids(), labels=float_labels)
    with pytest.raises(TypeError, match=r"labels has dtype torch\.float32, but this head does single-label "
                                        r"classification \(num_labels=2, problem_type='single_label_classification'\): "
                                        r"labels must be class ids.*labels\.long\(\)"):
        ours(input_ids=ids(), labels=float_labels)
    # the class ids themselves give transformers' loss
    assert torch.allclose(ours(input_ids=ids(), labels=float_labels.long()).loss,
                          theirs(input_ids=ids(), labels=float_labels.long()).loss, atol=1e-6)


def test_float_labels_of_one_per_row_without_problem_type(models, monkeypatch):
    """Float labels mean multi-label classification, which needs one float per label; (batch,) is refused, and the
    refused call does not fix the problem_type, so class ids still mean single-label classification after it."""
    theirs, ours = models["bert"]
    for model in (theirs, ours):
        monkeypatch.setattr(model.config, "problem_type", None)  # the first call with labels sets it
    with pytest.raises(ValueError, match=r"labels has shape \(2,\) and dtype torch\.float32, which means "
                                         r"multi-label classification .* needs the shape of the logits, \(2, 2\)"
                                         r".*labels\.long\(\)"):
        ours(input_ids=ids(), labels=torch.tensor([1.0, 0.0]))
    assert ours.config.problem_type is None
    multi = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    assert torch.allclose(ours(input_ids=ids(), labels=multi).loss, theirs(input_ids=ids(), labels=multi).loss,
                          atol=1e-6)


@pytest.mark.parametrize("arch", list(BUILDERS))
def test_valid_inputs_give_the_outputs_of_an_unchecked_call(models, arch):
    """The checks change nothing: the same logits as with them off, given by keyword or by position."""
    theirs, ours = models[arch]
    batch = {"input_ids": ids(3, 8), "attention_mask": torch.ones(3, 8, dtype=torch.long)}
    batch["attention_mask"][1:, 6:] = 0
    if arch in TOKEN_TYPES:
        batch["token_type_ids"] = (torch.arange(8) >= 4).long().expand(3, -1)
    checked = ours(**batch, labels=torch.tensor([0, 1, 1])).logits
    with inputs.unchecked():
        unchecked = ours(**batch, labels=torch.tensor([0, 1, 1])).logits
    assert torch.equal(checked, unchecked)
    assert torch.equal(ours(batch["input_ids"], attention_mask=batch["attention_mask"]).logits,
                       ours(**{key: batch[key] for key in ("input_ids", "attention_mask")}).logits)
    expected = theirs(**batch).logits
    assert torch.allclose(checked, expected, atol=1e-5), (checked - expected).abs().max()


def test_checked_once_per_call_and_once_per_generate(tmp_path, monkeypatch):
    """A head checks its inputs; the base model it calls does not again. generate() checks the prompt, not the
    tokens of each step (which come from the logits): no check, and no device sync, per step."""
    calls = []
    check = inputs._check_ranges
    monkeypatch.setattr(inputs, "_check_ranges", lambda limits: (calls.append(len(limits)), check(limits)))
    build_transformers_model("bert", "ForMaskedLM", "h32-l2").save_pretrained(tmp_path / "bert")
    leanformers.BertForMaskedLM.from_pretrained(tmp_path / "bert")(**padded_batch("bert"))
    assert calls == [2]  # input_ids and token_type_ids, in one check
    build("GPT2LMHeadModel", gpt2_config()).save_pretrained(tmp_path / "gpt2")
    model = leanformers.GPT2LMHeadModel.from_pretrained(tmp_path / "gpt2")
    calls.clear()
    assert model.generate(ids(), max_new_tokens=5, min_new_tokens=5).shape == (2, 11)
    assert calls == [1]
    prompt = ids()
    prompt[0, 0] = VOCAB
    with pytest.raises(IdOutOfRangeError, match=r"input_ids holds 99 at \[0, 0\]"):
        model.generate(prompt, max_new_tokens=5)


def test_encoder_decoder_generate_checks_the_encoder_prompt(tmp_path):
    build("BartForConditionalGeneration", bart_config()).save_pretrained(tmp_path)
    model = leanformers.BartForConditionalGeneration.from_pretrained(tmp_path)
    prompt = ids()
    prompt[1, 2] = -5
    with pytest.raises(IdOutOfRangeError, match=r"input_ids holds -5 at \[1, 2\]"):
        model.generate(prompt, max_new_tokens=3)
    with pytest.raises(ValueError, match=r"attention_mask has shape \(2, 5\), but input_ids is 2 x 6 tokens"):
        model.generate(ids(), attention_mask=torch.ones(2, 5, dtype=torch.long), max_new_tokens=3)
