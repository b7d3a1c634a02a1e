"""The one error for an optional backend (PyTorch, TensorFlow) that is not installed, so every path that needs
one (models, pipelines, the placeholders of top-level names) names the same fix.

torch is the `torch` extra of the package (`pip install 'leanformers[torch]'`), TensorFlow the `tf` one:
tokenizers work without either, and only what runs a model asks for one.
"""

import importlib

# backend -> (what the error calls it, the extra of leanformers that installs it, the package on its own)
EXTRAS = {"torch": ("PyTorch", "torch", "torch"), "tensorflow": ("TensorFlow", "tf", "tensorflow-cpu")}


def missing_message(what, backends):
    """`what` (e.g. "pipeline()", "TFBertModel") needs `backends` (keys of EXTRAS), which are not installed."""
    names, extras, packages = zip(*(EXTRAS[backend] for backend in backends))
    one = len(backends) == 1
    return (f"{what} needs {' and '.join(names)}, which {'is' if one else 'are'} not installed. Install "
            f"{'it' if one else 'them'} with: pip install 'leanformers[{','.join(extras)}]' (or: pip install "
            f"{' '.join(packages)}).")


def import_torch(what):
    """The torch module; where it is not installed, the ImportError of `missing_message` rather than a bare
    ModuleNotFoundError."""
    try:
        return importlib.import_module("torch")
    except ModuleNotFoundError as err:
        if err.name != "torch":
            raise  # torch is there but one of its own imports failed: that error says more
        raise ImportError(missing_message(what, ["torch"])) from err
