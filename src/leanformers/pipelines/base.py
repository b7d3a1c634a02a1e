"""ModelPipeline, what every pipeline sets up the same way: the model on its device (int8-quantized, where the
pipeline offers it), the call defaults given when the pipeline was built, and the model's inputs on that device.
Each task's pipeline subclasses it and adds its own pre- and post-processing.

Facts about the model (which inputs its forward takes, which layers stay float when quantized) are asked of
leanformers.modeling.base, which answers for any module, a wrapper around a model included.

torch is an extra (`leanformers[torch]`): this module imports it for every task's file (`from .base import torch`)
before anything else that needs it, so that without it `pipeline(...)` fails with the error naming the extra.
"""

import inspect
from collections.abc import Iterator, Mapping

from ..utils.backends import import_torch

torch = import_torch("pipeline()")

from ..modeling.base import forward_input_names, unquantized_modules  # noqa: E402 (needs torch: the check first)


class ModelPipeline:
    # whether `quantize="int8"` is offered: its effect on the results was measured for text classification only
    quantizable = False

    def __init__(self, model, tokenizer, task, device=None, batch_size=None, quantize=None, **kwargs):
        if quantize is not None and not self.quantizable:
            raise ValueError(f"quantize={quantize!r} is supported by the text-classification pipeline only.")
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"The {task} pipeline runs PyTorch models, got a {type(model).__name__}. Load the PyTorch "
                            "class from the same folder (add from_tf=True where the folder has only tf_model.h5), "
                            "or pass the folder's path as model=.")
        self.task, self.tokenizer = task, tokenizer
        self.device = resolve_device(device, model)
        if model_device(model) != self.device:
            model = model.to(self.device)
        self.model = model if quantize is None else _quantize(model, quantize, self.device)
        self.batch_size = batch_size
        self._defaults = kwargs
        self._input_names = forward_input_names(self.model)  # None: the forward takes any keyword

    @property
    def dtype(self):
        return next(self.model.parameters()).dtype

    def __repr__(self):
        return f"{type(self).__name__}(task={self.task!r}, model={type(self.model).__name__}, device={self.device})"

    def _options(self, check, given):
        """`check(**given)`, where `check` takes the pipeline's call options as keywords; a name it does not take is
        reported as the pipeline's, with the names it does take (rather than as check's own TypeError)."""
        accepted = list(inspect.signature(check).parameters)
        unknown = sorted(set(given) - set(accepted))
        if unknown:
            raise TypeError(f"The {self.task} pipeline got unknown keyword arguments {unknown}; it takes "
                            f"{', '.join(accepted)}.")
        return check(**given)

    def _takes(self, name):
        """Whether the model's forward takes the input `name` (a BERT tokenizer gives token_type_ids to models
        without segment embeddings too)."""
        return self._input_names is None or name in self._input_names

    def _to_device(self, tensors):
        """{name: tensor} -> the tensors the model's forward takes, on the pipeline's device."""
        return {name: tensor.to(self.device) for name, tensor in tensors.items() if self._takes(name)}

    def _no_pad_token(self, batch_size, items):
        """The error for batching `items` ("texts", "prompts") that need padding when the tokenizer has no pad token."""
        config_too = ""
        if getattr(self.model.config, "pad_token_id", 0) is None and self.task == "text-classification":
            # GPT2ForSequenceClassification finds each row's last token by the config's pad id
            config_too = " and `pipe.model.config.pad_token_id = pipe.tokenizer.pad_token_id`"
        return ValueError(
            f"Batching {items} (batch_size={batch_size}) pads them to one length, and the tokenizer has no pad token "
            f"(pad_token is None). Set one (`pipe.tokenizer.pad_token = pipe.tokenizer.eos_token`{config_too}) or "
            "pass batch_size=1."
        )

    def _texts(self, inputs, takes="a text or a list of texts", allow_empty=True):
        """`inputs`, one text or a sized collection of them (see `as_batch`), as a list; otherwise an error naming
        the task and what it takes."""
        texts = [inputs] if isinstance(inputs, str) else as_batch(inputs)
        if texts is None or not (texts or allow_empty) or not all(isinstance(text, str) for text in texts):
            raise ValueError(f"{self.task} takes {takes}, got {describe(inputs)}.")
        return texts


def as_batch(inputs):
    """`inputs` as a list when it is a sized collection of inputs: a list, a tuple, a numpy array, a pandas Series,
    any other object with a length and indexing. None for one input (a string, bytes, a dict) and for a stream (an
    iterator or a generator, which a pipeline reads as it goes and answers as it goes)."""
    if (isinstance(inputs, (str, bytes, bytearray, Mapping, Iterator))
            or not (hasattr(inputs, "__len__") and hasattr(inputs, "__getitem__"))):
        return None
    try:
        len(inputs)
    except TypeError:  # a 0-d numpy array has the method but no length: one input
        return None
    # tolist(): a numpy array's or a Series' items as Python str (iterating gives numpy.str_), in their order
    # (a Series' [i] would look up the label i, not the position)
    return inputs.tolist() if hasattr(inputs, "tolist") else list(inputs)


def as_stream(inputs):
    """An iterator over `inputs` when a pipeline answers them as it goes and returns an iterator of results, as
    transformers does for a generator, an iterator and a torch Dataset (a pt_utils.KeyDataset); None otherwise."""
    if isinstance(inputs, torch.utils.data.Dataset):
        return iter(inputs) if hasattr(inputs, "__iter__") else (inputs[i] for i in range(len(inputs)))
    return inputs if isinstance(inputs, Iterator) else None


def first_given(*values):
    """The first of `values` that is not None (a call's option, else the pipeline's, else the default)."""
    return next((value for value in values if value is not None), None)


def resolve_device(device, model):
    """`device` as transformers reads it: None/0.. -> the first/nth GPU when there is one (else the CPU),
    -1 -> wherever the model already is, other negatives -> the CPU."""
    if isinstance(device, torch.device):
        return device
    if isinstance(device, str):
        return torch.device(device)
    if device is None:
        device = 0
    if not isinstance(device, int) or isinstance(device, bool):
        raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:N', an index or a torch.device, got {device!r}.")
    if device == -1:
        return model_device(model)
    if device < 0:
        return torch.device("cpu")
    return torch.device(f"cuda:{device}") if torch.cuda.is_available() else torch.device("cpu")


def model_device(model):
    """Where the weights of `model` are (any module, not only a PreTrainedModel)."""
    return next(model.parameters()).device


def describe(value):
    """A value for an error message: its type and the start of its repr."""
    if value is None:
        return "None"
    text = repr(value)
    return f"{type(value).__name__} {text[:60] + '...' if len(text) > 60 else text}"


def _quantize(model, quantize, device):
    """A float32 copy of `model` with int8 Linear layers (leanformers.quantization), except in the modules the
    model keeps float (modeling.base.unquantized_modules: its head). The caller's model is left untouched."""
    if quantize != "int8":
        raise ValueError(f"quantize must be None or 'int8', got {quantize!r}.")
    if device.type != "cpu":
        raise ValueError(f"quantize='int8' runs on the CPU only; got device {device}. Pass device='cpu'.")
    from ..quantization import quantize_int8

    return quantize_int8(model, keep=unquantized_modules(model)).float()
