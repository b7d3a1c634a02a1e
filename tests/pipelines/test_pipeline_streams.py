"""Pipelines on streams, against transformers' pipeline on the same tiny GPT-2 and SST-2-style checkpoints: a
pt_utils.KeyDataset and a generator give an iterator of results (read as it goes), equal to transformers' for
greedy and seeded sampling calls, batched or not."""

import inspect
import pytest
import torch

import leanformers
from leanformers.pipelines.pt_utils import KeyDataset
from support.generative_models import assert_same_result, text_generation_pipelines

transformers = pytest.importorskip("transformers")
from transformers.pipelines.pt_utils import KeyDataset as TheirKeyDataset  # noqa: E402

ROWS = [{"text": "Once upon a time", "label": 0}, {"text": "The quick brown fox jumps over", "label": 1},
        {"text": "We are very happy to", "label": 0}]
CALLS = {"greedy": dict(max_new_tokens=6, do_sample=False),
         "sampling": dict(max_new_tokens=6, do_sample=True, top_k=20),
         "batched": dict(max_new_tokens=5, do_sample=False, batch_size=2)}


@pytest.fixture(scope="module")
def pipes(tmp_path_factory):
    theirs, ours = text_generation_pipelines(tmp_path_factory.mktemp("gpt2"))
    for pipe in (theirs, ours):
        pipe.tokenizer.pad_token = "<pad>"  # in the trained vocabulary: batches can be padded
    return theirs, ours


def test_key_dataset_is_transformers():
    for dataset in (KeyDataset(ROWS, "text"), TheirKeyDataset(ROWS, "text")):
        assert isinstance(dataset, torch.utils.data.Dataset)
        assert len(dataset) == 3 and [dataset[i] for i in range(3)] == [row["text"] for row in ROWS]


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("stream", ["key-dataset", "generator"])
def test_text_generation_streams_as_transformers(pipes, call, stream):
    theirs, ours = pipes
    make = {"key-dataset": lambda cls: cls(ROWS, "text"), "generator": lambda cls: (row["text"] for row in ROWS)}
    results = []
    for pipe, cls in ((theirs, TheirKeyDataset), (ours, KeyDataset)):
        torch.manual_seed(3)
        out = pipe(make[stream](cls), **CALLS[call])
        # an iterator of results, as transformers returns (iter() not called: transformers' would restart and draw)
        assert not isinstance(out, list) and hasattr(out, "__next__")
        results.append(list(out))
    assert_same_result(results[1], results[0])
    torch.manual_seed(3)
    assert_same_result(ours([row["text"] for row in ROWS], **CALLS[call]), results[0])  # as a list


def test_stream_is_read_as_it_goes(pipes):
    _, ours = pipes
    read = []

    def prompts():
        for row in ROWS:
            read.append(row["text"])
            yield row["text"]

    out = ours(prompts(), max_new_tokens=2, do_sample=False)
    assert inspect.isgenerator(out) and read == []
    next(out)
    assert read == [ROWS[0]["text"]]


def test_bad_item_in_a_stream(pipes):
    _, ours = pipes
    with pytest.raises(ValueError, match="among the prompts"):
        list(ours(iter(["fine", 42]), max_new_tokens=2, do_sample=False))


def test_text_classification_streams_a_key_dataset(tmp_path):
    from support.generative_models import wordpiece_checkpoint

    folder = wordpiece_checkpoint(tmp_path, "BertForSequenceClassification")
    theirs = transformers.pipeline("text-classification", model=str(folder))
    ours = leanformers.pipeline("text-classification", model=str(folder))
    out = ours(KeyDataset(ROWS, "text"))
    assert not isinstance(out, list)
    assert_same_result(list(out), list(theirs(TheirKeyDataset(ROWS, "text"))))
