"""BatchEncoding: what a tokenizer call returns. A dict of model inputs (also readable
as attributes), the per-sequence encodings behind it (tokens, word ids), and the
conversion to numpy arrays or torch tensors. numpy and torch are imported only when
tensors are asked for, so loading the tokenizer API stays fast."""

from itertools import chain


class BatchEncoding(dict):
    def __init__(self, data=None, encodings=None, tensor_type=None, n_sequences=None, prepare_encodings=None):
        super().__init__(data or {})
        self._encodings = encodings
        self._n_sequences = n_sequences
        # a step (function, *args) giving the encodings when first read: the tokenizer pads them
        # only then, or rebuilds them (most callers never look at them)
        self._prepare = prepare_encodings
        if tensor_type is not None:
            self.convert_to_tensors(tensor_type)

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"BatchEncoding has no attribute or key {name!r}; keys: {list(self)}") from None

    def __getitem__(self, item):
        if isinstance(item, str):
            return super().__getitem__(item)
        if isinstance(item, int):
            encodings = self.encodings
            if encodings is None:
                raise KeyError("Indexing a BatchEncoding by integer needs its encodings, which this one lacks.")
            return encodings[item]
        if isinstance(item, slice):
            return {key: value[item] for key, value in self.items()}
        raise KeyError(f"BatchEncoding keys are strings, integers or slices, got {type(item).__name__}.")

    def __getstate__(self):
        return {"data": dict(self), "encodings": self.encodings, "n_sequences": self._n_sequences}

    def __setstate__(self, state):
        self.update(state["data"])
        self._encodings = state["encodings"]
        self._n_sequences = state["n_sequences"]
        self._prepare = None

    @property
    def encodings(self):
        if self._prepare is not None:
            step = self._prepare
            self._encodings = step[0](*step[1:])
            self._prepare = None
        return self._encodings

    @property
    def is_fast(self):
        return True

    @property
    def n_sequences(self):
        return self._n_sequences

    def _encoding(self, batch_index, what):
        encodings = self.encodings
        if not encodings:
            raise ValueError(f"{what}() is not available: this BatchEncoding was not produced by a tokenizer call.")
        return encodings[batch_index]

    def tokens(self, batch_index=0):
        """The tokens of sequence `batch_index`, special and padding tokens included."""
        return list(self._encoding(batch_index, "tokens").tokens)

    def word_ids(self, batch_index=0):
        """For each token, the index of the word it comes from (None for special tokens)."""
        return list(self._encoding(batch_index, "word_ids").word_ids)

    def sequence_ids(self, batch_index=0):
        """For each token, 0 or 1 for the sequence it comes from (None for special tokens)."""
        return list(self._encoding(batch_index, "sequence_ids").sequence_ids)

    def token_to_word(self, batch_or_token_index, token_index=None):
        if token_index is None:
            batch_or_token_index, token_index = 0, batch_or_token_index
        return self._encoding(batch_or_token_index, "token_to_word").word_ids[token_index]

    def convert_to_tensors(self, tensor_type=None, prepend_batch_axis=False):
        """Turn every value into a numpy array ('np'), a torch tensor ('pt') or a TensorFlow tensor ('tf')."""
        if tensor_type is None:
            return self
        tensor_type = getattr(tensor_type, "value", tensor_type)
        import numpy as np

        if tensor_type == "pt":
            import torch

            def as_tensor(value):
                if isinstance(value, torch.Tensor):
                    return value
                array = _as_array(np, value)
                return torch.from_numpy(array) if array.dtype != object else torch.tensor(value)
        elif tensor_type == "np":
            def as_tensor(value):
                return _as_array(np, value)
        elif tensor_type == "tf":
            try:
                import tensorflow as tf
            except ImportError:
                raise ImportError("return_tensors='tf' needs TensorFlow, which is not installed: "
                                  "pip install 'leanformers[tf]' (or: pip install tensorflow-cpu).") from None

            def as_tensor(value):
                return value if tf.is_tensor(value) else tf.constant(value)  # Python ints -> int32, as transformers
        else:
            raise ValueError(f"return_tensors={tensor_type!r} is not supported; use 'pt' (torch), 'tf' (TensorFlow), "
                             "'np' (numpy) or None (Python lists).")
        for key, value in self.items():
            if prepend_batch_axis:
                value = [value]
            try:
                self[key] = as_tensor(value)
            except ValueError as error:
                if key == "overflowing_tokens":
                    raise ValueError("Unable to create tensor returning overflowing tokens of different lengths. "
                                     "Please see if a fast version of this tokenizer is available to have this "
                                     "feature available.") from error
                raise ValueError(
                    "Unable to create tensor, you should probably activate truncation and/or padding with "
                    "'padding=True' 'truncation=True' to have batched tensors with the same length. Perhaps your "
                    f"features (`{key}` in this case) have excessive nesting (inputs type `list` where type `int` "
                    "is expected).") from error
        return self

    def to(self, device, *, non_blocking=False):
        """Move every torch tensor to `device` (in place); returns self."""
        import torch

        for key, value in self.items():
            if isinstance(value, torch.Tensor):
                self[key] = value.to(device=device, non_blocking=non_blocking)
        return self


def _as_array(np, value):
    """numpy array of `value`; equal-length rows of ints (ids, masks) are read in one
    pass over the flattened values, about twice as fast as np.asarray on nested lists."""
    if isinstance(value, list) and value and isinstance(value[0], list) and value[0] \
            and type(value[0][0]) is int:
        widths = set(map(len, value))
        if len(widths) == 1:
            flat = np.fromiter(chain.from_iterable(value), dtype=np.int64, count=len(value) * len(value[0]))
            return flat.reshape(len(value), len(value[0]))
    return np.asarray(value)
