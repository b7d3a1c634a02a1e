"""LoRA adapters (Hu et al., 2021) stored in the file format of the `peft` library.

A LoRA layer keeps a frozen Linear W and learns a low-rank change: y = W x + (B A x) * alpha / r,
with A (r, in) and B (out, r), B starting at zero so training starts from the base model.
`add_lora` swaps the targeted Linears of a model for such layers and freezes everything else
except the modules listed in `modules_to_save` (the task head). `save_lora` writes
adapter_config.json + adapter_model.safetensors with the key names peft writes
("base_model.model.<module>.lora_A.weight", "base_model.model.classifier.weight"), so either
library loads what the other saved. `merge_lora` folds B A into W for plain-Linear inference speed.
"""

import math
import os
from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from .utils.files import atomic_files, finish_interrupted_saves, json_text, make_save_directory, read_json

ADAPTER_CONFIG_NAME = "adapter_config.json"
ADAPTER_WEIGHTS_NAME = "adapter_model.safetensors"
PEFT_PREFIX = "base_model.model."  # peft's wrappers put the user's model two attributes deep


@dataclass
class LoraConfig:
    """The adapter_config.json fields leanformers reads and writes (peft fills its other fields with defaults)."""

    r: int = 8
    lora_alpha: float = 8
    lora_dropout: float = 0.0
    target_modules: list | str = field(default_factory=lambda: ["query", "key", "value", "dense"])
    modules_to_save: list | None = field(default_factory=lambda: ["classifier"])
    use_rslora: bool = False
    task_type: str | None = "SEQ_CLS"
    base_model_name_or_path: str | None = None
    peft_type: str = "LORA"
    bias: str = "none"
    fan_in_fan_out: bool = False
    use_dora: bool = False
    inference_mode: bool = True
    init_lora_weights: bool = True

    def __post_init__(self):
        if not isinstance(self.r, int) or self.r <= 0:
            raise ValueError(f"LoRA rank r={self.r!r} must be a positive integer, e.g. r=8.")
        if not 0 <= self.lora_dropout < 1:
            raise ValueError(f"lora_dropout={self.lora_dropout!r} must be in [0, 1).")
        if isinstance(self.target_modules, (list, tuple)):
            self.target_modules = list(self.target_modules)
        if self.modules_to_save is not None:
            self.modules_to_save = list(self.modules_to_save)

    @property
    def scaling(self):
        return self.lora_alpha / (math.sqrt(self.r) if self.use_rslora else self.r)

    @classmethod
    def from_file(cls, filename):
        data = read_json(filename, "it must be the adapter_config.json that peft or leanformers wrote.")
        # features of peft that change the maths or the layout: refuse them rather than load wrong weights
        unsupported = {
            "peft_type": data.get("peft_type", "LORA") != "LORA",
            "use_dora": bool(data.get("use_dora")),
            "bias": data.get("bias", "none") != "none",
            "fan_in_fan_out": bool(data.get("fan_in_fan_out")),
            "rank_pattern": bool(data.get("rank_pattern")),
            "alpha_pattern": bool(data.get("alpha_pattern")),
            "layers_to_transform": data.get("layers_to_transform") is not None,
            "lora_bias": bool(data.get("lora_bias")),
            "target_parameters": bool(data.get("target_parameters")),
        }
        bad = [f"{key}={data.get(key)!r}" for key, is_bad in unsupported.items() if is_bad]
        if bad:
            raise ValueError(f"{filename} uses {', '.join(bad)}, which leanformers' LoRA does not support; only "
                             "plain LoRA on Linear layers (peft_type LORA, bias none) loads.")
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)

    def to_json_string(self):
        return json_text(asdict(self))


class LoraLinear(nn.Module):
    """A frozen Linear plus a trainable low-rank update. Attribute names give peft's state-dict keys."""

    def __init__(self, base_layer, r, scaling, dropout):
        super().__init__()
        self.base_layer = base_layer
        self.lora_dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        kwargs = {"device": base_layer.weight.device, "dtype": base_layer.weight.dtype}
        self.lora_A = nn.Linear(base_layer.in_features, r, bias=False, **kwargs)
        self.lora_B = nn.Linear(r, base_layer.out_features, bias=False, **kwargs)
        self.scaling = scaling
        # peft's default start: A like a fresh Linear, B zero, so the adapted model equals the base at step 0
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)

    def forward(self, x):
        return self.base_layer(x) + self.lora_B(self.lora_A(self.lora_dropout(x))) * self.scaling

    @torch.no_grad()
    def merged(self):
        """A plain Linear computing the same function (in eval mode)."""
        base = self.base_layer
        delta = (self.lora_B.weight.float() @ self.lora_A.weight.float()) * self.scaling  # (out, in)
        linear = nn.Linear(base.in_features, base.out_features, bias=base.bias is not None,
                           device=base.weight.device, dtype=base.weight.dtype)
        linear.weight.copy_(base.weight.float() + delta)
        if base.bias is not None:
            linear.bias.copy_(base.bias)
        return linear


def _matches(name, targets):
    """peft's rule: a list matches a module named `t` or ending in `.t`; a string is a regex on the full name."""
    if isinstance(targets, str):
        import re

        return re.fullmatch(targets, name) is not None
    return any(name == t or name.endswith("." + t) for t in targets)


def _set_module(model, name, module):
    parent_name, _, attr = name.rpartition(".")
    setattr(model.get_submodule(parent_name) if parent_name else model, attr, module)


def add_lora(model, r=8, alpha=None, dropout=0.0, target_modules=("query", "key", "value", "dense"),
             modules_to_save=("classifier",), use_rslora=False, config=None):
    """Put LoRA layers on the Linears named by `target_modules` and train only them and `modules_to_save`.

    `alpha` defaults to `r` (scaling 1). Changes `model` in place and returns it; the settings are kept as
    `model.lora_config` for `save_lora`. Pass `config` (a LoraConfig) instead of the other settings to
    rebuild a saved adapter's layout.
    """
    if getattr(model, "lora_config", None) is not None:
        raise ValueError("This model already has LoRA layers; merge_lora(model) first or start from a fresh model.")
    if config is None:
        config = LoraConfig(r=r, lora_alpha=r if alpha is None else alpha, lora_dropout=dropout,
                            target_modules=target_modules, modules_to_save=modules_to_save, use_rslora=use_rslora,
                            base_model_name_or_path=getattr(getattr(model, "config", None), "name_or_path", None)
                            or None)
    model.requires_grad_(False)
    targets = [(name, m) for name, m in model.named_modules() if name and _matches(name, config.target_modules)]
    wrong = [f"{name} ({type(m).__name__})" for name, m in targets if not isinstance(m, nn.Linear)]
    if wrong:
        raise ValueError(f"target_modules={config.target_modules!r} matches modules that are not Linear layers: "
                         f"{', '.join(wrong)}; LoRA here wraps nn.Linear only, so name Linear layers.")
    if not targets:
        linears = sorted({n.rpartition(".")[2] for n, m in model.named_modules() if isinstance(m, nn.Linear)})
        raise ValueError(f"target_modules={config.target_modules!r} matches no module of {type(model).__name__}; "
                         f"its Linear layers are named {linears}.")
    for name, linear in targets:
        _set_module(model, name, LoraLinear(linear, config.r, config.scaling, config.lora_dropout))
    for name, module in model.named_modules():
        if name and config.modules_to_save and _matches(name, config.modules_to_save):
            module.requires_grad_(True)
    model.lora_config = config
    return model


def lora_state_dict(model):
    """The adapter's tensors under the key names peft writes: LoRA matrices and the modules to save."""
    config = _config_of(model)
    state = {}
    for name, module in model.named_modules():
        if isinstance(module, LoraLinear):
            state[f"{PEFT_PREFIX}{name}.lora_A.weight"] = module.lora_A.weight
            state[f"{PEFT_PREFIX}{name}.lora_B.weight"] = module.lora_B.weight
        elif name and config.modules_to_save and _matches(name, config.modules_to_save):
            for key, tensor in module.state_dict().items():
                state[f"{PEFT_PREFIX}{name}.{key}"] = tensor
    return state


def save_lora(model, save_directory, dtype=None):
    """Write the adapter as peft does; `dtype` (e.g. torch.float16) shrinks the file."""
    from safetensors.torch import save_file

    config = _config_of(model)
    make_save_directory(save_directory)
    state = {k: (v.to(dtype) if dtype is not None else v).detach().contiguous()
             for k, v in lora_state_dict(model).items()}
    text = config.to_json_string()
    with atomic_files(save_directory) as stage:  # both files replace the old ones only once both are complete
        save_file(state, stage(ADAPTER_WEIGHTS_NAME), metadata={"format": "pt"})
        with open(stage(ADAPTER_CONFIG_NAME), "w", encoding="utf-8") as f:
            f.write(text)


def load_lora(model, adapter_directory, is_trainable=False):
    """Add the adapter saved in `adapter_directory` (by leanformers or peft) to `model`; returns the model.
    Frozen and in eval mode unless `is_trainable`."""
    from .modeling.checkpoint import read_safetensors

    finish_interrupted_saves(adapter_directory)  # a save_lora killed half-way is completed first
    config_file = os.path.join(adapter_directory, ADAPTER_CONFIG_NAME)
    weights_file = os.path.join(adapter_directory, ADAPTER_WEIGHTS_NAME)
    for filename in (config_file, weights_file):
        if not os.path.isfile(filename):
            raise FileNotFoundError(f"{filename} not found: an adapter folder needs {ADAPTER_CONFIG_NAME} and "
                                    f"{ADAPTER_WEIGHTS_NAME}, as written by save_lora or peft's save_pretrained.")
    add_lora(model, config=LoraConfig.from_file(config_file))
    expected = lora_state_dict(model)
    tensors = read_safetensors(weights_file)
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        raise ValueError(f"{weights_file} does not fit {type(model).__name__} with this adapter config: "
                         f"missing {missing[:5]}{'...' if len(missing) > 5 else ''}, unexpected "
                         f"{unexpected[:5]}{'...' if len(unexpected) > 5 else ''}. Load it into the model class and "
                         "base model it was trained on.")
    with torch.no_grad():
        for key, target in expected.items():
            if tensors[key].shape != target.shape:
                raise ValueError(f"{weights_file}: {key} has shape {tuple(tensors[key].shape)}, the model expects "
                                 f"{tuple(target.shape)}; the adapter was made for another base model or head size.")
            target.copy_(tensors[key])
    if not is_trainable:
        model.requires_grad_(False)
        model.eval()
    return model


def merge_lora(model):
    """Fold every LoRA layer into its Linear (W + B A * scaling); the model becomes a plain model again."""
    _config_of(model)
    for name, module in list(model.named_modules()):
        if isinstance(module, LoraLinear):
            _set_module(model, name, module.merged())
    model.lora_config = None
    return model


def _config_of(model):
    config = getattr(model, "lora_config", None)
    if config is None:
        raise ValueError(f"{type(model).__name__} has no LoRA layers; call add_lora(model, ...) or "
                         "load_lora(model, folder) first.")
    return config
