"""Data collators: a list of examples (dicts of ids, as `datasets.map` makes them) -> one padded batch of tensors,
as transformers' task guides pass them to a DataLoader or Trainer; and `set_seed`.

Padding is the tokenizer's (`tokenizer.pad`, tokenization/padding.py); labels are padded with
`label_pad_token_id` (-100, what the losses ignore) on the tokenizer's padding side. The masked-LM collator
draws its random numbers in transformers' order, so under the same torch seed it masks the same tokens.
torch is imported when a batch is made, so importing this module stays light.
"""

import os
from dataclasses import dataclass
from typing import Any

from .tokenization.padding import pad_columns
from .utils.backends import import_torch


def set_seed(seed, deterministic=False):
    """Seed Python's `random`, numpy and torch (all GPUs too), as transformers.set_seed; `deterministic=True`
    also asks torch for deterministic algorithms."""
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
    except ModuleNotFoundError:
        return
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True)


def default_data_collator(features, return_tensors="pt"):
    """Stack examples that need no padding into tensors: `label` (one number each) or `label_ids` (a list each)
    becomes `labels`; every other key that is not None or a string is stacked as it is."""
    _check_pt(return_tensors, "default_data_collator")
    torch = import_torch("default_data_collator")
    import numpy as np

    features = [f if hasattr(f, "keys") else vars(f) for f in features]
    first, batch = features[0], {}
    if first.get("label") is not None:
        label = first["label"].item() if isinstance(first["label"], torch.Tensor) else first["label"]
        dtype = torch.long if isinstance(label, (int, np.integer)) else torch.float
        batch["labels"] = torch.tensor([f["label"] for f in features], dtype=dtype)
    elif first.get("label_ids") is not None:
        if isinstance(first["label_ids"], torch.Tensor):
            batch["labels"] = torch.stack([f["label_ids"] for f in features])
        else:
            dtype = torch.long if isinstance(first["label_ids"][0], (int, np.integer)) else torch.float
            batch["labels"] = torch.tensor([f["label_ids"] for f in features], dtype=dtype)
    for key, value in first.items():
        if key in ("label", "label_ids") or value is None or isinstance(value, str):
            continue
        values = [f[key] for f in features]
        if isinstance(value, torch.Tensor):
            batch[key] = torch.stack(values)
        elif isinstance(value, np.ndarray):
            batch[key] = torch.from_numpy(np.stack(values))
        else:
            batch[key] = torch.tensor(values)
    return batch


@dataclass
class DefaultDataCollator:
    """`default_data_collator` as an object, with `return_tensors` set when it is made."""

    return_tensors: str = "pt"

    def __call__(self, features, return_tensors=None):
        return default_data_collator(features, return_tensors or self.return_tensors)


@dataclass
class DataCollatorWithPadding:
    """Pad the examples to the longest of the batch (or as `padding` says); `label`/`label_ids` become `labels`."""

    tokenizer: Any
    padding: Any = True
    max_length: int | None = None
    pad_to_multiple_of: int | None = None
    return_tensors: str = "pt"

    def __call__(self, features):
        batch = self.tokenizer.pad(features, padding=self.padding, max_length=self.max_length,
                                   pad_to_multiple_of=self.pad_to_multiple_of, return_tensors=self.return_tensors)
        for name in ("label", "label_ids"):
            if name in batch:
                batch["labels"] = batch.pop(name)
        return batch


@dataclass
class DataCollatorForTokenClassification:
    """Pad the inputs with the tokenizer and the per-token labels (`labels` or `label`) with
    `label_pad_token_id` to the same length."""

    tokenizer: Any
    padding: Any = True
    max_length: int | None = None
    pad_to_multiple_of: int | None = None
    label_pad_token_id: int = -100
    return_tensors: str = "pt"

    def __call__(self, features, return_tensors=None):
        _check_pt(return_tensors or self.return_tensors, type(self).__name__)
        torch = import_torch(type(self).__name__)
        name, labels, inputs = _split_labels(features)
        batch = self.tokenizer.pad(inputs, padding=self.padding, max_length=self.max_length,
                                   pad_to_multiple_of=self.pad_to_multiple_of, return_tensors="pt")
        if labels is None:
            return batch
        padded = _pad_labels(labels, batch["input_ids"].shape[1], self.label_pad_token_id, self.tokenizer.padding_side)
        batch[name] = torch.tensor(padded, dtype=torch.int64)
        return batch


@dataclass
class DataCollatorForSeq2Seq:
    """Pad the inputs with the tokenizer and the target ids (`labels`) with `label_pad_token_id`; given a `model`
    with `prepare_decoder_input_ids_from_labels` (BART, ...), also make its `decoder_input_ids`."""

    tokenizer: Any
    model: Any = None
    padding: Any = True
    max_length: int | None = None
    pad_to_multiple_of: int | None = None
    label_pad_token_id: int = -100
    return_tensors: str = "pt"

    def __call__(self, features, return_tensors=None):
        _check_pt(return_tensors or self.return_tensors, type(self).__name__)
        torch = import_torch(type(self).__name__)
        _, labels, inputs = _split_labels(features)
        if labels is not None and all(label is None for label in labels):
            labels = None
        batch = self.tokenizer.pad(inputs, padding=self.padding, max_length=self.max_length,
                                   pad_to_multiple_of=self.pad_to_multiple_of, return_tensors="pt")
        if labels is None:
            batch["labels"] = None
            return batch
        labels = [_as_list(label) for label in labels]
        if self.padding not in (False, "do_not_pad"):
            by_max_length = getattr(self.padding, "value", self.padding) == "max_length" and self.max_length is not None
            length = self.max_length if by_max_length else max(map(len, labels))
            if self.pad_to_multiple_of:
                length = -(-length // self.pad_to_multiple_of) * self.pad_to_multiple_of
            labels = _pad_labels(labels, length, self.label_pad_token_id, self.tokenizer.padding_side)
        batch["labels"] = torch.tensor(labels, dtype=torch.int64)
        if self.model is not None and hasattr(self.model, "prepare_decoder_input_ids_from_labels"):
            batch["decoder_input_ids"] = self.model.prepare_decoder_input_ids_from_labels(labels=batch["labels"])
        return batch


@dataclass
class DataCollatorForLanguageModeling:
    """Batches for language modeling: padded `input_ids` and their `labels`.

    mlm=True (masked LM): each token that is not special is chosen with probability `mlm_probability`; a chosen
    token is replaced by the mask token (`mask_replace_prob`, 80%), by a random token (`random_replace_prob`,
    10%) or kept; labels are the original ids of the chosen tokens and -100 elsewhere. mlm=False (causal LM):
    labels are the input ids, with -100 at the pad tokens (the model shifts them). `seed` gives the collator its
    own torch generator; without it, torch's global one is used (seed it with `set_seed`).
    """

    tokenizer: Any
    mlm: bool = True
    whole_word_mask: bool = False
    mlm_probability: float | None = 0.15
    mask_replace_prob: float = 0.8
    random_replace_prob: float = 0.1
    pad_to_multiple_of: int | None = None
    return_tensors: str = "pt"
    seed: int | None = None

    def __post_init__(self):
        if self.whole_word_mask:
            raise ValueError("whole_word_mask=True is not supported by leanformers; use whole_word_mask=False "
                             "(each token is masked on its own).")
        if self.mlm:
            if self.tokenizer.mask_token is None:
                raise ValueError("This tokenizer has no mask token, which masked language modeling (mlm=True) "
                                 "needs; pass mlm=False to train a causal language model instead.")
            if self.mlm_probability is None or not 0 <= self.mlm_probability <= 1:
                raise ValueError(f"mlm_probability={self.mlm_probability!r} must be a number between 0 and 1, "
                                 "e.g. 0.15.")
            self.mlm_probability = float(self.mlm_probability)
        for name in ("mask_replace_prob", "random_replace_prob"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name}={getattr(self, name)!r} must be between 0 and 1.")
        if self.mask_replace_prob + self.random_replace_prob > 1:
            raise ValueError(f"mask_replace_prob + random_replace_prob = "
                             f"{self.mask_replace_prob + self.random_replace_prob} must not exceed 1.")
        self.mask_replace_prob = float(self.mask_replace_prob)
        self.random_replace_prob = float(self.random_replace_prob)
        self._generator, self._generator_pid = None, None

    def __call__(self, examples, return_tensors=None):
        _check_pt(return_tensors or self.return_tensors, type(self).__name__)
        torch = import_torch(type(self).__name__)
        if hasattr(examples[0], "keys"):
            batch = self.tokenizer.pad(examples, return_tensors="pt", pad_to_multiple_of=self.pad_to_multiple_of)
        else:  # bare sequences of ids: padded only where they differ in length (or miss the multiple)
            ids = [_as_list(example) for example in examples]
            multiple = self.pad_to_multiple_of
            even = len(set(map(len, ids))) == 1 and not (multiple and len(ids[0]) % multiple)
            batch = self.tokenizer.pad({"input_ids": ids}, padding=not even, return_attention_mask=False,
                                       pad_to_multiple_of=self.pad_to_multiple_of, return_tensors="pt")
            batch = {"input_ids": batch["input_ids"]}
        special_tokens_mask = batch.pop("special_tokens_mask", None)
        batch.pop("offset_mapping", None)
        if self.mlm:
            batch["input_ids"], batch["labels"] = self.torch_mask_tokens(batch["input_ids"], special_tokens_mask)
        else:
            labels = batch["input_ids"].clone()
            if self.tokenizer.pad_token_id is not None:
                labels[labels == self.tokenizer.pad_token_id] = -100
            batch["labels"] = labels
        return batch

    def torch_mask_tokens(self, inputs, special_tokens_mask=None):
        """(inputs masked in place, labels) of a (B, T) batch of ids. The draws, in order: which tokens are chosen,
        which of them get the mask token, which of the rest a random token, and the random tokens."""
        torch = import_torch(type(self).__name__)
        generator = self._torch_generator(torch)
        labels = inputs.clone()
        if special_tokens_mask is None:
            special_tokens_mask = [self.tokenizer.get_special_tokens_mask(row, already_has_special_tokens=True)
                                   for row in labels.tolist()]
        special = torch.as_tensor(special_tokens_mask).bool()
        chance = torch.full(labels.shape, self.mlm_probability).masked_fill_(special, 0.0)
        chosen = torch.bernoulli(chance, generator=generator).bool()
        labels[~chosen] = -100  # the loss reads the chosen tokens only

        masked = torch.bernoulli(torch.full(labels.shape, self.mask_replace_prob), generator=generator).bool() & chosen
        inputs[masked] = self.tokenizer.convert_tokens_to_ids(self.tokenizer.mask_token)
        if self.mask_replace_prob == 1 or self.random_replace_prob == 0:
            return inputs, labels
        # of the chosen tokens left unmasked, the share that gets a random token
        share = self.random_replace_prob / (1 - self.mask_replace_prob)
        randomized = (torch.bernoulli(torch.full(labels.shape, share), generator=generator).bool()
                      & chosen & ~masked)
        random_ids = torch.randint(len(self.tokenizer), labels.shape, dtype=torch.long, generator=generator)
        inputs[randomized] = random_ids[randomized]
        return inputs, labels

    def _torch_generator(self, torch):
        """The collator's own generator when it has a seed (a DataLoader worker adds its id), else None: torch's."""
        if self.seed is None:
            return None
        if self._generator is None or self._generator_pid != os.getpid():
            worker = torch.utils.data.get_worker_info()
            self._generator = torch.Generator().manual_seed(self.seed + (worker.id if worker is not None else 0))
            self._generator_pid = os.getpid()
        return self._generator


def _check_pt(return_tensors, who):
    if return_tensors != "pt":
        raise ValueError(f"{who} got return_tensors={return_tensors!r}; leanformers' collators make PyTorch "
                         "tensors only: use return_tensors='pt' (the default).")


def _split_labels(features):
    """(the label key, its values or None, the features without it): `label` if the examples have it, else
    `labels`."""
    name = "label" if "label" in features[0] else "labels"
    labels = [feature[name] for feature in features] if name in features[0] else None
    return name, labels, [{k: v for k, v in feature.items() if k != name} for feature in features]


def _pad_labels(labels, length, pad_id, side):
    """Label rows brought to `length` with `pad_id` on `side` (longer rows stay as they are)."""
    padded = pad_columns({"labels": [_as_list(label) for label in labels]}, "labels", "max_length", length, None,
                         side, {"labels": pad_id}, with_attention_mask=False)
    return padded["labels"]


def _as_list(values):
    return values.tolist() if hasattr(values, "tolist") else list(values)
