"""Text-to-text generation and summarization with an encoder-decoder model (BART).

transformers 5 removed these two pipelines; their interface is kept as transformers 4 had it:
`pipe("text")` -> `[{'generated_text': ...}]` (`summary_text` for summarization), one dict per returned
sequence; a list of texts gives one dict per text when each has one result, else a list of lists. The
text is tokenized (with the model's `prefix` from the config, if any), truncated to the model's length
(transformers 4 did not truncate, and failed past it), generated with the call's settings over the
pipeline's defaults (num_beams=4, max_new_tokens=256) over the model's generation settings, and decoded
without special tokens; with `return_tensors` each result holds the row of token ids as a tensor.
"""

from .base import torch
from .text_generation import GenerationPipeline, consume_loader_seed

_TEXT_PARAMS = ("return_text", "return_tensors", "clean_up_tokenization_spaces", "truncation")


class Text2TextGenerationPipeline(GenerationPipeline):
    """Generate an output text for each input text. Options: `return_tensors` (token ids instead of text),
    `clean_up_tokenization_spaces`, `truncation`, and any generate() setting."""

    result_key = "generated_text"
    # transformers 4.57's defaults, which win over the model's generation_config.json (they differ from the
    # global defaults), though a max_length set there (other than 20) drops max_new_tokens
    overriding_defaults = {"max_new_tokens": 256, "num_beams": 4}

    def __init__(self, model, tokenizer, task="text2text-generation", **kwargs):
        super().__init__(model, tokenizer, task, **kwargs)
        if not self.model.config.is_encoder_decoder:
            raise ValueError(f"{task} needs an encoder-decoder model (e.g. BART); {type(self.model).__name__} is "
                             "decoder-only: use the 'text-generation' task.")

    def __call__(self, *inputs, batch_size=None, **kwargs):
        if len(inputs) != 1:
            raise ValueError(f"{self.task} takes one argument, a text or a list of texts; got {len(inputs)}.")
        params = {**self._defaults, **kwargs}
        text = {key: params.pop(key) for key in _TEXT_PARAMS if key in params}
        generate_kwargs = self._generate_kwargs(params)
        tokenizer_kwargs = {"truncation": text.get("truncation", True)}
        prefix = getattr(self.model.config, "prefix", None) or ""

        single = isinstance(inputs[0], str)
        texts = self._texts(inputs[0], takes="a text or a non-empty list of texts", allow_empty=False)
        if not single:
            consume_loader_seed()
        results = []
        for batch in self._batches(texts, batch_size):
            encoding = self._encode([prefix + t for t in batch], tokenizer_kwargs)
            with torch.inference_mode():
                sequences = self.model.generate(**encoding, **generate_kwargs).cpu()
            for rows in sequences.view(len(batch), -1, sequences.size(-1)):
                results.append([self._record(row, text) for row in rows])
        if single:
            return results[0]
        return [r[0] for r in results] if all(len(r) == 1 for r in results) else results

    def _generate_kwargs(self, generate_kwargs):
        """The call's settings over the pipeline defaults, and those over the model's generation config (which
        generate() reads). A max_length of the model or of the pipeline's construction drops max_new_tokens."""
        defaults = self.overriding_defaults
        if {**self.model.generation_config.to_dict(), **self._defaults}.get("max_length") not in (None, 20):
            defaults = {key: value for key, value in defaults.items() if key != "max_new_tokens"}
        return super()._generate_kwargs({**defaults, **generate_kwargs})

    def _record(self, ids, text):
        """ids: one output row, (length,); returned as that tensor with return_tensors, as transformers 4 did."""
        name = self.result_key.replace("_text", "")
        if text.get("return_tensors"):
            return {f"{name}_token_ids": ids}
        cleanup = text.get("clean_up_tokenization_spaces")
        return {self.result_key: self.tokenizer.decode(ids.tolist(), skip_special_tokens=True,
                                                       clean_up_tokenization_spaces=cleanup)}


class SummarizationPipeline(Text2TextGenerationPipeline):
    """Summarize texts: the same as text2text-generation, with results under `summary_text`."""

    result_key = "summary_text"

    def __init__(self, model, tokenizer, task="summarization", **kwargs):
        super().__init__(model, tokenizer, task, **kwargs)
