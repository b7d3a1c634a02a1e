"""Fill-mask: the most likely tokens for each mask token of a text, as transformers' pipeline gives them.

`pipe("Paris is the [MASK] of France.")` -> `[{'score', 'token', 'token_str', 'sequence'}, ...]` (top_k of
them, best first); with several masks, one such list per mask; a list of texts gives one result per text.
`targets` limits the candidates to the given words (a word outside the vocabulary is replaced by its first
token, with a warning).
"""

import logging

import numpy as np

from ..utils.options import check_int
from .base import ModelPipeline, torch

logger = logging.getLogger(__name__)


class FillMaskPipeline(ModelPipeline):
    def __init__(self, model, tokenizer, task="fill-mask", **kwargs):
        super().__init__(model, tokenizer, task, **kwargs)
        if tokenizer.mask_token_id is None:
            raise ValueError("fill-mask needs a tokenizer with a mask token; this one defines no `mask_token`.")

    def __call__(self, inputs, **kwargs):
        params = {**self._defaults, **kwargs}
        top_k = check_int("top_k", params.pop("top_k", 5), 0)
        targets = params.pop("targets", None)
        tokenizer_kwargs = params.pop("tokenizer_kwargs", None) or {}
        if params:
            raise ValueError(f"fill-mask got unknown arguments {sorted(params)}; it takes top_k, targets and "
                             "tokenizer_kwargs.")
        target_ids = self._target_ids(targets) if targets is not None else None
        if target_ids is not None:
            top_k = min(top_k, len(target_ids))
        texts = self._texts(inputs)
        encodings = [self.tokenizer(t, return_tensors="pt", **tokenizer_kwargs) for t in texts]
        for text, encoding in zip(texts, encodings):  # every input is checked before the model runs
            if not bool((encoding["input_ids"] == self.tokenizer.mask_token_id).any()):
                raise ValueError(f"No mask_token ({self.tokenizer.mask_token}) found in the input {text!r}; put "
                                 f"{self.tokenizer.mask_token} where the word to predict goes.")
        results = [self._fill(encoding, top_k, target_ids) for encoding in encodings]
        return results[0] if isinstance(inputs, str) or len(results) == 1 else results

    def _fill(self, encoding, top_k, target_ids):
        with torch.inference_mode():
            logits = self.model(**self._to_device(encoding)).logits[0].cpu()  # (T, V)
        input_ids = encoding["input_ids"][0]
        masked = torch.nonzero(input_ids == self.tokenizer.mask_token_id).squeeze(-1)
        probs = logits[masked].softmax(dim=-1)  # (masks, V)
        if target_ids is not None:
            probs = probs[..., target_ids]
        values, predictions = probs.topk(top_k)
        single = len(masked) == 1
        result = []
        for position, row_values, row_predictions in zip(masked, values.tolist(), predictions.tolist()):
            row = []
            for score, token in zip(row_values, row_predictions):
                token = int(target_ids[token]) if target_ids is not None else token
                tokens = input_ids.numpy().copy()
                tokens[position] = token
                tokens = tokens[tokens != self.tokenizer.pad_token_id]
                # with one mask the other special tokens are dropped; with several, the others stay visible
                sequence = self.tokenizer.decode(tokens.tolist(), skip_special_tokens=single)
                row.append({"score": score, "token": token, "token_str": self.tokenizer.decode([token]),
                            "sequence": sequence})
            result.append(row)
        return result[0] if single else result

    def _target_ids(self, targets):
        vocab = self.tokenizer.get_vocab()
        ids = []
        for target in [targets] if isinstance(targets, str) else targets:
            token_id = vocab.get(target)
            if token_id is None:
                pieces = self.tokenizer(target, add_special_tokens=False, return_attention_mask=False,
                                        return_token_type_ids=False)["input_ids"]  # only the first is used
                if not pieces:
                    logger.warning(f"The specified target token `{target}` does not exist in the model vocabulary. "
                                   "We cannot replace it with anything meaningful, ignoring it")
                    continue
                token_id = pieces[0]
                logger.warning(f"The specified target token `{target}` does not exist in the model vocabulary. "
                               f"Replacing with `{self.tokenizer.convert_ids_to_tokens(token_id)}`.")
            ids.append(token_id)
        ids = list(set(ids))  # the order transformers uses (a set's), so ties rank the same
        if not ids:
            raise ValueError("targets gave no token of the vocabulary; pass at least one word the model knows.")
        return np.array(ids)
