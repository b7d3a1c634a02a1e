"""ELECTRA against transformers, on tiny random checkpoints that transformers built and saved.

Every head, with embedding_size equal to hidden_size (no projection) and different from it
(embeddings_project): logits, hidden states and attentions at every position (padding included),
losses, and the gradients of the loss for every parameter, within 1e-5. Then the Auto classes,
save_pretrained read back by transformers, the config files, and the tokenizer (BERT's).
"""

import json
import logging

import pytest
import torch
import transformers
from safetensors import safe_open

import leanformers
from support.sst2_checkpoint import UNCASED_VOCAB, require_vocab
from support.tiny_models import (assert_close, config_kwargs, gradients, labels_for, model_test_settings,
                                 padded_batch, randomise_trainable, scalar_loss)

HEADS = ("Model", "ForSequenceClassification", "ForTokenClassification", "ForMaskedLM", "ForPreTraining")
# (size of tiny_models.SIZES, embedding_size): equal to hidden_size, narrower, and one head with one layer
SHAPES = {"h32-e32": ("h32-l2", 32), "h32-e24": ("h32-l2", 24), "h48-e20": ("h48-l3", 20), "h16-e8": ("h16-l1", 8)}
CASES = [(head, shape) for head in HEADS for shape in ("h32-e32", "h32-e24", "h48-e20")]
CASES += [("ForSequenceClassification", "h16-e8"), ("ForPreTraining", "h16-e8")]
AUTO = {"Model": "AutoModel", "ForSequenceClassification": "AutoModelForSequenceClassification",
        "ForTokenClassification": "AutoModelForTokenClassification", "ForMaskedLM": "AutoModelForMaskedLM",
        "ForPreTraining": "AutoModelForPreTraining"}


@pytest.fixture(autouse=True)
def quiet_transformers():
    with model_test_settings(logging.ERROR):
        yield


def save_electra(folder, head, shape, seed=0, **config_extra):
    """A random ELECTRA checkpoint saved by transformers into `folder`; returns transformers' model read back from
    it, with eager attention (the path that returns attention probabilities)."""
    size, embedding_size = SHAPES[shape]
    config = transformers.ElectraConfig(**config_kwargs("electra", size, embedding_size=embedding_size, **config_extra))
    torch.manual_seed(seed)
    randomise_trainable(getattr(transformers, "Electra" + head)(config), seed).save_pretrained(folder)
    return getattr(transformers, "Electra" + head).from_pretrained(folder, attn_implementation="eager").eval()


def batch_for(seed=0, batch_size=3, seq_len=9):
    return padded_batch("bert", batch_size, seq_len, seed=seed)  # ELECTRA's inputs are BERT's: pad id 0, segments


def head_labels(head, batch, seed=0, **kwargs):
    if head == "ForPreTraining":  # 1 = replaced; padded positions get labels too, which the loss must skip
        g = torch.Generator().manual_seed(seed)
        return {"labels": torch.randint(0, 2, batch["input_ids"].shape, generator=g)}
    return labels_for(head, batch, seed=seed, **kwargs)


@pytest.mark.parametrize("head,shape", CASES)
def test_outputs_losses_and_gradients_match_transformers(tmp_path, head, shape):
    reference = save_electra(tmp_path, head, shape)
    model = getattr(leanformers, "Electra" + head).from_pretrained(tmp_path)
    assert not model.training
    has_projection = SHAPES[shape][1] != config_kwargs("electra", SHAPES[shape][0])["hidden_size"]
    assert hasattr(model.base_model, "embeddings_project") == hasattr(reference.base_model, "embeddings_project") \
        == has_projection
    batch = batch_for(seed=SHAPES[shape][1])
    labels = head_labels(head, batch)

    theirs = reference(**batch, **labels, output_hidden_states=True, output_attentions=True)
    ours = model(**batch, **labels, output_hidden_states=True, output_attentions=True)
    assert list(ours.keys()) == list(theirs.keys())
    assert_close(ours, theirs)
    assert len(ours.hidden_states) == reference.config.num_hidden_layers + 1

    scalar_loss(head, theirs).backward()
    scalar_loss(head, ours).backward()
    assert_close(gradients(model), gradients(reference))
    assert all(g is not None for g in gradients(model).values())


@pytest.mark.parametrize("problem_type,num_labels", [("regression", 1), ("multi_label_classification", 3),
                                                     ("single_label_classification", 3)])
def test_sequence_classification_losses(tmp_path, problem_type, num_labels):
    # problem_type left unset: both infer it from num_labels and the labels' dtype
    reference = save_electra(tmp_path, "ForSequenceClassification", "h32-e24", num_labels=num_labels)
    model = leanformers.ElectraForSequenceClassification.from_pretrained(tmp_path)
    batch = batch_for()
    labels = labels_for("ForSequenceClassification", batch, num_labels, problem_type)
    theirs, ours = reference(**batch, **labels), model(**batch, **labels)
    assert_close(ours, theirs)
    assert model.config.problem_type == reference.config.problem_type == problem_type
    theirs.loss.backward()
    ours.loss.backward()
    assert_close(gradients(model), gradients(reference))


@pytest.mark.parametrize("shape", ["h32-e32", "h32-e24"])
def test_fused_attention_no_mask_and_inputs_embeds(tmp_path, shape):
    """transformers' default attention (sdpa) against torch's fused kernel here; the discriminator loss without an
    attention mask (every position counts); inputs_embeds of embedding_size."""
    save_electra(tmp_path, "ForPreTraining", shape)
    reference = transformers.ElectraForPreTraining.from_pretrained(tmp_path).eval()
    assert reference.config._attn_implementation == "sdpa"
    model = leanformers.ElectraForPreTraining.from_pretrained(tmp_path)
    batch = batch_for(seed=1, batch_size=4, seq_len=12)
    labels = head_labels("ForPreTraining", batch)
    input_ids = batch.pop("input_ids")
    embeds = model.get_input_embeddings()(input_ids).detach()
    assert embeds.shape[-1] == SHAPES[shape][1]
    for inputs in ({**batch, "input_ids": input_ids}, {"input_ids": input_ids}, {**batch, "inputs_embeds": embeds}):
        with torch.no_grad():
            assert_close(model(**inputs, **labels, output_hidden_states=True),
                         reference(**inputs, **labels, output_hidden_states=True))


def test_auto_classes_pick_electra(tmp_path):
    for head, auto in AUTO.items():
        folder = tmp_path / head
        save_electra(folder, head, "h32-e24")
        ours, theirs = getattr(leanformers, auto).from_pretrained(folder), getattr(transformers, auto).from_pretrained(
            folder)
        assert type(ours).__name__ == type(theirs).__name__
        assert type(leanformers.AutoConfig.from_pretrained(folder)).__name__ == \
            type(transformers.AutoConfig.from_pretrained(folder)).__name__
        assert type(leanformers.AutoConfig.for_model("electra")) is leanformers.ElectraConfig


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("shape", ["h32-e32", "h32-e24"])
def test_leanformers_save_loads_in_transformers(tmp_path, head, shape):
    save_electra(tmp_path / "hf", head, shape, seed=3)
    model = getattr(leanformers, "Electra" + head).from_pretrained(tmp_path / "hf")
    model.save_pretrained(tmp_path / "lean")
    reference, info = getattr(transformers, "Electra" + head).from_pretrained(
        tmp_path / "lean", attn_implementation="eager", output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    keys = []
    for side in ("hf", "lean"):
        with safe_open(tmp_path / side / "model.safetensors", "pt") as f:
            keys.append(sorted(f.keys()))
    assert keys[0] == keys[1]  # the same tensors under the same names (a tied matrix stored once)
    configs = [json.loads((tmp_path / side / "config.json").read_text()) for side in ("hf", "lean")]
    assert configs[0] == configs[1]
    batch = batch_for(seed=4)
    labels = head_labels(head, batch)
    assert_close(model(**batch, **labels, output_hidden_states=True, output_attentions=True),
                 reference(**batch, **labels, output_hidden_states=True, output_attentions=True))


def test_config_defaults_and_fresh_model_round_trip(tmp_path):
    assert leanformers.ElectraConfig().to_diff_dict() == transformers.ElectraConfig().to_diff_dict()
    config = leanformers.ElectraConfig(**config_kwargs("electra", "h32-l2", embedding_size=16))
    torch.manual_seed(0)
    model = leanformers.ElectraForMaskedLM(config).eval()  # random init, tied generator matrix
    assert model.generator_lm_head.weight is model.electra.embeddings.word_embeddings.weight
    model.save_pretrained(tmp_path)
    reference = transformers.ElectraForMaskedLM.from_pretrained(tmp_path).eval()
    batch = batch_for()
    assert_close(model(**batch), reference(**batch))


def test_dropout_in_train_mode(tmp_path):
    save_electra(tmp_path, "ForSequenceClassification", "h32-e24")
    model = leanformers.ElectraForSequenceClassification.from_pretrained(tmp_path)
    batch = batch_for()
    with torch.no_grad():
        assert torch.equal(model(**batch).logits, model(**batch).logits)
        model.train()
        assert not torch.equal(model(**batch).logits, model(**batch).logits)


# ---- tokenizer: BERT's --------------------------------------------------------------------------------------------

TEXTS = ["Hello world!", "The quick brown fox jumps over the lazy dog.", "ELECTRA détecte les jetons remplacés 🤗",
         "", "un-believable, isn't it?"]


@pytest.fixture
def tokenizer_folder(tmp_path):
    """An ELECTRA checkpoint folder as transformers saves one: config.json, weights and its tokenizer files."""
    require_vocab()
    folder = tmp_path / "electra"
    save_electra(folder, "ForPreTraining", "h32-e24", vocab_size=30522)
    transformers.ElectraTokenizer(vocab_file=str(UNCASED_VOCAB)).save_pretrained(folder)
    return folder


def assert_same_ids(ours, theirs):
    assert ours(TEXTS, padding=True)["input_ids"] == theirs(TEXTS, padding=True)["input_ids"]
    assert dict(ours(TEXTS[1], TEXTS[2])) == dict(theirs(TEXTS[1], TEXTS[2]))


def test_auto_tokenizer_matches_transformers(tokenizer_folder, tmp_path):
    ours, theirs = leanformers.AutoTokenizer.from_pretrained(tokenizer_folder), \
        transformers.AutoTokenizer.from_pretrained(tokenizer_folder)
    assert type(ours).__name__ == type(theirs).__name__
    assert_same_ids(ours, theirs)
    # one class under both names, as in transformers
    assert (leanformers.ElectraTokenizer is leanformers.BertTokenizer) == \
        (transformers.ElectraTokenizer is transformers.BertTokenizer)
    assert (leanformers.ElectraTokenizerFast is leanformers.BertTokenizer) == \
        (transformers.ElectraTokenizerFast is transformers.BertTokenizer)
    # a transformers 4.x folder names the class ElectraTokenizerFast; without a tokenizer_class, model_type decides
    config_file = tokenizer_folder / "tokenizer_config.json"
    config = json.loads(config_file.read_text())
    for tokenizer_class in ("ElectraTokenizerFast", "ElectraTokenizer", None):
        config.pop("tokenizer_class", None)
        if tokenizer_class is not None:
            config["tokenizer_class"] = tokenizer_class
        config_file.write_text(json.dumps(config))
        ours, theirs = leanformers.AutoTokenizer.from_pretrained(tokenizer_folder), \
            transformers.AutoTokenizer.from_pretrained(tokenizer_folder)
        assert type(ours).__name__ == type(theirs).__name__, tokenizer_class
        assert_same_ids(ours, theirs)


def test_tokenizer_save_is_bert_tokenizer_save(tokenizer_folder, tmp_path):
    """Saving what AutoTokenizer gave for ELECTRA writes exactly the files the BERT tokenizer writes, and
    transformers reads them back to the same ids."""
    leanformers.AutoTokenizer.from_pretrained(tokenizer_folder).save_pretrained(tmp_path / "auto")
    leanformers.BertTokenizer.from_pretrained(tokenizer_folder).save_pretrained(tmp_path / "bert")
    names = sorted(p.name for p in (tmp_path / "auto").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "bert").iterdir())
    for name in names:
        assert (tmp_path / "auto" / name).read_bytes() == (tmp_path / "bert" / name).read_bytes(), name
    assert_same_ids(leanformers.AutoTokenizer.from_pretrained(tmp_path / "auto"),
                    transformers.AutoTokenizer.from_pretrained(tokenizer_folder))
    assert_same_ids(transformers.AutoTokenizer.from_pretrained(tmp_path / "auto"),
                    transformers.AutoTokenizer.from_pretrained(tokenizer_folder))
