"""Adapters cross between leanformers and peft: saved by one, loaded by the other on the same base checkpoint
(a tiny BERT saved by transformers), the logits agree within 1e-5, before and after merging."""

import pytest
import torch

from leanformers.lora import add_lora, load_lora, merge_lora, save_lora
from leanformers.models.bert import BertForSequenceClassification
from support.sst2_checkpoint import one_torch_thread  # noqa: F401 (autouse fixture)
from support.tiny_models import build_transformers_model, padded_batch, randomise_trainable

peft = pytest.importorskip("peft", reason="peft (a test dependency: pip install -e '.[test]') is not installed")

TARGETS = ["query", "key", "value", "dense"]



@pytest.fixture(scope="module")
def base(tmp_path_factory):
    folder = tmp_path_factory.mktemp("base")
    build_transformers_model("bert", "ForSequenceClassification", "h32-l2", num_labels=3).save_pretrained(folder)
    return folder


def logits(model):
    with torch.no_grad():
        return model(**padded_batch("bert")).logits


def transformers_base(folder):
    from transformers import BertForSequenceClassification as Theirs

    return Theirs.from_pretrained(folder).eval()


@pytest.mark.parametrize("rslora", [False, True])
def test_adapter_saved_by_leanformers_loads_in_peft(base, tmp_path, rslora):
    ours = randomise_trainable(add_lora(BertForSequenceClassification.from_pretrained(base), r=4, alpha=8,
                                        dropout=0.1, target_modules=TARGETS, use_rslora=rslora), seed=1)
    save_lora(ours, tmp_path)
    theirs = peft.PeftModel.from_pretrained(transformers_base(base), tmp_path).eval()
    torch.testing.assert_close(logits(theirs), logits(ours), rtol=0, atol=1e-5)
    torch.testing.assert_close(logits(theirs.merge_and_unload()), logits(merge_lora(ours)), rtol=0, atol=1e-5)


def test_adapter_saved_by_peft_loads_in_leanformers(base, tmp_path):
    config = peft.LoraConfig(task_type=peft.TaskType.SEQ_CLS, r=4, lora_alpha=16, lora_dropout=0.1,
                             target_modules=TARGETS)
    theirs = randomise_trainable(peft.get_peft_model(transformers_base(base), config), seed=2)
    theirs.save_pretrained(tmp_path)
    ours = load_lora(BertForSequenceClassification.from_pretrained(base), tmp_path)
    torch.testing.assert_close(logits(ours), logits(theirs), rtol=0, atol=1e-5)
    torch.testing.assert_close(logits(merge_lora(ours)), logits(theirs.merge_and_unload()), rtol=0, atol=1e-5)


def test_regex_target_modules_from_peft(base, tmp_path):
    """peft also takes target_modules as a regular expression over full module names."""
    config = peft.LoraConfig(task_type=peft.TaskType.SEQ_CLS, r=2, lora_alpha=4,
                             target_modules=r".*layer\.1\.attention\.self\.(query|value)")
    theirs = randomise_trainable(peft.get_peft_model(transformers_base(base), config), seed=3)
    theirs.save_pretrained(tmp_path)
    ours = load_lora(BertForSequenceClassification.from_pretrained(base), tmp_path)
    assert sum(".lora_A." in n for n, _ in ours.named_parameters()) == 2
    torch.testing.assert_close(logits(ours), logits(theirs), rtol=0, atol=1e-5)
