"""`TrainingArguments`: the settings of `Trainer`, with transformers' names and defaults. Reading them needs no
torch (as in transformers); `Trainer` (leanformers.trainer) does."""

from dataclasses import dataclass, field, fields
from importlib import metadata

STRATEGIES = ("no", "steps", "epoch")


def _default_optim():
    """transformers' default: fused AdamW from torch 2.8 on (read from the installed version, importing nothing)."""
    try:
        major, minor = (int(part) for part in metadata.version("torch").split(".")[:2])
    except (metadata.PackageNotFoundError, ValueError):
        return "adamw_torch"
    return "adamw_torch_fused" if (major, minor) >= (2, 8) else "adamw_torch"


@dataclass
class TrainingArguments:
    """The training settings, with transformers' names and defaults (those leanformers takes)."""

    output_dir: str | None = None
    overwrite_output_dir: bool = False
    do_train: bool = False
    do_eval: bool = False
    do_predict: bool = False
    eval_strategy: str = "no"
    per_device_train_batch_size: int = 8
    per_device_eval_batch_size: int = 8
    gradient_accumulation_steps: int = 1
    learning_rate: float = 5e-5
    weight_decay: float = 0.0
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_epsilon: float = 1e-8
    max_grad_norm: float = 1.0
    num_train_epochs: float = 3.0
    max_steps: int = -1
    lr_scheduler_type: str = "linear"
    warmup_steps: float = 0
    warmup_ratio: float | None = None
    logging_dir: str | None = None
    logging_strategy: str = "steps"
    logging_first_step: bool = False
    logging_steps: float = 500
    save_strategy: str = "steps"
    save_steps: float = 500
    save_total_limit: int | None = None
    eval_steps: float | None = None
    seed: int = 42
    data_seed: int | None = None
    use_cpu: bool = False
    no_cuda: bool = False
    bf16: bool = False
    fp16: bool = False
    disable_tqdm: bool | None = None
    remove_unused_columns: bool = True
    label_names: list | None = None
    load_best_model_at_end: bool = False
    metric_for_best_model: str | None = None
    greater_is_better: bool | None = None
    report_to: str | list | None = "none"
    push_to_hub: bool = False
    hub_model_id: str | None = None
    optim: str = field(default_factory=_default_optim)
    dataloader_drop_last: bool = False
    run_name: str | None = None

    def __post_init__(self):
        if self.output_dir is None:
            self.output_dir = "trainer_output"
        for name in ("eval_strategy", "save_strategy", "logging_strategy"):
            value = getattr(self, name)
            value = getattr(value, "value", value)  # an IntervalStrategy-like enum
            if value not in STRATEGIES + (("best",) if name == "save_strategy" else ()):
                raise ValueError(f"{name}={value!r} is not valid: it must be one of {list(STRATEGIES)}.")
            setattr(self, name, value)
        if self.push_to_hub:
            raise ValueError("push_to_hub=True: leanformers does not upload to the Hugging Face Hub (it makes no "
                             "network calls while training). Train with push_to_hub=False, then upload "
                             "trainer.save_model()'s folder with huggingface_hub.")
        report_to = [] if self.report_to in (None, "none", "all") else (
            [self.report_to] if isinstance(self.report_to, str) else [r for r in self.report_to if r != "none"])
        if report_to:
            raise ValueError(f"report_to={self.report_to!r}: leanformers reports to no integration; the logs are in "
                             "trainer.state.log_history. Pass report_to='none'.")
        self.report_to = report_to
        if self.eval_steps is None:
            self.eval_steps = self.logging_steps
        if self.load_best_model_at_end:
            if self.eval_strategy == "no":
                raise ValueError("load_best_model_at_end=True needs an eval_strategy ('steps' or 'epoch') to find "
                                 "the best model.")
            if self.save_strategy not in (self.eval_strategy, "best"):
                raise ValueError(f"load_best_model_at_end requires the save and eval strategy to match, but found "
                                 f"eval_strategy={self.eval_strategy!r} and save_strategy={self.save_strategy!r}.")
            if self.metric_for_best_model is None:
                self.metric_for_best_model = "loss"
        if self.metric_for_best_model is not None and self.greater_is_better is None:
            self.greater_is_better = self.metric_for_best_model not in ("loss", "eval_loss")
        unsupported = [
            ("gradient_accumulation_steps", self.gradient_accumulation_steps != 1, "1"),
            ("max_steps", self.max_steps not in (-1, None) and self.max_steps > 0, "-1 (train num_train_epochs)"),
            ("num_train_epochs", float(self.num_train_epochs) != int(self.num_train_epochs), "a whole number"),
            ("lr_scheduler_type", getattr(self.lr_scheduler_type, "value", self.lr_scheduler_type) != "linear",
             "'linear'"),
            ("optim", getattr(self.optim, "value", self.optim) not in ("adamw_torch", "adamw_torch_fused"),
             "'adamw_torch' or 'adamw_torch_fused'"),
            ("fp16", self.fp16, "False (bf16=True runs bf16 autocast on CUDA)"),
        ]
        for name, bad, supported in unsupported:
            if bad:
                raise ValueError(f"{name}={getattr(self, name)!r} is not supported by leanformers' Trainer; use "
                                 f"{supported}.")

    @property
    def train_batch_size(self):
        return self.per_device_train_batch_size

    @property
    def eval_batch_size(self):
        return self.per_device_eval_batch_size

    @property
    def device(self):
        import torch

        if self.use_cpu or self.no_cuda or not torch.cuda.is_available():
            return torch.device("cpu")
        return torch.device("cuda")

    def to_dict(self):
        return {f.name: getattr(self, f.name) for f in fields(self)}
