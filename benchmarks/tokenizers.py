"""Tokenizer throughput: leanformers against transformers, side by side, on the
deterministic corpus of tests/support/corpus.py.

    python benchmarks/tokenizers.py                 # all cases, 20,000 sentences, 5 runs
    python benchmarks/tokenizers.py --cases bert-base-uncased --runs 3 --json out.json

For each case (a tokenizer loaded by both libraries from the same files) and mode it
reports tokens per second, the median over `--runs` runs (leanformers and
transformers alternate, so both see the same machine load), the ratio
leanformers / transformers of the medians and of the best runs, and checks that the ids
are identical. It also records leanformers' CPU time (time.process_time: leanformers runs on
one thread, so this is its wall time with a core to itself) and `ratio_vs_cpu`, transformers'
median wall time over that; only indicative on a loaded machine, where transformers' wall
time is inflated too; the ratio that counts is `ratio` on a quiet machine. Modes:
- batch: one call on the whole corpus;
- one_at_a_time: one call per sentence;
- pad_trunc_128_pt: one call with padding=True, truncation=True, max_length=128,
  return_tensors='pt' (tokens = real tokens, from the attention mask).
Also the import time of the tokenizer API (`from leanformers import AutoTokenizer,
BertTokenizer` in a fresh interpreter, median of 5).

New cases are added to CASES: name -> function returning
(leanformers tokenizer, transformers tokenizer) or None when its files are missing.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# run as a script, this file's folder comes first on sys.path and this file would shadow
# the `tokenizers` package that transformers imports
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))
VOCABS = ROOT.parent / "shared" / "data" / "vocab"
TOKENIZERS = ROOT.parent / "shared" / "data" / "tokenizers"


def _bert(name, **kwargs):
    def load():
        folder = VOCABS / name
        if not (folder / "vocab.txt").is_file():
            return None
        import transformers

        import leanformers
        return (leanformers.BertTokenizer.from_pretrained(folder, **kwargs),
                transformers.BertTokenizer.from_pretrained(str(folder), **kwargs))
    return load


def _byte_level_bpe(name, class_name):
    def load():
        folder = VOCABS / name
        if not (folder / "vocab.json").is_file():
            return None
        import transformers

        import leanformers
        pair = getattr(leanformers, class_name).from_pretrained(folder), getattr(transformers, class_name).from_pretrained(
            str(folder))
        for tok in pair:  # GPT-2 has no pad token; the padded mode needs one
            if tok.pad_token is None:
                tok.pad_token = tok.eos_token
        return pair
    return load


def _auto(folder_name):
    """A real tokenizer folder of ../shared/data/tokenizers, through AutoTokenizer in both libraries."""
    def load():
        folder = TOKENIZERS / folder_name
        if not folder.is_dir():
            return None
        import transformers

        import leanformers
        pair = leanformers.AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(
            str(folder))
        for tok in pair:  # decoder-only tokenizers have no pad token; the padded mode needs one
            if tok.pad_token is None:
                tok.pad_token = tok.eos_token
        return pair
    return load


CASES = {
    "bert-base-uncased": _bert("bert-base-uncased"),
    "bert-base-cased": _bert("bert-base-cased", do_lower_case=False),
    "gpt2": _byte_level_bpe("gpt2", "GPT2Tokenizer"),
    "roberta-base": _byte_level_bpe("roberta-base", "RobertaTokenizer"),
    "t5-small": _auto("google-t5-small"),  # SentencePiece Unigram, Precompiled normalizer
    "llama-2": _auto("meta-llama-Llama-2-7b-hf"),  # SentencePiece BPE with byte fallback, from tokenizer.model
    "mistral-v0.3": _auto("mistralai-Mistral-7B-Instruct-v0.3"),  # the same family, from tokenizer.json
    "llama-3": _auto("meta-llama-Meta-Llama-3-8B-Instruct"),  # byte-level BPE, Llama-3 split, ignore_merges
}


def _batch(tok, texts):
    ids = tok(texts)["input_ids"]
    return sum(map(len, ids)), ids


def _one_at_a_time(tok, texts):
    ids = [tok(text)["input_ids"] for text in texts]
    return sum(map(len, ids)), ids


def _pad_trunc_pt(tok, texts):
    enc = tok(texts, padding=True, truncation=True, max_length=128, return_tensors="pt")
    return int(enc["attention_mask"].sum()), enc["input_ids"].tolist()


MODES = {"batch": _batch, "one_at_a_time": _one_at_a_time, "pad_trunc_128_pt": _pad_trunc_pt}


def measure(ours, ref, texts, runs):
    results = {}
    for mode, fn in MODES.items():
        fn(ours, texts[:200])  # warm-up: caches, lazy imports
        fn(ref, texts[:200])
        times = {"leanformers": [], "transformers": []}
        cpu = []
        for _ in range(runs):
            for name, tok in (("leanformers", ours), ("transformers", ref)):
                start, start_cpu = time.perf_counter(), time.process_time()
                n_tokens, ids = fn(tok, texts)
                times[name].append(time.perf_counter() - start)
                if name == "leanformers":
                    cpu.append(time.process_time() - start_cpu)
                    our_ids = ids
                else:
                    same = ids == our_ids
        lean = n_tokens / statistics.median(times["leanformers"])
        ref_rate = n_tokens / statistics.median(times["transformers"])
        # on a shared machine the best run shows each library with the least interference
        best = min(times["transformers"]) / min(times["leanformers"])
        results[mode] = {"tokens": n_tokens, "identical_ids": same,
                         "leanformers_tokens_per_s": round(lean), "transformers_tokens_per_s": round(ref_rate),
                         "ratio": round(lean / ref_rate, 2), "ratio_best_runs": round(best, 2),
                         "ratio_vs_cpu": round(statistics.median(times["transformers"]) / statistics.median(cpu), 2),
                         "leanformers_cpu_s": [round(t, 4) for t in cpu],
                         "leanformers_s": [round(t, 4) for t in times["leanformers"]],
                         "transformers_s": [round(t, 4) for t in times["transformers"]]}
    return results


def tiktoken_gpt2(texts, runs, ours):
    """tiktoken's Rust BPE on the same GPT-2 ranks (built from the local vocab.json, no
    download), batch mode with its default threads, against leanformers' batch call."""
    try:
        import tiktoken
    except ImportError:
        return "skipped: tiktoken is not installed (pip install tiktoken)"
    from leanformers.tokenization.byte_level import CHAR_TO_BYTE

    vocab = json.loads((VOCABS / "gpt2" / "vocab.json").read_text(encoding="utf-8"))
    eot = "<|endoftext|>"
    ranks = {bytes(CHAR_TO_BYTE[c] for c in token): i for token, i in vocab.items() if token != eot}
    enc = tiktoken.Encoding("gpt2-local", pat_str=r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
                            mergeable_ranks=ranks, special_tokens={eot: vocab[eot]})
    enc.encode_batch(texts[:200], allowed_special="all")
    times = {"leanformers": [], "tiktoken": []}
    for _ in range(runs):
        start = time.perf_counter()
        ids = ours(texts)["input_ids"]
        times["leanformers"].append(time.perf_counter() - start)
        start = time.perf_counter()
        tik = enc.encode_batch(texts, allowed_special="all")
        times["tiktoken"].append(time.perf_counter() - start)
    n_tokens = sum(map(len, ids))
    lean, tik_rate = (n_tokens / statistics.median(times[k]) for k in ("leanformers", "tiktoken"))
    mismatched = sum(a != b for a, b in zip(ids, tik))
    return {"tokens": n_tokens, "identical_ids": mismatched == 0, "texts_with_different_ids": mismatched,
            "leanformers_tokens_per_s": round(lean), "tiktoken_tokens_per_s": round(tik_rate),
            "ratio": round(lean / tik_rate, 2)}


def import_time(runs=5):
    code = ("import time; t = time.perf_counter(); from leanformers import AutoTokenizer, BertTokenizer; "
            "print(time.perf_counter() - t)")
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                  env={"PYTHONPATH": str(ROOT / "src")}).stdout) for _ in range(runs)]
    return round(statistics.median(times), 4)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="number of corpus sentences")
    parser.add_argument("--runs", type=int, default=5, help="runs per mode (the median is reported)")
    parser.add_argument("--cases", nargs="*", default=list(CASES), help=f"cases among {list(CASES)}")
    parser.add_argument("--json", help="also write the JSON report to this file")
    args = parser.parse_args(argv)

    from support.corpus import sentences
    import transformers
    transformers.logging.set_verbosity_error()

    texts = sentences(args.n)
    report = {"corpus": {"sentences": len(texts), "characters": sum(map(len, texts)), "source": "tests/support/corpus.py"},
              "runs": args.runs, "import_tokenizer_api_s": import_time(), "cases": {}}
    for name in args.cases:
        if name not in CASES:
            parser.error(f"unknown case {name!r}; choose among {list(CASES)}")
        loaded = CASES[name]()
        if loaded is None:
            report["cases"][name] = "skipped: files not found"
            continue
        report["cases"][name] = measure(*loaded, texts, args.runs)
        if name == "gpt2":
            report["cases"]["gpt2"]["batch_vs_tiktoken"] = tiktoken_gpt2(texts, args.runs, loaded[0])
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
