"""Tiny stand-ins for the pipeline's default model, built and saved by transformers (the oracle).

`save_sst2_checkpoint(folder)` writes the files of the repository
distilbert/distilbert-base-uncased-finetuned-sst-2-english (config.json with its fields and labels,
model.safetensors, tokenizer_config.json, vocab.txt), with the same architecture shrunk to a few
thousand weights per layer, and random weights scaled so scores spread over (0, 1).
The vocabulary is the real uncased BERT one; tests that need it skip when it is absent.
Fixtures: `sst2_hub` serves that repository from a test hub (the commit pinned by the pipeline,
then a main branch with other labels); `one_torch_thread` for modules that run pipelines.
"""

import json
import os
import random
import shutil
from pathlib import Path

import pytest
from huggingface_hub import constants

from support.hub_server import HubRepo, TestHub
from support.paths import SHARED_DATA

# LEANFORMERS_SHARED_DATA points elsewhere where ../shared/data is not beside the repository (a GPU machine)
DATA = Path(os.environ.get("LEANFORMERS_SHARED_DATA", SHARED_DATA))
UNCASED_VOCAB = DATA / "vocab" / "bert-base-uncased" / "vocab.txt"

# config.json of the default model, with its sizes shrunk (dim, hidden_dim, n_heads, n_layers)
SST2_CONFIG = {
    "activation": "gelu",
    "architectures": ["DistilBertForSequenceClassification"],
    "attention_dropout": 0.1,
    "dim": 32,
    "dropout": 0.1,
    "finetuning_task": "sst-2",
    "hidden_dim": 64,
    "id2label": {"0": "NEGATIVE", "1": "POSITIVE"},
    "initializer_range": 0.02,
    "label2id": {"NEGATIVE": 0, "POSITIVE": 1},
    "max_position_embeddings": 512,
    "model_type": "distilbert",
    "n_heads": 2,
    "n_layers": 2,
    "output_past": True,
    "pad_token_id": 0,
    "qa_dropout": 0.1,
    "seq_classif_dropout": 0.2,
    "sinusoidal_pos_embds": False,
    "tie_weights_": True,
    "vocab_size": 30522,
}
SST2_TOKENIZER_CONFIG = {"model_max_length": 512, "do_lower_case": True}

QUICKTOUR_TEXT = "We are not very unhappy to show you the 🤗 Transformers library."
SST2 = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
PINNED = "714eb0f"  # the revision of SST2 that pipeline("sentiment-analysis") loads, as in transformers


def require_vocab():
    if not UNCASED_VOCAB.is_file():
        pytest.skip(f"the uncased BERT vocabulary is absent ({UNCASED_VOCAB}); the shared data folder is needed")


def save_sst2_checkpoint(folder, seed=0, **config_changes):
    """Write a tiny default-model look-alike into `folder`; `config_changes` alter its config."""
    import torch
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    require_vocab()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config_dict = {**SST2_CONFIG, **config_changes}
    if "num_labels" in config_dict:  # labels follow the head size, as from_pretrained(num_labels=) does
        n = config_dict.pop("num_labels")
        config_dict["id2label"] = {str(i): f"LABEL_{i}" for i in range(n)}
        config_dict["label2id"] = {f"LABEL_{i}": i for i in range(n)}
    torch.manual_seed(seed)
    model = DistilBertForSequenceClassification(DistilBertConfig(**config_dict))
    with torch.no_grad():  # the default init gives logits near 0; spread them so scores differ
        model.pre_classifier.weight.normal_(std=0.3)
        model.classifier.weight.normal_(std=2.0)
    model.save_pretrained(folder)
    (folder / "config.json").write_text(json.dumps(config_dict, indent=2))
    (folder / "tokenizer_config.json").write_text(json.dumps(SST2_TOKENIZER_CONFIG))
    shutil.copyfile(UNCASED_VOCAB, folder / "vocab.txt")
    return folder


def sentences(n, seed=0):
    """`n` deterministic English-like sentences of 1-40 words, with punctuation, case and emoji."""
    rng = random.Random(seed)
    words = ("the movie was not very good bad great terrible i loved hated it acting plot boring "
             "wonderful awful really quite a film story characters 🤗 Transformers library ! , ? "
             "unhappy happy we are to show you").split()
    return [" ".join(rng.choice(words) for _ in range(rng.randint(1, 40))).capitalize() + "."
            for _ in range(n)]


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tests share two cores with other processes; torch's spinning worker threads then cost more than
    they give (transformers' one-text-at-a-time pipeline ran 10x slower with two), so use one."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def sst2_repo(tmp_path_factory):
    repo = HubRepo(SST2)
    repo.commit(save_sst2_checkpoint(tmp_path_factory.mktemp("pinned")), prefix=PINNED)
    later = {"id2label": {"0": "neg", "1": "pos"}, "label2id": {"neg": 0, "pos": 1}}
    repo.commit(save_sst2_checkpoint(tmp_path_factory.mktemp("later"), seed=5, **later))  # main moves on
    return repo


@pytest.fixture
def sst2_hub(sst2_repo, hf_home, monkeypatch):
    """A test hub serving only the default model's repository; HF_ENDPOINT points at it."""
    server = TestHub([sst2_repo])
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setattr(constants, "ENDPOINT", server.url)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE",
                        server.url + "/{repo_id}/resolve/{revision}/{filename}")
    yield server
    server.stop()
