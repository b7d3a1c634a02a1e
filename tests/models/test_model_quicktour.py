"""The Transformers quicktour's "under the hood" section, end to end, with leanformers' own tokenizer, on a small
DistilBERT checkpoint built here (real uncased WordPiece vocabulary from the all-MiniLM-L6-v2 package), each step
compared with transformers on the same files."""

import logging

import pytest
import torch
import torch.nn.functional as F
import transformers

import leanformers
from support.tiny_models import assert_same_report, captured, max_abs_diff, minilm_folder, model_test_settings



@pytest.fixture(autouse=True)
def quiet_transformers():
    with model_test_settings(logging.ERROR):
        yield


SENTENCES = ["We are very happy to show you the 🤗 Transformers library.", "We hope you don't hate it."]


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """An sst-2-like classifier (NEGATIVE/POSITIVE) and a base MLM checkpoint, both with tokenizer files."""
    root = tmp_path_factory.mktemp("quicktour")
    tokenizer = transformers.DistilBertTokenizer(str(minilm_folder() / "vocab.txt"))
    config = dict(vocab_size=30522, dim=32, n_layers=2, n_heads=4, hidden_dim=37)
    torch.manual_seed(0)
    classifier = transformers.DistilBertForSequenceClassification(transformers.DistilBertConfig(
        **config, id2label={0: "NEGATIVE", 1: "POSITIVE"}, label2id={"NEGATIVE": 0, "POSITIVE": 1}))
    mlm = transformers.DistilBertForMaskedLM(transformers.DistilBertConfig(**config))
    for name, model in (("sst2", classifier), ("base", mlm)):
        with torch.no_grad():
            for param in model.parameters():
                param.add_(torch.randn_like(param) * 0.05)
        model.save_pretrained(root / name)
        tokenizer.save_pretrained(root / name)
    return root


def test_quicktour_flow(checkpoints, tmp_path):
    folder = checkpoints / "sst2"
    tokenizer = leanformers.AutoTokenizer.from_pretrained(folder)
    model = leanformers.AutoModelForSequenceClassification.from_pretrained(folder)
    reference = transformers.AutoModelForSequenceClassification.from_pretrained(folder, attn_implementation="eager")
    batch = tokenizer(SENTENCES, padding=True, truncation=True, max_length=512, return_tensors="pt")
    their_batch = transformers.AutoTokenizer.from_pretrained(folder)(
        SENTENCES, padding=True, truncation=True, max_length=512, return_tensors="pt")
    assert all(torch.equal(batch[k], their_batch[k]) for k in their_batch)
    assert batch["attention_mask"][1].sum() < batch["attention_mask"][0].sum()  # the batch is padded

    outputs = model(**batch)
    predictions = F.softmax(outputs.logits, dim=-1)
    assert predictions.shape == (2, 2) and torch.allclose(predictions.sum(-1), torch.ones(2))
    assert max_abs_diff(predictions, F.softmax(reference(**batch).logits, dim=-1)) <= 1e-6
    assert [model.config.id2label[i] for i in predictions.argmax(-1).tolist()] == [
        reference.config.id2label[i] for i in predictions.argmax(-1).tolist()]

    outputs = model(**batch, labels=torch.tensor([1, 0]))
    assert list(outputs.keys())[:2] == ["loss", "logits"] and outputs[0] is outputs.loss
    assert abs(outputs.loss.item() - reference(**batch, labels=torch.tensor([1, 0])).loss.item()) <= 1e-5

    outputs = model(**batch, output_hidden_states=True, output_attentions=True)
    theirs = reference(**batch, output_hidden_states=True, output_attentions=True)
    assert len(outputs.hidden_states) == 3 and len(outputs.attentions) == 2
    assert max_abs_diff(outputs.hidden_states, theirs.hidden_states) <= 1e-5
    assert max_abs_diff(outputs.attentions, theirs.attentions) <= 1e-5

    model.save_pretrained(tmp_path / "saved")
    tokenizer.save_pretrained(tmp_path / "saved")
    reloaded = leanformers.AutoModelForSequenceClassification.from_pretrained(tmp_path / "saved")
    batch = leanformers.AutoTokenizer.from_pretrained(tmp_path / "saved")(SENTENCES, padding=True,
                                                                          return_tensors="pt")
    assert torch.equal(reloaded(**batch).logits, model(**batch).logits)
    assert reloaded.config.id2label == {0: "NEGATIVE", 1: "POSITIVE"}


def test_num_labels_10_gives_the_load_warnings_and_a_10_way_head(checkpoints):
    """distilbert-base-uncased (an MLM checkpoint) loaded for 10-way classification: the MLM head is unused and
    pre_classifier/classifier are new. transformers 5 reports both in one "LOAD REPORT" warning; we give the same."""
    folder = checkpoints / "base"
    with model_test_settings(logging.WARNING), captured("transformers.modeling_utils") as theirs_log:
        reference = transformers.AutoModelForSequenceClassification.from_pretrained(folder, num_labels=10)
    with captured("leanformers.modeling") as ours_log:
        model = leanformers.AutoModelForSequenceClassification.from_pretrained(folder, num_labels=10)
    theirs_log = [m for m in theirs_log if "LOAD REPORT" in m]
    assert_same_report(theirs_log, ours_log)
    report = ours_log[0]
    assert "vocab_projector.bias" in report and "UNEXPECTED" in report
    for new in ("pre_classifier.weight", "pre_classifier.bias", "classifier.weight", "classifier.bias"):
        assert f"{new} " in report and "MISSING" in report
    assert model.classifier.out_features == reference.classifier.out_features == 10
    assert model.config.id2label == reference.config.id2label
    batch = leanformers.AutoTokenizer.from_pretrained(folder)(SENTENCES, padding=True, return_tensors="pt")
    assert model(**batch).logits.shape == (2, 10)
    # the shared weights came from the checkpoint
    assert torch.equal(model.distilbert.embeddings.word_embeddings.weight,
                       reference.distilbert.embeddings.word_embeddings.weight)



@pytest.mark.parametrize("head", ["Model", "ForSequenceClassification", "ForQuestionAnswering"])
def test_distilbert_ignores_token_type_ids_from_a_bert_tokenizer_as_transformers(head, tmp_path):
    from support.tiny_models import build_transformers_model, padded_batch

    reference = build_transformers_model("distilbert", head, "h32-l2")
    reference.save_pretrained(tmp_path)
    ours = getattr(leanformers, "DistilBert" + head).from_pretrained(tmp_path).eval()
    batch = padded_batch("distilbert")
    batch["token_type_ids"] = torch.zeros_like(batch["input_ids"])  # what a BertTokenizer adds
    with torch.no_grad():
        expected = reference(**batch)[0]
        got = ours(**batch)[0]
    assert max_abs_diff(got, expected) <= 1e-5
