"""Text generation: `GenerationConfig` (config.py), the logits processors (processors.py) and
`GenerationMixin.generate()` (mixin.py: greedy search, multinomial sampling, beam search). The key/value
caches decoders share are in modeling/cache.py.

The decoding rules follow transformers 5 step for step (processor order, beam bookkeeping, the padding
of finished rows), so that the same model, prompt and seed give the same token ids. What is left out is
the machinery around them: each step is one forward over the new token with the cache, the logits of
the last position only, and the processors as plain functions of (ids, scores).
"""

from .config import GenerationConfig
from .mixin import GenerationMixin
from .processors import logits_processors

__all__ = ["GenerationConfig", "GenerationMixin", "logits_processors"]
