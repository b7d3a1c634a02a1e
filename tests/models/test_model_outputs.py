"""Output objects behave as transformers' ModelOutput: attributes, keys, indices (loss first when labels are given),
slices, to_tuple() and return_dict=False tuples."""

import logging

import pytest
import torch
import transformers

import leanformers
from support.tiny_models import PREFIX, build_transformers_model, labels_for, max_abs_diff, model_test_settings, padded_batch


@pytest.fixture(autouse=True)
def quiet_transformers():
    with model_test_settings(logging.ERROR):
        yield


@pytest.mark.parametrize("arch,head", [("bert", "Model"), ("bert", "ForSequenceClassification"),
                                       ("distilbert", "ForQuestionAnswering"), ("roberta", "ForMaskedLM")])
@pytest.mark.parametrize("with_labels", [False, True])
def test_output_access_matches_transformers(tmp_path, arch, head, with_labels):
    build_transformers_model(arch, head, "h32-l2").save_pretrained(tmp_path)
    reference = getattr(transformers, PREFIX[arch] + head).from_pretrained(tmp_path, attn_implementation="eager")
    model = getattr(leanformers, PREFIX[arch] + head).from_pretrained(tmp_path)
    batch = padded_batch(arch)
    labels = labels_for(head, batch) if with_labels else {}
    for flags in ({}, {"output_hidden_states": True}, {"output_attentions": True, "output_hidden_states": True}):
        theirs = reference(**batch, **labels, **flags)
        ours = model(**batch, **labels, **flags)
        assert type(ours).__name__ == type(theirs).__name__
        assert list(ours.keys()) == list(theirs.keys())
        assert len(ours) == len(theirs) and len(ours.to_tuple()) == len(theirs.to_tuple())
        for i in range(len(theirs)):
            assert max_abs_diff(ours[i], theirs[i]) <= 1e-5
        assert max_abs_diff(ours[:2], theirs[:2]) <= 1e-5
        for key in theirs.keys():
            assert max_abs_diff(getattr(ours, key), ours[key]) == 0
        if with_labels and "loss" in theirs:
            assert ours[0] is ours.loss  # loss first
        for name in ("hidden_states", "attentions", "loss"):
            if name not in theirs.keys() and hasattr(theirs, name):
                assert getattr(ours, name) is None

        tuple_theirs = reference(**batch, **labels, **flags, return_dict=False)
        tuple_ours = model(**batch, **labels, **flags, return_dict=False)
        assert isinstance(tuple_ours, tuple) and len(tuple_ours) == len(tuple_theirs)
        assert max_abs_diff(tuple_ours, tuple_theirs) <= 1e-5


def test_return_dict_false_in_config(tmp_path):
    build_transformers_model("distilbert", "ForSequenceClassification", "h32-l2").save_pretrained(tmp_path)
    model = leanformers.DistilBertForSequenceClassification.from_pretrained(tmp_path, return_dict=False)
    out = model(**padded_batch("distilbert"), labels=torch.tensor([0, 1, 1]))
    assert isinstance(out, tuple) and out[0].dim() == 0 and out[1].shape == (3, 2)


def test_outputs_are_dicts_and_survive_pickling():
    import pickle

    from leanformers.outputs import SequenceClassifierOutput

    out = SequenceClassifierOutput(logits=torch.ones(2, 2), loss=torch.tensor(0.5))
    assert dict(out) == {"loss": out.loss, "logits": out.logits}
    out.hidden_states = (torch.zeros(1),)
    assert list(out.keys()) == ["loss", "logits", "hidden_states"]
    copy = pickle.loads(pickle.dumps(out))
    assert list(copy.keys()) == list(out.keys()) and torch.equal(copy.logits, out.logits)
