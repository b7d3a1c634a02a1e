"""Greedy generation: leanformers vs transformers on the same GPT-2-sized random checkpoint, in one run.

The checkpoint has GPT-2 small's shape (12 layers, 768 wide, 12 heads, 50,257 tokens, 124M parameters),
random weights from a fixed seed, built and saved by transformers (no pretrained GPT-2 can be had
offline). Each case generates 64 new tokens greedily (no eos, so every row runs to the end) from
16-token prompts, batch 1 and batch 8 (left-padded to different lengths), and is timed as the median of
`--repeats` runs after one warm-up, the two libraries alternating run by run. Token ids must be identical.
Prints JSON: tokens/s of both libraries and the ratio leanformers / transformers (target >= 1.0), and
writes it to --output if given.

--threads sets torch's thread count for both libraries (default: torch's own). On a machine shared with other
work, --threads 1 compares the work each library does: two threads that wait on each other's preempted cores
make every small operation slow and the ratio mostly noise.

Usage: python benchmarks/generation.py [--repeats 3] [--new-tokens 64] [--threads N] [--output FILE] [--device cpu]
"""

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

# this folder comes first on sys.path when the script runs, and benchmarks/tokenizers.py would shadow the
# tokenizers package that transformers imports
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

SEED = 0
PROMPT_LENGTH = 16


def build_checkpoint(folder):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(SEED)
    GPT2LMHeadModel(GPT2Config(pad_token_id=0)).save_pretrained(folder)  # GPT-2 small's default shape
    return folder


def prompts(batch_size):
    """Random prompt ids; in a batch, row i is left-padded by i tokens."""
    import torch

    g = torch.Generator().manual_seed(SEED + batch_size)
    input_ids = torch.randint(100, 50000, (batch_size, PROMPT_LENGTH), generator=g)
    mask = torch.ones_like(input_ids)
    for row in range(batch_size):
        mask[row, :row] = 0
    return input_ids.masked_fill(mask == 0, 0), mask


def time_both(models, input_ids, mask, new_tokens, repeats, device):
    """Median seconds of each model's generate(), the two alternating run by run so that a change in the
    machine's load hits both alike; and each model's output ids."""
    import torch

    input_ids, mask = input_ids.to(device), mask.to(device)
    kwargs = dict(attention_mask=mask, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                  eos_token_id=None, pad_token_id=0)
    outputs = [model.generate(input_ids, **kwargs).cpu() for model in models]  # warm-up
    times = [[] for _ in models]
    for _ in range(repeats):
        for model, spent in zip(models, times):
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            start = time.perf_counter()
            model.generate(input_ids, **kwargs)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            spent.append(time.perf_counter() - start)
    return outputs, [statistics.median(spent) for spent in times]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--output")
    args = parser.parse_args()

    import torch
    import transformers

    import leanformers

    if args.threads:
        torch.set_num_threads(args.threads)
    logging.getLogger("transformers").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    results = {"model": "GPT-2 small shape (124M), random weights (seed 0)", "new_tokens": args.new_tokens,
               "prompt_length": PROMPT_LENGTH, "torch_threads": torch.get_num_threads(), "device": args.device,
               "cases": []}
    with tempfile.TemporaryDirectory() as folder:
        build_checkpoint(folder)
        theirs = transformers.GPT2LMHeadModel.from_pretrained(folder).to(args.device).eval()
        ours = leanformers.GPT2LMHeadModel.from_pretrained(folder).to(args.device).eval()
        for batch_size in args.batch_sizes:
            input_ids, mask = prompts(batch_size)
            (expected, got), (t_theirs, t_ours) = time_both((theirs, ours), input_ids, mask, args.new_tokens,
                                                            args.repeats, args.device)
            tokens = batch_size * args.new_tokens
            results["cases"].append({
                "batch_size": batch_size,
                "transformers_tokens_per_s": round(tokens / t_theirs, 1),
                "leanformers_tokens_per_s": round(tokens / t_ours, 1),
                "ratio": round(t_theirs / t_ours, 3),
                "identical_ids": bool(torch.equal(expected, got)),
            })
            print(json.dumps(results["cases"][-1]), flush=True)
    text = json.dumps(results, indent=2)
    print(text)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
