"""Text classification on a GPU: leanformers' overlapped pipeline vs transformers' best setting, one run, one card.

The checkpoint is a random distilbert-base-sized DistilBertForSequenceClassification (transformers'
default DistilBertConfig, 2 labels, torch.manual_seed(0); the head's weights are scaled up so that
scores spread over (0, 1) instead of sitting at 0.5, which would make label agreement a coin toss
under fp16 rounding), saved by transformers with the bert-base-uncased vocabulary from
../shared/data/vocab. The inputs are 10,000 SST-2 training sentences of 5-60 words (fixed seed).
One run measures, each the median of --repeats timed runs after a warm-up call:
  - sentences/s of transformers' pipeline (fp16, batch_size=256: its best measured setting);
  - sentences/s of leanformers' pipeline (fp16, its CUDA defaults: the overlapped path), and with
    one worker thread and with no workers, to show what the workers give;
  - the model-only bound: the same fp16 model (leanformers' and transformers') on pre-tokenized,
    length-sorted batches of 256 already on the GPU, timed with torch.cuda.synchronize;
  - leanformers' fp32 CPU results (16 torch threads), against which the GPU labels are compared.
Targets: leanformers >= 5x transformers, >= 30% of the model-only bound, labels identical to fp32 CPU.
Each figure is printed as a JSON line as soon as it is measured (a run cut short keeps what it has),
then the whole report. Without CUDA it prints {"skipped": ...} and exits 0.

CPU-side evidence, for a machine without a GPU:
  --device cpu --simulate-ms X : tokenization throughput of the worker pool (0, 1, 2.. workers) and
  the pipeline over a fake model whose forward sleeps X ms per batch (releasing the GIL, as a GPU
  would): overlapped total ~ max(tokenize, model) rather than their sum.

Usage: python benchmarks/pipeline_gpu.py [--texts 10000] [--repeats 3] [--cpu-threads 16] [--output FILE]
       python benchmarks/pipeline_gpu.py --device cpu --simulate-ms 5 [--texts 10000]
Data: ../shared/data (or $LEANFORMERS_SHARED_DATA).
"""

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# this folder holds tokenizers.py, which would shadow the tokenizers package transformers imports
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT / "src"))
DATA = Path(os.environ.get("LEANFORMERS_SHARED_DATA", ROOT.parent / "shared" / "data"))
VOCAB = DATA / "vocab" / "bert-base-uncased" / "vocab.txt"
SST2 = DATA / "sst2" / "train.tsv"
SEED = 0
BATCH = 256


class Report(dict):
    """The report so far; each entry is also printed as a JSON line the moment it is added."""

    def add(self, key, value):
        self[key] = value
        print(json.dumps({key: value}), flush=True)
        return value


def sst2_sentences(n):
    lines = SST2.read_text(encoding="utf-8").splitlines()[1:]
    pool = [s for s in (line.split("\t")[0].strip() for line in lines) if 5 <= len(s.split()) <= 60]
    return random.Random(SEED).sample(pool, n)


def save_checkpoint(folder):
    """transformers' default-sized DistilBERT with a seeded random 2-label head, and its tokenizer files."""
    import torch
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    torch.manual_seed(SEED)
    config = DistilBertConfig(num_labels=2, id2label={0: "NEGATIVE", 1: "POSITIVE"},
                              label2id={"NEGATIVE": 0, "POSITIVE": 1})
    model = DistilBertForSequenceClassification(config)
    with torch.no_grad():  # spread the scores (see the module docstring)
        model.pre_classifier.weight.normal_(std=0.1)
        model.classifier.weight.normal_(std=0.5)
    model.save_pretrained(folder)
    Path(folder, "vocab.txt").write_bytes(VOCAB.read_bytes())
    Path(folder, "tokenizer_config.json").write_text(json.dumps({"do_lower_case": True, "model_max_length": 512}))
    return folder


def median_rate(run, texts, repeats, synchronize=lambda: None):
    """(sentences/s as the median of `repeats` runs after one warm-up call, the last run's results)."""
    run(texts[:BATCH * 2])
    times = []
    for _ in range(repeats):
        synchronize()
        start = time.perf_counter()
        results = run(texts)
        synchronize()
        times.append(time.perf_counter() - start)
    return len(texts) / statistics.median(times), results


def agreement(ours, ref):
    """Label agreement and score differences of `ours` against `ref`; also on the texts whose reference
    score is further from 0.5 than any score of `ours` moved (where rounding cannot flip a label)."""
    diffs = [abs(a["score"] - b["score"]) for a, b in zip(ours, ref)]
    same = sum(a["label"] == b["label"] for a, b in zip(ours, ref))
    decisive = [(a, b) for a, b in zip(ours, ref) if abs(b["score"] - 0.5) > max(diffs)]
    return {"labels_equal_fraction": same / len(ref), "labels_differing": len(ref) - same,
            "max_score_diff": max(diffs), "median_score_diff": statistics.median(diffs),
            "decisive_texts": len(decisive),
            "decisive_labels_equal_fraction":
                sum(a["label"] == b["label"] for a, b in decisive) / max(1, len(decisive))}


def model_only_rate(model, tokenizer, texts, repeats, device):
    """Sentences/s of `model` alone on pre-tokenized, length-sorted, padded batches of 256 already on the device."""
    import torch

    encoded = tokenizer(texts, truncation=True, max_length=512)["input_ids"]
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    batches = []
    for first in range(0, len(order), BATCH):
        rows = [encoded[i] for i in order[first:first + BATCH]]
        length = max(map(len, rows))
        ids = torch.tensor([row + [0] * (length - len(row)) for row in rows], device=device)  # (B, T)
        mask = torch.tensor([[1] * len(row) + [0] * (length - len(row)) for row in rows], device=device)
        batches.append((ids, mask))

    def run(_):
        with torch.inference_mode():
            for ids, mask in batches:
                model(input_ids=ids, attention_mask=mask)

    return median_rate(run, texts, repeats, synchronize=lambda: torch.cuda.synchronize(device))[0]


def gpu_benchmark(args, report):
    import torch
    import transformers

    import leanformers
    from leanformers.pipelines import overlap

    texts = sst2_sentences(args.texts)
    report.add("setup", {"device": torch.cuda.get_device_name(0), "texts": len(texts),
                         "words_per_text_mean": statistics.mean(len(t.split()) for t in texts),
                         "cpu_cores": os.cpu_count(), "versions": {
                             "torch": torch.__version__, "transformers": transformers.__version__,
                             "leanformers": leanformers.__version__, "cuda": torch.version.cuda}})
    rate = {}
    sync = torch.cuda.synchronize
    with tempfile.TemporaryDirectory() as folder:
        save_checkpoint(folder)
        ref = transformers.pipeline("text-classification", model=folder, device="cuda", dtype=torch.float16)
        rate["transformers_fp16_batch256"], ref_results = median_rate(
            lambda t: ref(t, batch_size=BATCH), texts, args.repeats, sync)
        report.add("transformers_fp16_batch256", rate["transformers_fp16_batch256"])

        ours = leanformers.pipeline("text-classification", model=folder, device="cuda", dtype="float16")
        report.add("leanformers_cuda_defaults", ours._run_settings(None, None, None).__dict__)
        rate["leanformers_fp16_overlapped"], gpu_results = median_rate(ours, texts, args.repeats, sync)
        report.add("leanformers_fp16_overlapped", rate["leanformers_fp16_overlapped"])
        for name, workers in (("leanformers_fp16_worker_processes", overlap.default_workers()),
                              ("leanformers_fp16_no_workers", 0)):
            rate[name] = report.add(name, median_rate(lambda t: ours(t, num_workers=workers), texts, args.repeats,
                                                      sync)[0])

        rate["model_only_leanformers"] = report.add(
            "model_only_leanformers", model_only_rate(ours.model, ours.tokenizer, texts, args.repeats, "cuda"))
        rate["model_only_transformers"] = report.add(
            "model_only_transformers", model_only_rate(ref.model, ours.tokenizer, texts, args.repeats, "cuda"))
        del ref
        torch.cuda.empty_cache()

        torch.set_num_threads(args.cpu_threads)
        on_cpu = leanformers.pipeline("text-classification", model=folder, device="cpu")
        start = time.perf_counter()
        cpu_results = on_cpu(texts)
        report.add("leanformers_fp32_cpu_seconds", time.perf_counter() - start)

    bound = max(rate["model_only_leanformers"], rate["model_only_transformers"])
    report.add("sentences_per_second", rate)
    # the default (one worker thread) and worker processes sized to the cores: the better one is the figure
    best = max(rate["leanformers_fp16_overlapped"], rate["leanformers_fp16_worker_processes"])
    report.add("ratios", {
        "leanformers_over_transformers": best / rate["transformers_fp16_batch256"],
        "leanformers_default_over_transformers": rate["leanformers_fp16_overlapped"] / rate["transformers_fp16_batch256"],
        "fraction_of_model_only_bound": best / bound,
    })
    report.add("agreement_with_leanformers_fp32_cpu", {
        "leanformers_fp16_gpu": agreement(gpu_results, cpu_results),
        "transformers_fp16_gpu": agreement(ref_results, cpu_results)})
    ratios, same = report["ratios"], report["agreement_with_leanformers_fp32_cpu"]["leanformers_fp16_gpu"]
    report.add("targets_met", {
        ">= 5x transformers fp16 batch 256": ratios["leanformers_over_transformers"] >= 5,
        ">= 30% of the model-only bound": ratios["fraction_of_model_only_bound"] >= 0.3,
        "labels identical to fp32 CPU": same["labels_differing"] == 0,
    })


def cpu_evidence(args, report):
    """Worker-pool tokenization throughput, and overlap with a model that sleeps instead of computing."""
    import types

    import torch

    import leanformers
    from leanformers.pipelines import overlap
    from leanformers.pipelines.text_classification import TextClassificationPipeline

    torch.set_num_threads(1)  # the fake model computes nothing; idle intra-op threads only spin on a shared machine
    texts = sst2_sentences(args.texts)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    report.add("setup", {"device": "cpu", "cores": cores, "texts": len(texts), "simulate_ms": args.simulate_ms})
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "vocab.txt").write_bytes(VOCAB.read_bytes())
        Path(folder, "tokenizer_config.json").write_text(json.dumps({"do_lower_case": True, "model_max_length": 512}))
        tokenizer = leanformers.BertTokenizer.from_pretrained(folder)
    kwargs = {"truncation": True, "max_length": 512}

    def pool_rates(workers):
        """(seconds to start the workers and tokenize a first piece, sentences/s of the started pool)."""
        start = time.perf_counter()
        pool = overlap.TokenizerPool(tokenizer, workers)
        try:
            pool.encode(texts[:overlap.MIN_PIECE], None, kwargs, None)()
            startup = time.perf_counter() - start
            return startup, median_rate(lambda batch: pool.encode(batch, None, kwargs, None)(), texts, args.repeats)[0]
        finally:
            pool.close()

    inline = median_rate(lambda batch: overlap.encode(tokenizer, batch, None, kwargs), texts, args.repeats)[0]
    pools = {w: pool_rates(w) for w in sorted({1, 2, max(2, cores - 1)})}
    report.add("tokenize_sentences_per_second",
               {"no_workers": inline, **{f"{w}_workers": rate for w, (_, rate) in pools.items()}})
    most = max(pools)
    report.add("worker_startup_seconds", {**{f"{w}_workers": s for w, (s, _) in pools.items()},
                                          # the first process pool also started the fork server (it imports torch)
                                          f"{most}_workers_again": pool_rates(most)[0]})

    class SleepingModel(torch.nn.Module):
        """Holds no cores: sleeps simulate_ms per batch (as a host waiting on a GPU), returns zero logits."""

        def __init__(self):
            super().__init__()
            self.anchor = torch.nn.Parameter(torch.zeros(1))  # the pipeline reads the device from a parameter
            self.config = types.SimpleNamespace(num_labels=2, id2label={0: "NEGATIVE", 1: "POSITIVE"},
                                                max_position_embeddings=512, model_type="distilbert")
            self.batches = 0

        def forward(self, input_ids, attention_mask):
            self.batches += 1
            time.sleep(args.simulate_ms / 1000)
            return types.SimpleNamespace(logits=torch.zeros(input_ids.shape[0], 2))

    model = SleepingModel()
    pipe = TextClassificationPipeline(model, tokenizer, device="cpu")
    tokenize_seconds = len(texts) / inline
    pipe(texts, batch_size=BATCH)
    batches = model.batches
    model_seconds = batches * args.simulate_ms / 1000
    times = {w: [] for w in (0, 1, 2)}
    for _ in range(args.repeats):  # the three in turn, so that a change in the machine's load hits all alike
        for workers, runs in times.items():
            start = time.perf_counter()
            pipe(texts, batch_size=BATCH, num_workers=workers)
            runs.append(time.perf_counter() - start)
    seconds = {workers: statistics.median(runs) for workers, runs in times.items()}
    report.add("fake_slow_model", {
        "batches": batches, "model_seconds": model_seconds, "tokenize_seconds": tokenize_seconds,
        "sum": model_seconds + tokenize_seconds, "max": max(model_seconds, tokenize_seconds),
        # the main thread's own Python work (split, collate, launch, format): the plain run beyond the sum
        "main_thread_seconds": seconds[0] - model_seconds - tokenize_seconds,
        **{f"pipeline_seconds_{w}_workers": s for w, s in seconds.items()}})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--simulate-ms", type=float, default=None,
                        help="with --device cpu: the fake model's milliseconds per batch")
    parser.add_argument("--cpu-threads", type=int, default=16, help="torch threads for the fp32 CPU labels")
    parser.add_argument("--output", default=None)
    args = parser.parse_args()

    report = Report()
    missing = [str(p) for p in (VOCAB, SST2) if not p.is_file()]
    if missing:
        report.add("skipped", f"the shared data is absent ({', '.join(missing)}); set LEANFORMERS_SHARED_DATA")
    elif args.device == "cpu":
        if args.simulate_ms is None:
            parser.error("--device cpu needs --simulate-ms X (the fake model's milliseconds per batch)")
        cpu_evidence(args, report)
    else:
        import torch

        if not torch.cuda.is_available():
            report.add("skipped", "no CUDA device (use --device cpu --simulate-ms X for the CPU-side evidence)")
        else:
            gpu_benchmark(args, report)
    text = json.dumps(report, indent=2)
    print(text)
    if args.output:
        Path(args.output).write_text(text + "\n")


if __name__ == "__main__":
    main()
