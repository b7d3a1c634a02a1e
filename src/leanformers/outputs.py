"""Model outputs: dataclasses that also behave like an ordered dict and a tuple.

As in transformers, only the fields that are set (not None) count as items, so
`out[0]` is the loss when labels were given and the logits otherwise. The outputs that several architectures
return live here; one that a single architecture returns (ElectraForPreTrainingOutput) stays in its module.
"""

from collections import OrderedDict
from dataclasses import dataclass, fields
from typing import Any


class ModelOutput(OrderedDict):
    """Base of every output: attribute, key and index access over the non-None fields."""

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                OrderedDict.__setitem__(self, f.name, value)

    def __getitem__(self, key):
        if isinstance(key, str):
            return OrderedDict.__getitem__(self, key)
        return self.to_tuple()[key]

    def __setattr__(self, name, value):
        # keep the dict view in step with the attributes
        if value is not None and name in {f.name for f in fields(self)}:
            OrderedDict.__setitem__(self, name, value)
        super().__setattr__(name, value)

    def __setitem__(self, key, value):
        setattr(self, key, value)

    def to_tuple(self):
        return tuple(self.values())

    def __reduce__(self):
        # OrderedDict pickling would call __init__ with no fields set; rebuild from the fields instead
        return type(self), tuple(getattr(self, f.name) for f in fields(self))


class _CacheUnderItsOldName:
    """`past_key_values`: the name transformers used for an output's `cache` before version 5."""

    @property
    def past_key_values(self):
        return self.cache


@dataclass
class BaseModelOutput(ModelOutput):
    last_hidden_state: Any = None  # (B, T, C)
    hidden_states: Any = None  # tuple of (B, T, C): embeddings, then each layer
    attentions: Any = None  # tuple of (B, H, T, T), one per layer


@dataclass
class BaseModelOutputWithPoolingAndCrossAttentions(ModelOutput):
    last_hidden_state: Any = None  # (B, T, C)
    pooler_output: Any = None  # (B, C)
    hidden_states: Any = None
    cache: Any = None  # decoder key/value cache in transformers; always None for these encoders
    attentions: Any = None
    cross_attentions: Any = None


@dataclass
class SequenceClassifierOutput(ModelOutput):
    loss: Any = None
    logits: Any = None  # (B, num_labels)
    hidden_states: Any = None
    attentions: Any = None


@dataclass
class TokenClassifierOutput(ModelOutput):
    loss: Any = None
    logits: Any = None  # (B, T, num_labels)
    hidden_states: Any = None
    attentions: Any = None


@dataclass
class MaskedLMOutput(ModelOutput):
    loss: Any = None
    logits: Any = None  # (B, T, vocab_size)
    hidden_states: Any = None
    attentions: Any = None


@dataclass
class QuestionAnsweringModelOutput(ModelOutput):
    loss: Any = None
    start_logits: Any = None  # (B, T)
    end_logits: Any = None  # (B, T)
    hidden_states: Any = None
    attentions: Any = None


@dataclass
class BaseModelOutputWithPastAndCrossAttentions(_CacheUnderItsOldName, ModelOutput):
    last_hidden_state: Any = None  # (B, T, C)
    cache: Any = None  # DynamicCache / EncoderDecoderCache when use_cache
    hidden_states: Any = None  # tuple of (B, T, C): embeddings, then each layer
    attentions: Any = None  # tuple of (B, H, T, T_total)
    cross_attentions: Any = None  # tuple of (B, H, T, S) over the encoder states


@dataclass
class CausalLMOutputWithCrossAttentions(_CacheUnderItsOldName, ModelOutput):
    loss: Any = None
    logits: Any = None  # (B, T, vocab_size)
    cache: Any = None
    hidden_states: Any = None
    attentions: Any = None
    cross_attentions: Any = None


@dataclass
class SequenceClassifierOutputWithPast(ModelOutput):
    loss: Any = None
    logits: Any = None  # (B, num_labels)
    cache: Any = None
    hidden_states: Any = None
    attentions: Any = None


@dataclass
class Seq2SeqModelOutput(_CacheUnderItsOldName, ModelOutput):
    last_hidden_state: Any = None  # decoder output (B, T, C)
    cache: Any = None  # EncoderDecoderCache
    decoder_hidden_states: Any = None
    decoder_attentions: Any = None
    cross_attentions: Any = None
    encoder_last_hidden_state: Any = None  # (B, S, C)
    encoder_hidden_states: Any = None
    encoder_attentions: Any = None


@dataclass
class Seq2SeqLMOutput(_CacheUnderItsOldName, ModelOutput):
    loss: Any = None
    logits: Any = None  # (B, T, vocab_size)
    cache: Any = None
    decoder_hidden_states: Any = None
    decoder_attentions: Any = None
    cross_attentions: Any = None
    encoder_last_hidden_state: Any = None
    encoder_hidden_states: Any = None
    encoder_attentions: Any = None


@dataclass
class Seq2SeqSequenceClassifierOutput(Seq2SeqLMOutput):
    pass  # the same fields; logits are (B, num_labels)


# --- the TensorFlow models' outputs: the classes above under transformers 4.x's TF names ----------------------------

@dataclass
class TFBaseModelOutput(BaseModelOutput):
    pass


@dataclass
class TFBaseModelOutputWithPoolingAndCrossAttentions(BaseModelOutputWithPoolingAndCrossAttentions):
    pass


@dataclass
class TFSequenceClassifierOutput(SequenceClassifierOutput):
    pass


@dataclass
class TFTokenClassifierOutput(TokenClassifierOutput):
    pass
