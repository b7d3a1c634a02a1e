"""pipeline("token-classification") / "ner" against transformers' pipeline on the same tiny BERT
(WordPiece) and GPT-2-style byte-level BPE (RoBERTa-like tokenizer) checkpoints: every aggregation
strategy, ignore_labels, offsets, stride windows, lists of texts; scores within 1e-5; bad options."""

import logging
import warnings

import pytest

import leanformers
from support.generative_models import CORPUS, assert_same_result, wordpiece_checkpoint

transformers = pytest.importorskip("transformers")
LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]


@pytest.fixture(scope="module")
def pipes(tmp_path_factory):
    logging.getLogger("transformers").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="transformers")
    folder = wordpiece_checkpoint(tmp_path_factory.mktemp("bert"), "BertForTokenClassification",
                                  id2label=dict(enumerate(LABELS)), label2id={l: i for i, l in enumerate(LABELS)})
    return transformers.pipeline("ner", model=str(folder)), leanformers.pipeline("ner", model=str(folder))


TEXTS = [CORPUS[4], CORPUS[3], "Wolfgang lives in Berlinx, zorg!", "unknown £ symbols"]


@pytest.mark.parametrize("strategy", ["none", "simple", "first", "average", "max"])
@pytest.mark.parametrize("ignore_labels", [None, []])
def test_same_output_as_transformers(pipes, strategy, ignore_labels):
    theirs, ours = pipes
    kwargs = dict(aggregation_strategy=strategy)
    if ignore_labels is not None:
        kwargs["ignore_labels"] = ignore_labels
    assert_same_result(ours(TEXTS, **kwargs), theirs(TEXTS, **kwargs))
    assert_same_result(ours(TEXTS[0], **kwargs), theirs(TEXTS[0], **kwargs))


@pytest.mark.parametrize("strategy", ["simple", "first"])
def test_stride_windows(pipes, strategy):
    theirs, ours = pipes
    long_text = " ".join(CORPUS)
    for pipe in (theirs, ours):
        pipe.tokenizer.model_max_length = 24
    try:
        kwargs = dict(aggregation_strategy=strategy, stride=6, ignore_labels=[])
        assert_same_result(ours(long_text, **kwargs), theirs(long_text, **kwargs))
    finally:
        for pipe in (theirs, ours):
            pipe.tokenizer.model_max_length = 64


def test_bad_options(pipes):
    _, ours = pipes
    with pytest.raises(ValueError, match="aggregation_strategy must be one of"):
        ours("text", aggregation_strategy="mean")
    with pytest.raises(ValueError, match="stride"):
        ours("text", stride=4)
    with pytest.raises(ValueError, match="a text or a list of texts"):
        ours(None)
