"""The quicktour's tokenizer cells, run with leanformers on the real bert-base-uncased vocabulary.

Usage: python examples/quicktour_tokenizer.py [FOLDER]
FOLDER defaults to ../shared/data/vocab/bert-base-uncased (beside the repository).
"""

import sys
from pathlib import Path

from leanformers import BertTokenizer

DEFAULT_FOLDER = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "vocab" / "bert-base-uncased"


def main():
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FOLDER
    if not (folder / "vocab.txt").is_file():
        sys.exit(f"No vocab.txt in {folder}: pass a folder holding a BERT vocabulary.")
    tokenizer = BertTokenizer.from_pretrained(folder)

    inputs = tokenizer("We are very happy to show you the 🤗 Transformers library.")
    print(inputs)

    batch = tokenizer(
        ["We are very happy to show you the 🤗 Transformers library.", "We hope you don't hate it."],
        padding=True, truncation=True, max_length=512, return_tensors="pt",
    )
    for key, value in batch.items():
        print(f"{key}: {value.tolist()}")
    print(tokenizer.decode(inputs["input_ids"]))


if __name__ == "__main__":
    main()
