"""Feature extraction: the hidden states of the base model for each text, as transformers' pipeline gives them.

`pipe("a text")` -> a nested list [1][T][H] (the model's first output, its last hidden state, for the text's T
tokens); a list of texts gives one such list per text; `return_tensors=True` gives the tensor of shape (1, T, H)
instead. `tokenize_kwargs` (and `truncation`) go to the tokenizer. Each text runs on its own, as transformers' does
at its default batch size of 1, so no result carries padding positions.
"""

from .base import ModelPipeline, as_stream, torch


class FeatureExtractionPipeline(ModelPipeline):
    def __init__(self, model, tokenizer, task="feature-extraction", **kwargs):
        super().__init__(model, tokenizer, task, **kwargs)

    def _params(self, truncation=None, tokenize_kwargs=None, return_tensors=None):
        tokenize_kwargs = dict(tokenize_kwargs or {})
        if truncation is not None:
            if "truncation" in tokenize_kwargs:
                raise ValueError(
                    "truncation parameter defined twice (given as keyword argument as well as in tokenize_kwargs)")
            tokenize_kwargs["truncation"] = truncation
        return tokenize_kwargs, bool(return_tensors)

    def __call__(self, *inputs, **kwargs):
        if len(inputs) != 1:
            if not inputs or not all(isinstance(text, str) for text in inputs):
                raise ValueError(f"{self.task} takes one text or a list of texts, got {len(inputs)} arguments.")
            inputs = (list(inputs),)  # several texts as arguments: one result each, as transformers
        kwargs.pop("batch_size", None)  # each text runs on its own (no padding in the results)
        tokenize_kwargs, return_tensors = self._options(self._params, {**self._defaults, **kwargs})
        stream = as_stream(inputs[0])
        if stream is not None:
            return (self._extract(text, tokenize_kwargs, return_tensors) for text in stream)
        texts = self._texts(inputs[0])
        results = [self._extract(text, tokenize_kwargs, return_tensors) for text in texts]
        return results[0] if isinstance(inputs[0], str) else results

    def _extract(self, text, tokenize_kwargs, return_tensors):
        if not isinstance(text, str):
            raise ValueError(f"{self.task} takes texts, got a {type(text).__name__}.")
        encoding = self.tokenizer(text, return_tensors="pt", **tokenize_kwargs)
        with torch.inference_mode():
            features = self.model(**self._to_device(encoding))[0]
        return features if return_tensors else features.tolist()
