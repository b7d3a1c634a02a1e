"""The one error for PyTorch missing, so every path that needs it (models, pipelines) names the same fix.

torch is the `torch` extra of the package (`pip install 'leanformers[torch]'`): tokenizers and configs work
without it, and only what runs a model asks for it, through `import_torch`.
"""

import importlib

TORCH_EXTRA = "pip install 'leanformers[torch]'"


def torch_missing(what):
    """The ImportError saying that `what` (e.g. "pipeline()") needs PyTorch, and how to install it."""
    return ImportError(f"{what} needs PyTorch, which is not installed: {TORCH_EXTRA} (or pip install torch).")


def import_torch(what):
    """The torch module; where it is not installed, `torch_missing(what)` rather than a bare ModuleNotFoundError."""
    try:
        return importlib.import_module("torch")
    except ModuleNotFoundError as err:
        if err.name != "torch":
            raise  # torch is there but one of its own imports failed: that error says more
        raise torch_missing(what) from err
