"""The test hub's repositories: tiny models and tokenizers saved by transformers.

Names follow the quicktour where they can, so tests read like it:
- SST2 ("distilbert/distilbert-base-uncased-finetuned-sst-2-english", legacy name
  LEGACY_SST2): a tiny DistilBERT classifier with its tokenizer, two commits (tag "v1"
  with labels LABEL_0/LABEL_1, then main with NEGATIVE/POSITIVE, whose hash starts
  with the short hash the sentiment-analysis pipeline pins), and both
  model.safetensors and pytorch_model.bin like the real repository;
- BIN_ONLY: a tiny BERT with only pytorch_model.bin;
- SHARDED: a tiny BERT in several safetensors shards with their index;
- SHARDED_BIN: a tiny BERT in three pytorch_model-0000k-of-00003.bin shards with pytorch_model.bin.index.json,
  as transformers 4 wrote checkpoints too big for one file;
- GATED and PRIVATE: a config each, readable only with TestHub.token.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from support.hub_server import HubRepo

SST2 = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
LEGACY_SST2 = "distilbert-base-uncased-finetuned-sst-2-english"
BIN_ONLY = "test-org/tiny-bert-bin-only"
SHARDED = "test-org/tiny-bert-sharded"
SHARDED_BIN = "test-org/tiny-bert-sharded-bin"
GATED = "test-org/tiny-gated"
PRIVATE = "test-org/tiny-private"

SENTENCE = "We are very happy to show you the 🤗 Transformers library."
# enough WordPiece vocabulary for SENTENCE and the quicktour's other examples
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "we", "are", "very", "happy", "to", "show", "you",
         "the", "transformers", "library", ".", "hope", "don", "'", "t", "hate", "it", "!", "i", "trans",
         "##form", "##ers", "hug", "##ging", "face"]


@dataclass
class HubRepos:
    repos: list
    aliases: dict
    sst2_v1: str  # commit sha of SST2's tag "v1"

    def files(self, repo_id, revision="main"):
        """{filename: bytes} of a repository at a revision, as the hub serves it."""
        repo = next(r for r in self.repos if r.repo_id == repo_id)
        return repo.commits[repo.resolve(revision)]


def build_repos(folder):
    """Save the tiny models with transformers under `folder` and return them as hub repositories."""
    import torch
    from transformers import (BertConfig, BertModel, DistilBertConfig, DistilBertForSequenceClassification,
                              DistilBertTokenizer)
    from transformers.pipelines import SUPPORTED_TASKS

    folder = Path(folder)
    vocab_file = folder / "vocab.txt"
    vocab_file.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    tokenizer = DistilBertTokenizer(str(vocab_file))

    def save(name, model, *, bin_only=False, bin_shards=0, **save_kwargs):
        out = folder / name
        if bin_only:  # transformers 5 writes safetensors only; torch.save is how the old files were made
            model.config.save_pretrained(out)
            torch.save(model.state_dict(), out / "pytorch_model.bin")
        elif bin_shards:  # the layout of transformers 4's sharded torch checkpoints, written by hand for the same reason
            model.config.save_pretrained(out)
            keys = list(model.state_dict())
            names = [f"pytorch_model-{k + 1:05d}-of-{bin_shards:05d}.bin" for k in range(bin_shards)]
            weight_map = {key: names[i * bin_shards // len(keys)] for i, key in enumerate(keys)}
            for shard in names:
                torch.save({k: v for k, v in model.state_dict().items() if weight_map[k] == shard}, out / shard)
            index = {"metadata": {"total_size": sum(v.numel() * v.element_size() for v in model.state_dict().values())},
                     "weight_map": weight_map}
            (out / "pytorch_model.bin.index.json").write_text(json.dumps(index, indent=2), encoding="utf-8")
        else:
            model.save_pretrained(out, **save_kwargs)
        return out

    def with_tokenizer(out):
        tokenizer.save_pretrained(out)
        (out / "vocab.txt").write_bytes(vocab_file.read_bytes())  # the Hub repository ships it too
        return out

    torch.manual_seed(0)
    sst2 = HubRepo(SST2)
    small = dict(vocab_size=len(VOCAB), dim=32, n_layers=2, n_heads=2, hidden_dim=64, max_position_embeddings=64)
    v1 = with_tokenizer(save("sst2-v1", DistilBertForSequenceClassification(DistilBertConfig(**small))))
    sst2_v1 = sst2.commit(v1, ref="v1")
    labels = {0: "NEGATIVE", 1: "POSITIVE"}
    model = DistilBertForSequenceClassification(DistilBertConfig(**small, id2label=labels))
    main = with_tokenizer(save("sst2-main", model))
    torch.save(model.state_dict(), main / "pytorch_model.bin")
    # pipeline("sentiment-analysis") pins SST2 by a short commit hash: make main that commit
    default_name, pinned = SUPPORTED_TASKS["text-classification"]["default"]["model"]
    assert default_name == SST2
    sst2.commit(main, prefix=pinned)

    bert = dict(vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                intermediate_size=64, max_position_embeddings=64)
    repos = [sst2]
    for repo_id, kwargs in ((BIN_ONLY, dict(bin_only=True)), (SHARDED, dict(max_shard_size="20KB")),
                            (SHARDED_BIN, dict(bin_shards=3))):
        repo = HubRepo(repo_id)
        repo.commit(with_tokenizer(save(repo_id.split("/")[1], BertModel(BertConfig(**bert)), **kwargs)))
        repos.append(repo)
    for repo in (HubRepo(GATED, gated=True), HubRepo(PRIVATE, private=True)):
        repo.commit({"config.json": (main / "config.json").read_bytes()})
        repos.append(repo)
    return HubRepos(repos, {LEGACY_SST2: SST2}, sst2_v1)
