"""pipeline("fill-mask") against transformers' pipeline on the same tiny BERT (WordPiece) and BART
(byte-level BPE, <mask>) checkpoints: top_k, targets (in and out of the vocabulary), several masks, lists
of texts; scores within 1e-5; a text without a mask token is a clear error."""

import logging
import warnings

import pytest

import leanformers
from support.generative_models import assert_same_result, bart_config, bpe_checkpoint, wordpiece_checkpoint

transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module", params=["bert", "bart"])
def pipes(request, tmp_path_factory):
    logging.getLogger("transformers").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="transformers")
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "bert":
        wordpiece_checkpoint(folder, "BertForMaskedLM")
        mask = "[MASK]"
    else:
        bpe_checkpoint(folder, "BartForConditionalGeneration", bart_config(), "BartTokenizerFast")
        mask = "<mask>"
    return (transformers.pipeline("fill-mask", model=str(folder)), leanformers.pipeline("fill-mask", model=str(folder)),
            mask)


CALLS = {
    "default": dict(),
    "top-3": dict(top_k=3),
    "targets": dict(targets=["paris", "berlin", "the", "france"]),
    "target-outside-vocabulary": dict(targets=["parisian", "dog"], top_k=1),
}


@pytest.mark.parametrize("call", sorted(CALLS))
def test_same_output_as_transformers(pipes, call):
    theirs, ours, mask = pipes
    texts = [f"paris is the {mask} of france.", f"my name is {mask} and i live in {mask}.", f"{mask}"]
    for inputs in (texts[0], texts[1], texts, texts[:1]):
        assert_same_result(ours(inputs, **CALLS[call]), theirs(inputs, **CALLS[call]))


def test_text_without_mask_token(pipes):
    _, ours, mask = pipes
    with pytest.raises(ValueError, match=r"No mask_token .* found in the input 'no mask here'"):
        ours(["paris is the capital", "no mask here"][1:])
    with pytest.raises(ValueError, match="top_k, targets"):
        ours(f"the {mask}", topk=2)
