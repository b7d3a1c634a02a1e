"""The checks of a model's inputs: a wrong input is a clear error naming the argument, what is wrong and the fix,
raised before the model runs, instead of an IndexError or a shape error from inside torch.

PreTrainedModel.__call__ checks the arguments of the outermost model called; what runs inside it (a head calling
its base model) is not checked again. generate() checks the prompt once and runs its steps unchecked. The cost is
one min/max per id tensor and a single device sync for all of them.
"""

import contextlib
import functools
import inspect
import threading

import torch

# arguments that must be tensors when given
TENSOR_ARGUMENTS = ("input_ids", "attention_mask", "token_type_ids", "position_ids", "inputs_embeds",
                    "decoder_input_ids", "decoder_attention_mask", "decoder_inputs_embeds", "labels",
                    "start_positions", "end_positions")
# (ids, embeddings, mask) of the encoder (or decoder-only model) and of the decoder
SEQUENCES = (("input_ids", "inputs_embeds", "attention_mask"),
             ("decoder_input_ids", "decoder_inputs_embeds", "decoder_attention_mask"))
TARGETS = ("labels", "start_positions", "end_positions")  # one (or one row) per row of the batch
ID_DTYPES = (torch.long, torch.int)  # what an embedding lookup accepts

_state = threading.local()
_is_compiling = getattr(torch.compiler, "is_compiling", lambda: False)  # torch.compiler.is_compiling: torch >= 2.3


class IdOutOfRangeError(ValueError, IndexError):
    """An id outside the table it indexes; also an IndexError, which is what torch's lookup raises."""


@contextlib.contextmanager
def unchecked():
    """Model calls inside this block skip the input checks (a head's call of its base model, generate's steps)."""
    previous = getattr(_state, "off", False)
    _state.off = True
    try:
        yield
    finally:
        _state.off = previous


def checking():
    """Whether a model call now checks its inputs: not inside `unchecked`, nor while torch traces or compiles."""
    return not getattr(_state, "off", False) and not torch.jit.is_tracing() and not _is_compiling()


@functools.cache
def argument_names(cls):
    """The names of cls.forward's arguments, in order (self left out), to name positional arguments."""
    return tuple(inspect.signature(cls.forward).parameters)[1:]


def check_inputs(model, arguments):
    """Refuse inputs `model` cannot run, from `arguments` (forward's argument name -> value)."""
    given = {name: arguments[name] for name in TENSOR_ARGUMENTS if arguments.get(name) is not None}
    for name, value in given.items():
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got a {type(value).__name__}. Pass torch.tensor({name}) "
                            "or call the tokenizer with return_tensors='pt'.")
    limits = []  # (argument, ids, config field, its value), for the ids the model looks up
    for name, field in model._input_id_limits.items():
        limit = getattr(model.config, field, None)  # None: the model ignores them (DistilBERT's token types)
        if name in given and limit is not None:
            _check_id_dtype(name, given[name])
            limits.append((name, given[name], field, limit))
    shapes = [_check_sequence(model, arguments, given, *names, decoder=decoder)
              for decoder, names in zip((False, True), SEQUENCES)]
    source = next((shape for shape in shapes if shape is not None), None)
    if source is not None:
        for name in TARGETS:
            if name in given:
                _check_batch(name, given[name], *source)
    _check_ranges([limit for limit in limits if limit[1].numel() and not limit[1].is_meta])


def check_classification_labels(problem_type, logits, labels):
    """The labels of a sequence classifier fit its problem_type (already resolved from num_labels and the dtype)."""
    if problem_type == "single_label_classification" and labels.dtype not in ID_DTYPES:
        raise TypeError(
            f"labels has dtype {labels.dtype}, but this head does single-label classification (num_labels="
            f"{logits.size(-1)}, problem_type='single_label_classification'): labels must be class ids, a torch.long "
            "tensor of shape (batch,). Pass labels.long(); for several 0/1 labels per row set problem_type="
            "'multi_label_classification', for one score per row num_labels=1.")
    if problem_type == "multi_label_classification" and labels.shape != logits.shape:
        raise ValueError(
            f"labels has shape {tuple(labels.shape)} and dtype {labels.dtype}, which means multi-label classification "
            f"(one 0/1 float per label), so it needs the shape of the logits, {tuple(logits.shape)}. For single-label "
            "classification pass class ids as a torch.long tensor of shape (batch,), e.g. labels.long().")


def _check_id_dtype(name, ids):
    if ids.dtype not in ID_DTYPES:
        raise TypeError(f"{name} has dtype {ids.dtype}, but ids must be integers (torch.long or torch.int). Pass "
                        f"{name}.long(); the tokenizer's return_tensors='pt' gives torch.long.")


def _check_sequence(model, arguments, given, ids_name, embeds_name, mask_name, decoder):
    """Check one sequence's ids (or embeddings) and mask; return (its name, batch, length), None if not given."""
    name = ids_name if ids_name in given else embeds_name if embeds_name in given else None
    if name is not None:
        tensor = given[name]
        dims, axes = (2, "(batch, sequence)") if name == ids_name else (3, "(batch, sequence, hidden_size)")
        if tensor.dim() != dims:
            raise ValueError(f"{name} must be {dims}-D {axes}, got shape {tuple(tensor.shape)}; add a batch "
                             f"dimension with {name}[None].")
        if tensor.size(1) == 0:
            raise ValueError(f"{name} has shape {tuple(tensor.shape)}: a sequence of length 0. Each row needs at "
                             "least one token; leave empty texts out of the batch.")
        batch, length = tensor.shape[:2]
    elif not decoder and arguments.get("encoder_outputs") is not None:  # the encoder ran already
        name = "encoder_outputs"
        batch, length = arguments["encoder_outputs"][0].shape[:2]
    else:
        return None
    if mask_name in given:
        # the cache extends the decoder's sequence (the only sequence of a decoder-only model)
        past = _past_length(arguments) if decoder or not model.config.is_encoder_decoder else 0
        _check_mask(mask_name, given[mask_name], name, batch, length, past)
    return name, batch, length


def _past_length(arguments):
    cache = next((arguments[key] for key in ("cache", "past_key_values") if arguments.get(key) is not None), None)
    return cache.get_seq_length() if hasattr(cache, "get_seq_length") else 0


def _check_mask(mask_name, mask, name, batch, length, past):
    expected = (batch, past + length)
    if tuple(mask.shape) != expected:
        cached = f", {past} cached and {length} new tokens" if past else ""
        raise ValueError(f"{mask_name} has shape {tuple(mask.shape)}, but {name} is {batch} x {length} tokens: the "
                         f"mask needs one entry per token, shape {expected}{cached}. Pass the attention_mask the "
                         f"tokenizer returned with these {name}.")


def _check_batch(name, target, source_name, batch, _):
    size = target.size(0) if target.dim() else 1
    if size != batch:
        raise ValueError(f"{name} has shape {tuple(target.shape)}, a batch of {size}, but {source_name} has a batch "
                         f"of {batch}: give one label per row, from the same batch as the inputs.")


def _check_ranges(limits):
    """Every id lies in [0, limit): one min/max per tensor, and one device sync for all of them."""
    if not limits:
        return
    bounds = torch.stack([bound.long() for _, ids, _, _ in limits for bound in torch.aminmax(ids)]).tolist()
    for (name, ids, field, limit), low, high in zip(limits, bounds[0::2], bounds[1::2]):
        if low >= 0 and high < limit:
            continue
        bad = high if high >= limit else low
        where = [int(i) for i in (ids == bad).nonzero()[0]]  # the first place, found only now that one is wrong
        if bad < 0:
            hint = "negative ids are not tokens (-100 marks ignored positions in labels, not in inputs)."
        elif field == "vocab_size":
            hint = "was the text tokenized with another model's tokenizer?"
        else:
            hint = f"pass the {name} of this model's tokenizer, or leave {name} out."
        raise IdOutOfRangeError(f"{name} holds {bad} at {where}, but the model's {field} is {limit}: ids must lie "
                                f"in [0, {limit}); {hint}")
