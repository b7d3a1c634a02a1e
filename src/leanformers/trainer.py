"""`Trainer` and `TrainingArguments` with the arguments transformers' task guides pass, run by the one training loop
of leanformers.train (`fit`): Trainer maps its arguments onto fit's and adds what the guides look at (log history,
`compute_metrics`, `evaluate`, `predict`, `save_model`).

With the same seed, data and model, the batches (accelerate's seedable random sampler: a generator seeded
`seed + epoch` each epoch), the optimizer (AdamW, no weight decay on biases and norms), the linear schedule,
gradient clipping and so the per-step losses are those of transformers' Trainer.

Not taken (a clear error rather than a silent difference): gradient accumulation, max_steps, a fractional number
of epochs, schedulers other than "linear", fp16, push_to_hub=True (leanformers does not upload).
"""

import inspect
import math
import os
import random
import time
import numpy as np
import torch

from . import train as loop
from .data_collator import DataCollatorWithPadding, default_data_collator
from .training_args import TrainingArguments


class EvalPrediction:
    """What `compute_metrics` is called with: `predictions` and `label_ids` (numpy arrays); it also unpacks as
    `logits, labels = eval_pred`, as in transformers."""

    def __init__(self, predictions, label_ids):
        self.predictions, self.label_ids = predictions, label_ids

    def __iter__(self):
        return iter((self.predictions, self.label_ids))

    def __getitem__(self, index):
        return (self.predictions, self.label_ids)[index]

    def __len__(self):
        return 2


class TrainOutput(tuple):
    """(global_step, training_loss, metrics), as transformers' named tuple."""

    def __new__(cls, global_step, training_loss, metrics):
        self = super().__new__(cls, (global_step, training_loss, metrics))
        self.global_step, self.training_loss, self.metrics = global_step, training_loss, metrics
        return self


class PredictionOutput(tuple):
    """(predictions, label_ids, metrics), as transformers' named tuple."""

    def __new__(cls, predictions, label_ids, metrics):
        self = super().__new__(cls, (predictions, label_ids, metrics))
        self.predictions, self.label_ids, self.metrics = predictions, label_ids, metrics
        return self


def set_seed(seed):
    """Seed python's, numpy's and torch's generators, as transformers.set_seed does."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class _TrainerState:
    def __init__(self):
        self.global_step, self.epoch, self.log_history = 0, None, []
        self.best_metric, self.best_model_checkpoint = None, None


class Trainer:
    """Fine-tune a model with transformers' Trainer arguments; the loop is leanformers.train.fit."""

    def __init__(self, model=None, args=None, data_collator=None, train_dataset=None, eval_dataset=None,
                 processing_class=None, model_init=None, compute_loss_func=None, compute_metrics=None,
                 callbacks=None, optimizers=(None, None), preprocess_logits_for_metrics=None, *, tokenizer=None):
        if model is None:
            raise ValueError("Trainer needs a model (model_init is not supported).")
        for name, value in (("model_init", model_init), ("compute_loss_func", compute_loss_func),
                            ("callbacks", callbacks)):
            if value:
                raise ValueError(f"{name}= is not supported by leanformers' Trainer.")
        if optimizers != (None, None):
            raise ValueError("optimizers= is not supported by leanformers' Trainer (it uses AdamW with a linear "
                             "schedule, transformers' default).")
        self.args = args if args is not None else TrainingArguments()
        set_seed(self.args.seed)
        self.model = model
        self.processing_class = processing_class if processing_class is not None else tokenizer
        self.train_dataset, self.eval_dataset = train_dataset, eval_dataset
        self.compute_metrics = compute_metrics
        self.preprocess_logits_for_metrics = preprocess_logits_for_metrics
        self.data_collator = data_collator if data_collator is not None else self._default_collator()
        self.state = _TrainerState()
        self.model.to(self.args.device)

    @property
    def tokenizer(self):
        return self.processing_class

    # --- data ---

    def _default_collator(self):
        """transformers' choice: DataCollatorWithPadding with a tokenizer, else default_data_collator (no padding)."""
        if hasattr(self.processing_class, "pad"):
            return DataCollatorWithPadding(self.processing_class)
        return default_data_collator

    def _collator(self):
        """The data collator, given only the columns the model's forward takes (and the labels), as transformers'
        remove_unused_columns does."""
        if not self.args.remove_unused_columns:
            return self.data_collator
        keep = set(inspect.signature(self.model.forward).parameters) | {"label", "label_ids", "labels"}
        keep |= set(self.args.label_names or ())

        def collate(features):
            if features and hasattr(features[0], "keys"):
                features = [{k: v for k, v in f.items() if k in keep} for f in features]
            return self.data_collator(features)

        return collate

    # --- training ---

    def train(self, resume_from_checkpoint=None, **kwargs):
        args = self.args
        if self.train_dataset is None:
            raise ValueError("Trainer.train() needs a train_dataset.")
        epochs = int(args.num_train_epochs)
        n = len(self.train_dataset)
        steps_per_epoch = math.ceil(n / args.train_batch_size)
        total = steps_per_epoch * epochs
        warmup = args.warmup_steps
        if args.warmup_ratio is not None and not warmup:
            warmup = args.warmup_ratio
        warmup = math.ceil(warmup * total) if 0 < warmup < 1 else int(warmup)

        def steps(value):  # a number of steps, or in (0, 1) a share of all the steps, as in transformers
            return math.ceil(value * total) if 0 < value < 1 else int(value)

        eval_every = None
        if args.eval_strategy == "steps":
            eval_every = steps(args.eval_steps)
        elif args.save_strategy == "steps" and args.eval_strategy == "no":
            eval_every = steps(args.save_steps)
        logging_steps = steps(args.logging_steps)
        # fit checkpoints (evaluates, keeps the best, saves the state to resume from) at each epoch's end, or
        # every eval_every steps and after the last
        epoch_checkpoints = args.eval_strategy == "epoch" or (args.eval_strategy, args.save_strategy) == ("no", "epoch")
        evaluate_fn = None
        if args.eval_strategy != "no" and self.eval_dataset is not None:
            evaluate_fn = self._evaluate_during_training
        keep_files = args.save_strategy != "no" or args.load_best_model_at_end
        metric = args.metric_for_best_model or "loss"
        metric = metric if metric.startswith("eval_") else f"eval_{metric}"
        logged = {"losses": [], "since": 0}
        self._steps_per_epoch = steps_per_epoch
        lr_at = loop._warmup_then_decay(warmup, total)

        def on_update(step, loss, grad_norm):
            self.state.global_step, self.state.epoch = step, step / steps_per_epoch
            logged["losses"].append(loss)
            if args.logging_strategy == "steps" and (step % logging_steps == 0
                                                     or (args.logging_first_step and step == 1)) \
                    or args.logging_strategy == "epoch" and step % steps_per_epoch == 0:
                window = logged["losses"][logged["since"]:]
                logged["since"] = len(logged["losses"])
                logs = {"loss": sum(window) / len(window)}
                if grad_norm is not None:
                    logs["grad_norm"] = grad_norm
                self._log({**logs, "learning_rate": args.learning_rate * lr_at(step - 1)})

        if resume_from_checkpoint not in (None, False) and not keep_files:
            raise ValueError("resume_from_checkpoint needs the checkpoints of a run with save_strategy != 'no'.")
        if isinstance(resume_from_checkpoint, str) and os.path.abspath(resume_from_checkpoint) not in (
                os.path.abspath(args.output_dir), os.path.abspath(os.path.join(args.output_dir, "last"))):
            raise ValueError(f"resume_from_checkpoint={resume_from_checkpoint!r}: leanformers resumes from "
                             f"{os.path.join(args.output_dir, 'last')} (output_dir's last state); pass True.")
        start = time.perf_counter()
        result = loop.fit(
            self.model, self.train_dataset, self.eval_dataset if evaluate_fn else None, tokenizer=None,
            epochs=epochs, batch_size=args.train_batch_size, learning_rate=args.learning_rate,
            weight_decay=args.weight_decay, warmup_steps=warmup, max_grad_norm=args.max_grad_norm or None,
            seed=args.seed, data_seed=args.data_seed, output_dir=args.output_dir if keep_files else None,
            device=args.device, eval_every=eval_every, bf16=args.bf16, resume=bool(resume_from_checkpoint),
            progress=not args.disable_tqdm, on_update=on_update, data_collator=self._collator(), order="random",
            evaluate_fn=evaluate_fn, eval_at_epoch_end=epoch_checkpoints,
            metric_for_best=metric, greater_is_better=args.greater_is_better is not False,
            save_fn=self._save_to, betas=(args.adam_beta1, args.adam_beta2), eps=args.adam_epsilon,
            fused=getattr(args.optim, "value", args.optim) == "adamw_torch_fused")
        runtime = time.perf_counter() - start
        if result.best is not None:
            self.state.best_metric = result.best[metric]
            self.state.best_model_checkpoint = os.path.join(args.output_dir, "best") if keep_files else None
        if args.load_best_model_at_end and self.state.best_model_checkpoint:
            self._load_weights(self.state.best_model_checkpoint)
        metrics = {"train_runtime": round(runtime, 4), "train_samples_per_second": round(n * epochs / runtime, 3),
                   "train_steps_per_second": round(result.global_step / runtime, 3), "train_loss": result.train_loss}
        self._log(dict(metrics))
        return TrainOutput(result.global_step, result.train_loss, {**metrics, "epoch": self.state.epoch})

    def _evaluate_during_training(self, model):
        return self.evaluate()

    def _log(self, logs):
        if self.state.epoch is not None:
            logs["epoch"] = self.state.epoch
        self.state.log_history.append({**logs, "step": self.state.global_step})

    # --- evaluation ---

    def evaluate(self, eval_dataset=None, ignore_keys=None, metric_key_prefix="eval"):
        dataset = eval_dataset if eval_dataset is not None else self.eval_dataset
        if dataset is None:
            raise ValueError("Trainer.evaluate() needs an eval_dataset (here or when making the Trainer).")
        output = self._prediction_loop(dataset, metric_key_prefix)
        self._log(dict(output.metrics))
        if self.state.epoch is not None:
            output.metrics["epoch"] = self.state.epoch
        return output.metrics

    def predict(self, test_dataset, ignore_keys=None, metric_key_prefix="test"):
        return self._prediction_loop(test_dataset, metric_key_prefix)

    @torch.no_grad()
    def _prediction_loop(self, dataset, prefix):
        """Loss (the mean over examples), predictions and labels of the model on `dataset`, in its order."""
        model, device = self.model, self.args.device
        was_training = model.training
        model.eval()
        start = time.perf_counter()
        # a DataLoader, as in transformers (its start draws once from torch's generator, which dropout then sees)
        batches = torch.utils.data.DataLoader(dataset, batch_size=self.args.eval_batch_size, shuffle=False,
                                              collate_fn=self._collator())
        label_names = self.args.label_names or ["labels"]
        loss_sum, count, predictions, labels = 0.0, 0, [], []
        for batch in batches:
            batch = loop.to_device(batch, device)
            outputs = model(**batch)
            logits = outputs.logits if hasattr(outputs, "logits") else outputs[1]
            size = logits.shape[0]
            if getattr(outputs, "loss", None) is not None:
                loss_sum, count = loss_sum + outputs.loss.item() * size, count + size
            if self.preprocess_logits_for_metrics is not None:
                logits = self.preprocess_logits_for_metrics(logits, batch.get(label_names[0]))
            predictions.append(logits.float().cpu().numpy())
            if batch.get(label_names[0]) is not None:
                labels.append(batch[label_names[0]].cpu().numpy())
        model.train(was_training)
        predictions = _concatenate(predictions)
        label_ids = _concatenate(labels) if labels else None
        metrics = {}
        if self.compute_metrics is not None and label_ids is not None:
            metrics = dict(self.compute_metrics(EvalPrediction(predictions, label_ids)))
        if count:
            metrics["loss"] = loss_sum / count
        runtime = time.perf_counter() - start
        metrics.update(runtime=round(runtime, 4), samples_per_second=round(len(dataset) / runtime, 3),
                       steps_per_second=round(len(batches) / runtime, 3))
        metrics = {k if k.startswith(f"{prefix}_") else f"{prefix}_{k}": _plain(v) for k, v in metrics.items()}
        return PredictionOutput(predictions, label_ids, metrics)

    # --- saving ---

    def save_model(self, output_dir=None, _internal_call=False):
        self._save_to(self.model, output_dir or self.args.output_dir)

    def _save_to(self, model, folder):
        loop.save_model(model, folder)
        if self.processing_class is not None and hasattr(self.processing_class, "save_pretrained"):
            self.processing_class.save_pretrained(folder)

    def _load_weights(self, folder):
        from safetensors.torch import load_file

        filename = os.path.join(folder, "model.safetensors")
        if not os.path.isfile(filename):
            raise FileNotFoundError(f"load_best_model_at_end: {filename} does not exist.")
        missing, unexpected = self.model.load_state_dict(load_file(filename), strict=False)
        if unexpected:
            raise ValueError(f"{filename} has weights the model does not: {unexpected[:5]}")


def _concatenate(arrays):
    if not arrays:
        return None
    if all(a.shape[1:] == arrays[0].shape[1:] for a in arrays):
        return np.concatenate(arrays)
    width = max(a.shape[1] for a in arrays)  # sequence outputs of different lengths: pad with -100 as transformers
    return np.concatenate([np.pad(a, [(0, 0), (0, width - a.shape[1])] + [(0, 0)] * (a.ndim - 2),
                                  constant_values=-100) for a in arrays])


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
