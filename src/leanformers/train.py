"""Fine-tuning a sequence classifier: `fit(model, train, eval, tokenizer=...)` in one readable loop.

What it does, in order: tokenize every text once; each epoch, shuffle with the seed and cut the data
into length-bucketed batches (similar lengths together, so dynamic padding wastes little); AdamW with
linear warm-up then linear decay; gradient clipping; bf16 autocast on CUDA; evaluation (loss,
accuracy, F1) after each epoch and every `eval_every` steps; the best model saved to
`output_dir/best` (`save_pretrained`, or the adapter alone for a LoRA model); and the whole training
state in `output_dir/last` so `fit(..., resume=True)` carries on from the step it reached.

A dataset is a list of dicts (`[{"text": ..., "label": 0}, ...]`) or a dict of columns
(`{"text": [...], "label": [...]}`); with a `data_collator`, a dataset of features that it batches (as
`leanformers.Trainer`, which runs this loop, passes it).
"""

import math
import os
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from .lora import save_lora
from .tokenization.padding import pad_columns
from .utils.files import write_atomic

STATE_NAME = "training_state.pt"


@dataclass
class FitResult:
    global_step: int
    train_loss: float  # mean loss over the steps this call ran
    history: list = field(default_factory=list)  # one dict of metrics per evaluation
    best: dict | None = None  # the best evaluation (by `metric_for_best`)


# --- data ---------------------------------------------------------------------------------------------------------


def encode_dataset(dataset, tokenizer, *, text_column="text", label_column="label", max_length=128,
                   num_labels=None, name="dataset"):
    """Tokenize a dataset once: a list of (input ids, label). Checks columns and labels, naming the bad row."""
    if isinstance(dataset, dict):
        missing = [c for c in (text_column, label_column) if c not in dataset]
        if missing:
            raise ValueError(f"{name} has no column {missing[0]!r} (its columns: {sorted(dataset)}); pass "
                             f"text_column= / label_column= naming the right ones.")
        texts, labels = list(dataset[text_column]), list(dataset[label_column])
        if len(texts) != len(labels):
            raise ValueError(f"{name}: column {text_column!r} has {len(texts)} rows but {label_column!r} has "
                             f"{len(labels)}; the columns must have equal length.")
    else:
        rows = list(dataset)
        for i, row in enumerate(rows):
            for column in (text_column, label_column):
                if not hasattr(row, "keys") or column not in row:
                    found = sorted(row.keys()) if hasattr(row, "keys") else type(row).__name__
                    raise ValueError(f"{name} row {i} has no {column!r} field (it has {found}); each row must be a "
                                     f"dict with {text_column!r} and {label_column!r}, or pass text_column= / "
                                     "label_column=.")
        texts, labels = [r[text_column] for r in rows], [r[label_column] for r in rows]
    if not texts:
        raise ValueError(f"{name} is empty; fine-tuning needs at least one labelled example.")
    for i, (text, label) in enumerate(zip(texts, labels)):
        if not isinstance(text, str):
            raise ValueError(f"{name} row {i}: {text_column!r} is {type(text).__name__}, expected a string.")
        if isinstance(label, bool) or not isinstance(label, int) or (num_labels and not 0 <= label < num_labels):
            raise ValueError(f"{name} row {i}: label {label!r} is not an integer in [0, {num_labels}) "
                             f"(the model's num_labels); fix the data or load the model with num_labels=N.")
    ids = tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]
    return list(zip(ids, labels))


def length_bucketed_batches(lengths, batch_size, generator=None):
    """Batches of indices with similar lengths. With a generator: shuffled, then sorted by length within
    windows of 50 batches and the batch order shuffled (random yet little padding); without: sorted."""
    n = len(lengths)
    if generator is None:
        order = sorted(range(n), key=lambda i: lengths[i])
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]
    order = torch.randperm(n, generator=generator).tolist()
    window = batch_size * 50
    batches = []
    for start in range(0, n, window):
        chunk = sorted(order[start:start + window], key=lambda i: lengths[i])
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def collate(examples, pad_token_id, device):
    """Pad a batch to its longest sequence on the right (the padding of `tokenizer.pad` and the data collators):
    input_ids, attention_mask (B, T) and labels (B,)."""
    batch = pad_columns({"input_ids": [ids for ids, _ in examples]}, "input_ids", "longest", None, None, "right",
                        {"input_ids": pad_token_id}, with_attention_mask=True)
    batch["labels"] = [label for _, label in examples]
    return {key: torch.tensor(value, dtype=torch.long).to(device) for key, value in batch.items()}


def random_batches(n, batch_size, seed):
    """One epoch of batches in the order of transformers' Trainer: a permutation from a generator seeded `seed`
    (accelerate's seedable sampler seeds it `args.seed + epoch`), cut into consecutive batches."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def _draw_like_a_dataloader():
    """The one number a torch DataLoader draws from the global generator when an epoch starts (its workers'
    base seed), drawn here so that dropout then sees the same random stream as under transformers' Trainer."""
    torch.empty((), dtype=torch.int64).random_()


def to_device(batch, device):
    """A collated batch (a dict of tensors, or anything else) on `device`."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if hasattr(batch, "items"):
        return {key: to_device(value, device) for key, value in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(value, device) for value in batch)
    return batch


# --- evaluation ---------------------------------------------------------------------------------------------------


@torch.inference_mode()
def evaluate(model, dataset, *, tokenizer=None, batch_size=64, device=None, max_length=128, text_column="text",
             label_column="label"):
    """Loss, accuracy and F1 (of label 1 for two labels, macro otherwise) of `model` on a dataset (raw, or
    already encoded by `encode_dataset`)."""
    device = torch.device(device) if device is not None else model.device
    num_labels = model.config.num_labels
    if not (isinstance(dataset, list) and dataset and isinstance(dataset[0], tuple)):
        dataset = encode_dataset(dataset, tokenizer, text_column=text_column, label_column=label_column,
                                 max_length=max_length, num_labels=num_labels, name="eval_dataset")
    was_training = model.training
    model.eval()
    total_loss, predictions, labels = 0.0, [], []
    pad_id = model.config.pad_token_id or 0
    for batch_ids in length_bucketed_batches([len(ids) for ids, _ in dataset], batch_size):
        batch = collate([dataset[i] for i in batch_ids], pad_id, device)
        with _autocast(device):
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits.float()
        total_loss += F.cross_entropy(logits, batch["labels"], reduction="sum").item()
        predictions += logits.argmax(-1).tolist()
        labels += batch["labels"].tolist()
    model.train(was_training)
    accuracy = sum(p == y for p, y in zip(predictions, labels)) / len(labels)
    return {"loss": total_loss / len(labels), "accuracy": accuracy, "f1": f1_score(labels, predictions, num_labels)}


def f1_score(labels, predictions, num_labels):
    """F1 of the positive class (label 1) for binary tasks, the mean F1 over classes otherwise."""
    def f1(c):
        tp = sum(p == c and y == c for p, y in zip(predictions, labels))
        predicted, actual = predictions.count(c), labels.count(c)
        return 2 * tp / (predicted + actual) if predicted + actual else 0.0

    return f1(1) if num_labels == 2 else sum(map(f1, range(num_labels))) / num_labels


# --- the loop -----------------------------------------------------------------------------------------------------


def fit(model, train_dataset, eval_dataset=None, *, tokenizer, epochs=1, batch_size=32, learning_rate=5e-5,
        weight_decay=0.01, warmup_ratio=0.06, max_grad_norm=1.0, seed=42, output_dir=None, device=None,
        eval_every=None, max_length=128, text_column="text", label_column="label", metric_for_best="accuracy",
        bf16=True, resume=False, progress=True, on_step=None, data_collator=None, order="length_bucketed",
        warmup_steps=None, evaluate_fn=None, eval_at_epoch_end=True, greater_is_better=True, save_fn=None,
        betas=(0.9, 0.999), eps=1e-8, on_update=None, fused=None, data_seed=None):
    """Fine-tune `model` (a ...ForSequenceClassification, possibly with LoRA layers) on `train_dataset`.

    Trains the parameters that require grad. `eval_every`: also evaluate every N optimizer steps.
    `output_dir`: where `best/` (best model by `metric_for_best`) and `last/` (resumable state) go.
    `resume=True` continues from `output_dir/last`. `on_step(step, loss)` is called after each step.
    Returns a FitResult.

    For `Trainer` (features instead of texts): `data_collator(list of examples) -> dict of tensors` makes the
    batches, and the datasets are taken as they are (a list, or anything with `__len__` and `__getitem__`).
    `order="random"` draws each epoch's order as transformers' Trainer does: a fresh generator seeded
    `seed + epoch` (or `data_seed + epoch`), and one draw from torch's global generator as the epoch starts, as a
    DataLoader makes. `warmup_steps` overrides `warmup_ratio`; `evaluate_fn(model) -> metrics` replaces the
    built-in evaluation; `eval_at_epoch_end=False` evaluates only every `eval_every` steps and after the last;
    `greater_is_better` orders `metric_for_best`; `save_fn(model, folder)` saves the best model; `betas`, `eps`,
    `fused`: AdamW's (fused=None: fused on CUDA). `on_update(step, loss, grad_norm)` is called after each step
    with the gradients' norm before clipping.
    """
    _check_hyperparameters(epochs, batch_size, learning_rate, weight_decay, warmup_ratio, max_grad_norm, eval_every)
    if resume and output_dir is None:
        raise ValueError("resume=True needs output_dir, the folder of the run to continue.")
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if order not in ("length_bucketed", "random"):
        raise ValueError(f"order={order!r} is not valid: it must be 'length_bucketed' or 'random'.")
    if data_collator is None:
        num_labels = model.config.num_labels
        train = encode_dataset(train_dataset, tokenizer, text_column=text_column, label_column=label_column,
                               max_length=max_length, num_labels=num_labels, name="train_dataset")
        evaluation = None if eval_dataset is None else encode_dataset(
            eval_dataset, tokenizer, text_column=text_column, label_column=label_column, max_length=max_length,
            num_labels=num_labels, name="eval_dataset")
    else:
        train = train_dataset if hasattr(train_dataset, "__getitem__") else list(train_dataset)
        if len(train) == 0:
            raise ValueError("train_dataset is empty; training needs at least one example.")
        evaluation = eval_dataset
        if evaluation is not None and evaluate_fn is None:
            raise ValueError("With a data_collator, an eval_dataset needs evaluate_fn (the built-in evaluation reads "
                             "texts and labels).")
    if evaluate_fn is None:
        evaluate_fn = None if evaluation is None else (lambda m: evaluate(m, evaluation, device=device))

    torch.manual_seed(seed)
    model.to(device).train()
    # the whole schedule is fixed by the seed up front, so a resumed run sees the same batches
    if order == "random":
        first = seed if data_seed is None else data_seed
        schedule = [batch for epoch in range(epochs) for batch in random_batches(len(train), batch_size, first + epoch)]
    else:
        generator = torch.Generator().manual_seed(seed)
        lengths = [len(ids) for ids, _ in train] if data_collator is None else [len(x["input_ids"]) for x in train]
        schedule = [batch for _ in range(epochs) for batch in length_bucketed_batches(lengths, batch_size, generator)]
    steps_per_epoch = len(schedule) // epochs

    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("The model has no trainable parameters (all have requires_grad=False).")
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]  # no decay on biases, norms
    optimizer = torch.optim.AdamW(groups, lr=learning_rate, betas=betas, eps=eps,
                                  fused=(True if device.type == "cuda" else None) if fused is None else fused)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, _warmup_then_decay(math.ceil(warmup_ratio * len(schedule)) if warmup_steps is None else warmup_steps,
                                      len(schedule)))
    run = {"step": 0, "history": [], "best": None, "fingerprint": [len(train), epochs, batch_size, seed]}
    if resume:
        _load_state(os.path.join(output_dir, "last"), model, optimizer, scheduler, run)

    bar = _progress_bar(len(schedule), run["step"], progress)
    pad_id = model.config.pad_token_id or 0
    losses, seen, start = [], 0, time.perf_counter()
    for step in range(run["step"], len(schedule)):
        if data_collator is None:
            batch = collate([train[i] for i in schedule[step]], pad_id, device)
        else:
            if order == "random" and step % steps_per_epoch == 0:
                _draw_like_a_dataloader()
            batch = to_device(data_collator([train[i] for i in schedule[step]]), device)
        with _autocast(device if bf16 else None):
            loss = model(**batch).loss
        loss.backward()
        grad_norm = None
        if max_grad_norm is not None:
            grad_norm = torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        run["step"] = step + 1
        losses.append(loss.item())
        seen += len(schedule[step])
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{sum(losses[-50:]) / len(losses[-50:]):.4f}",
                            ex_s=f"{seen / (time.perf_counter() - start):.0f}")
        if on_step is not None:
            on_step(run["step"], losses[-1])
        if on_update is not None:
            on_update(run["step"], losses[-1], None if grad_norm is None else grad_norm.item())
        end_of_epoch = eval_at_epoch_end and run["step"] % steps_per_epoch == 0
        last_step = not eval_at_epoch_end and run["step"] == len(schedule)
        if end_of_epoch or last_step or (eval_every and run["step"] % eval_every == 0):
            _checkpoint(model, evaluate_fn, run, optimizer, scheduler, output_dir, metric_for_best, bar,
                        greater_is_better, save_fn or save_model)
    if bar is not None:
        bar.close()
    return FitResult(global_step=run["step"], train_loss=sum(losses) / max(1, len(losses)), history=run["history"],
                     best=run["best"])


def _checkpoint(model, evaluate_fn, run, optimizer, scheduler, output_dir, metric_for_best, bar, greater_is_better,
                save_fn):
    """Evaluate, keep the best model, and save the state to resume from."""
    if evaluate_fn is not None:
        metrics = {"step": run["step"], **evaluate_fn(model)}
        run["history"].append(metrics)
        message = " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items())
        (bar.write if bar is not None else print)(f"eval {message}")
        model.train()
        if metric_for_best not in metrics:
            raise KeyError(f"metric_for_best={metric_for_best!r} is not among the evaluation's metrics "
                           f"{sorted(metrics)}; name one of them.")
        better = (lambda new, old: new > old) if greater_is_better else (lambda new, old: new < old)
        if run["best"] is None or better(metrics[metric_for_best], run["best"][metric_for_best]):
            run["best"] = metrics
            if output_dir is not None:
                save_fn(model, os.path.join(output_dir, "best"))
    if output_dir is not None:
        _save_state(os.path.join(output_dir, "last"), model, optimizer, scheduler, run)


def save_model(model, folder):
    """A LoRA model saves its adapter (small, peft format); any other model its full checkpoint."""
    if getattr(model, "lora_config", None) is not None:
        save_lora(model, folder)
    else:
        model.save_pretrained(folder)


def _save_state(folder, model, optimizer, scheduler, run):
    os.makedirs(folder, exist_ok=True)
    state = {
        "trainable": {name: p.detach().cpu() for name, p in model.named_parameters() if p.requires_grad},
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng": torch.get_rng_state(),
        "run": run,
    }
    write_atomic(os.path.join(folder, STATE_NAME), lambda tmp: torch.save(state, tmp))


def _load_state(folder, model, optimizer, scheduler, run):
    filename = os.path.join(folder, STATE_NAME)
    if not os.path.isfile(filename):
        raise FileNotFoundError(f"resume=True but {filename} does not exist; run fit without resume first (it "
                                "writes that file at each evaluation), or point output_dir at that run.")
    state = torch.load(filename, map_location="cpu", weights_only=True)
    if state["run"]["fingerprint"] != run["fingerprint"]:
        raise ValueError(f"{filename} was saved by a run with (examples, epochs, batch_size, seed) = "
                         f"{state['run']['fingerprint']}, not {run['fingerprint']}; resume with the same settings.")
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, tensor in state["trainable"].items():
            params[name].copy_(tensor)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["rng"])  # dropout continues with the masks an uninterrupted run would draw
    run.update(state["run"])


def _warmup_then_decay(warmup, total):
    """The learning-rate factor at each step: 0 -> 1 over `warmup` steps, then linearly down to 0 at `total`."""
    return lambda step: step / warmup if step < warmup else max(0.0, (total - step) / max(1, total - warmup))


def _check_hyperparameters(epochs, batch_size, learning_rate, weight_decay, warmup_ratio, max_grad_norm, eval_every):
    checks = [
        ("epochs", epochs, isinstance(epochs, int) and epochs >= 1, "a positive integer, e.g. 3"),
        ("batch_size", batch_size, isinstance(batch_size, int) and batch_size >= 1, "a positive integer, e.g. 32"),
        ("learning_rate", learning_rate, isinstance(learning_rate, (int, float)) and learning_rate > 0,
         "a positive number, e.g. 5e-5 (with 0 nothing would be learned)"),
        ("weight_decay", weight_decay, weight_decay >= 0, "zero or positive, e.g. 0.01"),
        ("warmup_ratio", warmup_ratio, 0 <= warmup_ratio < 1, "in [0, 1), e.g. 0.06"),
        ("max_grad_norm", max_grad_norm, max_grad_norm is None or max_grad_norm > 0, "positive, or None for none"),
        ("eval_every", eval_every, eval_every is None or (isinstance(eval_every, int) and eval_every >= 1),
         "a positive number of steps, or None for once per epoch"),
    ]
    for name, value, ok, expected in checks:
        if not ok:
            raise ValueError(f"{name}={value!r} is not valid: it must be {expected}.")


def _autocast(device):
    """bf16 autocast on CUDA (fast, no loss scaling needed); full precision elsewhere."""
    if device is not None and torch.device(device).type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)


def _progress_bar(total, initial, enabled):
    from .utils.progress import are_progress_bars_disabled

    if not enabled or are_progress_bars_disabled():
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="step", mininterval=1.0, dynamic_ncols=True)
