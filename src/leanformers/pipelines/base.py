"""What every pipeline but text classification sets up the same way: the model on its device and the
call defaults given when the pipeline was built. (Text classification alone also quantizes.)"""

from .text_classification import _model_device, _resolve_device


class ModelPipeline:
    def __init__(self, model, tokenizer, task, device=None, batch_size=None, quantize=None, **kwargs):
        if quantize is not None:
            raise ValueError(f"quantize={quantize!r} is supported by the text-classification pipeline only.")
        self.task, self.tokenizer = task, tokenizer
        self.device = _resolve_device(device, model)
        self.model = model if _model_device(model) == self.device else model.to(self.device)
        self.batch_size = batch_size
        self._defaults = kwargs

    def __repr__(self):
        return f"{type(self).__name__}(task={self.task!r}, model={type(self.model).__name__}, device={self.device})"
