"""The overlapped text-classification path (tokenizer workers, results fetched a few batches late) gives
exactly what the plain path gives, in input order, and always stops its workers.

On CUDA that path is the default; on the CPU `num_workers=N` turns it on, which is how these tests
exercise it (1 worker is a thread, more are processes). Every call that may hang runs under a timeout,
so a hang fails the test instead of blocking CI; after every call no worker thread or process is left.
"""

import copy
import gc
import json
import multiprocessing
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from leanformers import BertTokenizer, pipeline
from leanformers.pipelines import text_classification
from leanformers.pipelines.text_classification import TextClassificationPipeline
from support.sst2_checkpoint import QUICKTOUR_TEXT, one_torch_thread, save_sst2_checkpoint, sentences  # noqa: F401
from support.threads import finishes

TIMEOUT = 60  # seconds a call may take before it counts as hung
BAD = "this text breaks the tokenizer"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return str(save_sst2_checkpoint(tmp_path_factory.mktemp("sst2")))


@pytest.fixture(scope="module")
def pipe(folder):
    classifier = pipeline("sentiment-analysis", model=folder, device="cpu")
    with torch.no_grad():  # the checkpoint's head saturates scores at 1.0; smaller logits make them differ
        classifier.model.classifier.weight.mul_(0.02)
    return classifier


def assert_no_workers():
    """No tokenizer thread or worker process is left (process shutdown is joined, so none may linger)."""
    gc.collect()  # a generator dropped mid-iteration is closed when collected
    assert [t.name for t in threading.enumerate() if t.name.startswith("leanformers-tokenize")] == []
    assert multiprocessing.active_children() == []
    assert not any(type(t).__name__ == "_ExecutorManagerThread" for t in threading.enumerate())


TEXTS = sentences(100, seed=4) + [QUICKTOUR_TEXT, "", "ok", " ".join(["unhappy"] * 700)]  # mixed lengths, one truncated
PAIRS = [{"text": t, "text_pair": p} for t, p in zip(sentences(30, seed=5), sentences(30, seed=6))]
MIXED = [item for pair in zip(TEXTS[:30], PAIRS) for item in pair]  # texts and pairs interleaved

CASES = {
    "texts": (TEXTS, {}),
    "pairs": (PAIRS, {}),
    "texts and pairs": (MIXED, {}),
    "top_k=None": (TEXTS, {"top_k": None}),
    "top_k=1": (MIXED, {"top_k": 1}),
    "batch_size=3": (TEXTS, {"batch_size": 3}),
    "token budget": (TEXTS, {"batch_size": 64, "max_batch_tokens": 200}),
    "budget below one text": (TEXTS[:40], {"max_batch_tokens": 1}),
    "sigmoid": (TEXTS, {"function_to_apply": "sigmoid"}),
}


@pytest.mark.parametrize("case", CASES)
def test_threaded_path_equals_plain_path(pipe, case):
    """Scores exactly equal (same batches, same kernels), in input order, whatever the options."""
    inputs, options = CASES[case]
    plain = pipe(inputs, num_workers=0, **options)
    assert finishes(lambda: pipe(inputs, num_workers=1, **options)) == plain
    assert len(plain) == len(inputs)
    assert_no_workers()


@pytest.mark.parametrize("case", ["texts and pairs", "token budget"])
def test_process_path_equals_plain_path(pipe, case):
    inputs, options = CASES[case]
    plain = pipe(inputs, num_workers=0, **options)
    assert finishes(lambda: pipe(inputs, num_workers=2, **options)) == plain
    assert_no_workers()


def test_results_are_in_input_order(pipe):
    """Each result is the text's own, whatever batch the length sort put it in."""
    texts = TEXTS[:60]
    alone = [pipe(text, num_workers=0, top_k=None) for text in texts]
    together = finishes(lambda: pipe(texts, num_workers=1, batch_size=7, top_k=None))
    for one, batched in zip(alone, together):
        assert [r["label"] for r in one] == [r["label"] for r in batched]
        assert all(abs(a["score"] - b["score"]) <= 1e-5 for a, b in zip(one, batched))


@pytest.mark.parametrize("workers", [1, 2])
def test_generator_streams_with_bounded_reading(pipe, workers):
    """A generator gives an iterator of the same results; it is read only a few windows ahead."""
    texts = (TEXTS * 5)[:600]
    taken = []

    def stream():
        for text in texts:
            taken.append(text)
            yield text

    results = pipe(stream(), batch_size=4, num_workers=workers)
    first = finishes(lambda: [next(results) for _ in range(10)])
    window = 4 * text_classification.WINDOW_BATCHES
    assert len(taken) <= (text_classification.WINDOWS_AHEAD + 2) * window < len(texts)
    assert first == pipe(texts, batch_size=4, num_workers=0)[:10]
    results.close()
    assert_no_workers()


def test_generator_input_equals_list_input(pipe):
    plain = pipe(MIXED, num_workers=0, batch_size=5)
    streamed = finishes(lambda: list(pipe(iter(MIXED), num_workers=2, batch_size=5)))
    assert streamed == plain
    assert_no_workers()


@pytest.mark.parametrize("workers", [1, 2])
def test_bad_item_in_a_generator_reaches_the_caller(pipe, workers):
    def stream():
        yield from TEXTS[:100]
        yield 42
        yield from TEXTS

    with pytest.raises(ValueError, match=r"inputs\[100\] is int 42"):
        finishes(lambda: list(pipe(stream(), batch_size=4, num_workers=workers)))
    assert_no_workers()


class FailingTokenizer(BertTokenizer):
    """Raises on one text, inside the worker (a module-level class, so worker processes can unpickle it)."""

    def __call__(self, text, *args, **kwargs):
        if BAD in text:
            raise ValueError(f"cannot tokenize {BAD!r}")
        return super().__call__(text, *args, **kwargs)


@pytest.mark.parametrize("workers", [1, 2])
def test_tokenizer_error_in_a_worker_reaches_the_caller(pipe, folder, workers):
    failing = TextClassificationPipeline(pipe.model, FailingTokenizer.from_pretrained(folder), device="cpu")
    texts = TEXTS[:200] + [BAD] + TEXTS

    with pytest.raises(ValueError, match="cannot tokenize"):
        finishes(lambda: failing(texts, batch_size=4, num_workers=workers))
    assert_no_workers()


class SlowModel(torch.nn.Module):
    """The model behind a forward that sleeps (releasing the GIL, as a GPU computing would) and can fail."""

    def __init__(self, model, seconds, fail_at=None):
        super().__init__()
        self.inner, self.config, self.seconds, self.fail_at, self.calls = model, model.config, seconds, fail_at, 0

    def forward(self, input_ids, attention_mask):
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError(f"the model failed on batch {self.calls}")
        time.sleep(self.seconds)
        return self.inner(input_ids=input_ids, attention_mask=attention_mask)


def test_model_error_reaches_the_caller(pipe):
    failing = TextClassificationPipeline(SlowModel(pipe.model, 0, fail_at=5), pipe.tokenizer, device="cpu")
    with pytest.raises(RuntimeError, match="the model failed on batch 5"):
        finishes(lambda: failing(TEXTS, batch_size=4, num_workers=2))
    assert_no_workers()


def test_slow_model_overlapped_gives_the_plain_results(pipe):
    """The overlap case (tokenizing while the 'device' is busy): timing evidence is in
    benchmarks/pipeline_gpu.py --simulate-ms; here the results must simply be the plain ones."""
    slow = TextClassificationPipeline(SlowModel(pipe.model, 0.002), pipe.tokenizer, device="cpu")
    plain = slow(TEXTS, batch_size=8, num_workers=0)
    assert finishes(lambda: slow(TEXTS, batch_size=8, num_workers=1)) == plain
    assert finishes(lambda: slow(TEXTS, batch_size=8, num_workers=2)) == plain
    assert plain == pipe(TEXTS, batch_size=8, num_workers=0)
    assert_no_workers()


@pytest.mark.parametrize("workers", [1, 2])
def test_interrupted_iteration_stops_the_workers(pipe, workers):
    results = pipe(iter(TEXTS * 20), batch_size=4, num_workers=workers)
    finishes(lambda: [next(results) for _ in range(3)])
    results.close()
    assert_no_workers()

    def break_early():
        for _ in pipe(iter(TEXTS * 20), batch_size=4, num_workers=workers):
            break

    finishes(break_early)
    assert_no_workers()


def test_settings_at_build_time_and_errors(folder):
    built = pipeline("sentiment-analysis", model=folder, device="cpu", num_workers=1, max_batch_tokens=300)
    assert built._run_settings(None, None, None) == text_classification.Run(32, 1, 300)
    assert built._run_settings(8, 0, 50) == text_classification.Run(8, 0, 50)
    assert finishes(lambda: built(TEXTS[:50])) == built(TEXTS[:50], num_workers=0)
    plain = pipeline("sentiment-analysis", model=folder, device="cpu")
    assert plain._run_settings(None, None, None) == text_classification.Run(32, 0, None)  # the CPU default
    for option, value, message in (("num_workers", -1, "num_workers must be 0 .*or a positive integer, got -1"),
                                   ("num_workers", "2", "num_workers must be .*got '2'"),
                                   ("max_batch_tokens", 0, "max_batch_tokens must be a positive integer, got 0")):
        with pytest.raises(ValueError, match=message):
            plain(TEXTS[:3], **{option: value})


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["float16", "bfloat16"])
def test_half_precision_keeps_labels(pipe, dtype):
    """Half-precision weights, float32 softmax: labels equal float32's, scores within 1e-3."""
    try:
        half = TextClassificationPipeline(copy.deepcopy(pipe.model).to(dtype), pipe.tokenizer, device="cpu")
        ours = finishes(lambda: half(TEXTS, num_workers=1))
    except RuntimeError as err:  # an operator this CPU build has no half kernel for
        pytest.skip(f"this torch CPU build cannot run {dtype}: {err}")
    reference = pipe(TEXTS, num_workers=0)
    assert half.dtype == dtype and half(TEXTS, num_workers=0) == ours
    assert [r["label"] for r in ours] == [r["label"] for r in reference]
    assert max(abs(a["score"] - b["score"]) for a, b in zip(ours, reference)) <= 1e-3
    assert_no_workers()


def test_dtype_reaches_the_model(folder):
    assert pipeline("sentiment-analysis", model=folder, device="cpu", dtype="bfloat16").dtype == torch.bfloat16


def test_cli_classify_with_worker_processes(folder, tmp_path):
    """`leanformers classify --num-workers 2` streams a file through worker processes (a script with its
    own main guard, as forkserver workers need): the same records as the plain pipeline."""
    entry_point = Path(sys.executable).with_name("leanformers")
    if not entry_point.is_file():
        pytest.skip(f"the leanformers entry point is not installed beside {sys.executable} (pip install -e .)")
    texts = [t for t in TEXTS if t]  # the CLI skips blank lines
    source = tmp_path / "texts.txt"
    source.write_text("\n".join(texts) + "\n", encoding="utf-8")
    done = subprocess.run([str(entry_point), "classify", "--model", folder, "--input", str(source),
                           "--batch-size", "4", "--num-workers", "2"], capture_output=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    expected = pipeline("sentiment-analysis", model=folder, device="cpu")(texts, batch_size=4, num_workers=0)
    assert [json.loads(line) for line in done.stdout.decode().splitlines()] == [
        {"text": text, **result} for text, result in zip(texts, expected)]
