"""Text generation: continue prompts with a causal language model, as transformers' pipeline does.

`pipe("Once upon a time")` -> `[{'generated_text': ...}]` (one dict per returned sequence); a list of
prompts gives a list of such lists. The pipeline's own generation defaults (256 new tokens, sampling at
temperature 0.7) apply only where neither the call nor the model's generation_config.json sets a value,
so the same call and seed give the same text as transformers.
"""

import itertools

from ..utils.options import check_int
from .base import ModelPipeline, as_stream, describe, first_given, torch

# settings that are the pipeline's, not generate()'s
_TEXT_PARAMS = ("return_full_text", "return_tensors", "return_text", "clean_up_tokenization_spaces", "prefix",
                "skip_special_tokens", "add_special_tokens", "truncation")
_SAMPLING_PARAMS = ("temperature", "top_k", "top_p")


class GenerationPipeline(ModelPipeline):
    """What the generative pipelines share: the device, call settings split into tokenizer, generate() and
    output settings, generate() settings completed with the pipeline's defaults, and batching in input order."""

    generation_defaults = {}  # used where neither the call nor the model's generation config sets a value

    def _generate_kwargs(self, generate_kwargs):
        """The call's generate() settings plus the pipeline defaults for those nobody set (the sampling ones only
        when sampling; no default max_new_tokens when a max_length is set)."""
        given = {**self.model.generation_config.to_dict(), **generate_kwargs}
        added = {key: value for key, value in self.generation_defaults.items()
                 if key not in given and not (key == "max_new_tokens" and "max_length" in given)}
        if not {**given, **added}.get("do_sample"):
            added = {key: value for key, value in added.items() if key not in _SAMPLING_PARAMS}
        pad = self.tokenizer.pad_token_id
        if pad is not None and "pad_token_id" not in given:
            added["pad_token_id"] = pad
        return {**generate_kwargs, **added}

    def _batches(self, items, batch_size):
        """`items` (a list or an iterator) in lists of `batch_size`."""
        batch_size = check_int("batch_size", first_given(batch_size, self.batch_size, 1), 1)
        items = iter(items)
        while batch := list(itertools.islice(items, batch_size)):
            if len(batch) > 1 and self.tokenizer.pad_token_id is None:
                raise self._no_pad_token(batch_size, "prompts")  # as transformers: without looking at their lengths
            yield batch

    def _encode(self, texts, tokenizer_kwargs):
        encoding = self.tokenizer(texts, return_tensors="pt", padding=len(texts) > 1, **tokenizer_kwargs)
        # as transformers' pipelines, generate() is given the ids and their mask, whatever else the tokenizer gives
        return self._to_device({key: encoding[key] for key in ("input_ids", "attention_mask") if key in encoding})


def consume_loader_seed():
    """transformers runs a list of inputs through a torch DataLoader, whose iterator draws one number from the
    global RNG for its workers' seed. Drawing it too keeps seeded sampling on lists identical."""
    torch.empty((), dtype=torch.int64).random_()


class TextGenerationPipeline(GenerationPipeline):
    """Continue prompts with a causal LM. Options: `return_full_text` (prompt + continuation, the default, or
    only the continuation), `return_tensors` (token ids instead of text), `prefix` (text put before each
    prompt and left out of the result), `skip_special_tokens`, `clean_up_tokenization_spaces`, and any
    generate() setting (`max_new_tokens`, `do_sample`, `num_beams`, `num_return_sequences`, ...)."""

    generation_defaults = {"max_new_tokens": 256, "do_sample": True, "temperature": 0.7}

    def __init__(self, model, tokenizer, task="text-generation", **kwargs):
        super().__init__(model, tokenizer, task, **kwargs)
        if self.model.config.is_encoder_decoder:
            raise ValueError(f"text-generation needs a causal language model; {type(self.model).__name__} is an "
                             "encoder-decoder model: use the 'text2text-generation' or 'summarization' task.")
        self.tokenizer.padding_side = "left"  # decoder-only models continue from the right end

    def __call__(self, text_inputs, batch_size=None, **kwargs):
        params = {**self._defaults, **kwargs}
        text = {key: params.pop(key) for key in _TEXT_PARAMS if key in params}
        if "return_full_text" in text and ("return_text" in text or "return_tensors" in text):
            raise ValueError("return_full_text cannot be combined with return_text or return_tensors.")
        prefix = text.get("prefix") or ""
        tokenizer_kwargs = {key: text[key] for key in ("add_special_tokens", "truncation") if key in text}
        if "max_length" in params:
            tokenizer_kwargs["max_length"] = check_int("max_length", params["max_length"], 1,
                                                       none="the model's maximum")
        generate_kwargs = self._generate_kwargs(params)
        if prefix and "max_new_tokens" not in generate_kwargs:
            # a total length counts the prefix too
            prefix_length = len(self.tokenizer(prefix, add_special_tokens=False)["input_ids"])
            for length in ("max_length", "min_length"):
                if length in generate_kwargs:
                    generate_kwargs[length] += prefix_length

        takes = "a prompt string or a list of them (or a generator or dataset of them)"
        stream = as_stream(text_inputs)
        if stream is not None:  # answered as it is read, as transformers does
            return self._answers(self._prompts(stream, takes), batch_size, prefix, tokenizer_kwargs, generate_kwargs,
                                 text)
        prompts = self._texts(text_inputs, takes=takes)
        results = list(self._answers(prompts, batch_size, prefix, tokenizer_kwargs, generate_kwargs, text,
                                     loader=not isinstance(text_inputs, str)))
        return results[0] if isinstance(text_inputs, str) else results

    def _prompts(self, stream, takes):
        for prompt in stream:
            if not isinstance(prompt, str):
                raise ValueError(f"{self.task} takes {takes}, got {describe(prompt)} among the prompts.")
            yield prompt

    def _answers(self, prompts, batch_size, prefix, tokenizer_kwargs, generate_kwargs, text, loader=True):
        """One list of generated records per prompt, in order, batch by batch (`loader`: draw the number
        transformers' DataLoader draws, as it does for every input but a lone string)."""
        if loader:
            consume_loader_seed()
        for batch in self._batches(prompts, batch_size):
            encoding = self._encode([prefix + p for p in batch], tokenizer_kwargs)
            input_ids = encoding["input_ids"]
            if input_ids.size(1) == 0:  # empty prompt: generate() starts from the bos token
                encoding = {"input_ids": None}
            with torch.inference_mode():
                sequences = self.model.generate(**encoding, **generate_kwargs).cpu()
            per_prompt = sequences.view(len(batch), -1, sequences.size(-1))
            for prompt, rows in zip(batch, per_prompt):
                yield [self._record(prompt, row.tolist(), input_ids.size(1), text) for row in rows]

    def _record(self, prompt, ids, prompt_length, text):
        if text.get("return_tensors"):
            return {"generated_token_ids": ids}
        new_text = self.tokenizer.decode(ids[prompt_length:], skip_special_tokens=text.get("skip_special_tokens", True),
                                         clean_up_tokenization_spaces=text.get("clean_up_tokenization_spaces"))
        return {"generated_text": prompt + new_text if text.get("return_full_text", True) else new_text}
