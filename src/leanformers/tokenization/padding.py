"""Padding a batch: the length it pads to, the padded encodings, and the padded arrays.

A padding is described by one tuple, `pad = (target, right, pad_id, pad_token, pad_type)`:
the length every row is brought to, whether pads go on the right, and the pad token's id,
string and type id. `model_inputs` builds the model inputs of a call's rows with it, either
by padding the encodings (then reading their lists) or, for the common padded 'np'/'pt'
call, by filling the arrays straight from the unpadded rows (`_padded_arrays`), which leaves
the encodings to be padded only if someone reads them (`padded`). tests/tokenization/
test_tokenizer_lazy_rows.py pins the two ways to each other.

`pad_columns` pads model inputs that are already lists of ids (`tokenizer.pad`, the data
collators and `train.fit` use it); `padded_length` is the length both ways pad to.
"""

from itertools import chain


def pad_plan(encodings, strategy, max_length, pad_to_multiple_of, side, pad_id, pad_token, pad_type):
    """The `pad` tuple of a call padding by `strategy` ('longest' or 'max_length') on `side`."""
    if side not in ("right", "left"):
        raise ValueError(f"padding_side must be 'right' or 'left', got {side!r}.")
    # the longest main encoding sets the length (overflowing windows do not count, as in the reference)
    target = padded_length([len(e.ids) for e in encodings], strategy, max_length, pad_to_multiple_of)
    return target, side == "right", pad_id, pad_token, pad_type


def padded_length(lengths, strategy, max_length, pad_to_multiple_of):
    """The length rows of `lengths` are padded to: the longest ('longest') or `max_length` ('max_length'),
    rounded up to a multiple of `pad_to_multiple_of`."""
    target = max(lengths, default=0) if strategy == "longest" else max_length
    if pad_to_multiple_of and target % pad_to_multiple_of:
        target += pad_to_multiple_of - target % pad_to_multiple_of
    return target


def pad_columns(columns, main, strategy, max_length, pad_to_multiple_of, side, pad_values, with_attention_mask):
    """{key: rows} with the rows of the keys of `pad_values` ({key: pad value}, `main` among them) brought to the
    length `padded_length` gives for the rows of `main`, on `side`; an attention mask (1 for a real token, 0 for
    a pad) is built for rows that have none and padded with 0 when `with_attention_mask`. Other keys are left as
    they are; rows longer than the length stay as they are; 'do_not_pad' pads nothing."""
    if side not in ("right", "left"):
        raise ValueError(f"padding_side must be 'right' or 'left', got {side!r}.")
    rows = columns[main]
    if with_attention_mask:
        pad_values = {**pad_values, "attention_mask": 0}
    data = {key: [list(row) for row in value] if key in pad_values else value for key, value in columns.items()}
    if with_attention_mask:
        data.setdefault("attention_mask", [[1] * len(row) for row in rows])
    if strategy == "do_not_pad":
        return data
    target = padded_length(map(len, rows), strategy, max_length, pad_to_multiple_of)
    for key, pad in pad_values.items():
        if key in data:
            data[key] = [_padded(row, target - len(row), pad, side == "right") for row in data[key]]
    return data


def _padded(values, n, pad, right):
    """`values` with `n` pads on the right or the left (none for n <= 0)."""
    if n <= 0:
        return values
    return values + [pad] * n if right else [pad] * n + values


def model_inputs(rows, pad, return_tensors, with_type_ids, with_attention_mask, with_special_tokens_mask,
                 with_offsets):
    """(data, lengths, rows_padded): the model inputs of `rows` (input_ids, then the fields asked
    for) padded by `pad` (None: not padded), each row's length after padding, and whether the
    encodings of `rows` were padded in place (False when the arrays were filled without them)."""
    lengths = [len(e.ids) for e in rows]
    if pad is None:
        return _lists(rows, with_type_ids, with_attention_mask, with_special_tokens_mask, with_offsets), lengths, False
    target = pad[0]
    lengths = [max(n, target) for n in lengths]
    if (return_tensors in ("np", "pt") and lengths and len(set(lengths)) == 1
            and not (with_special_tokens_mask or with_offsets)):
        # the common model-input call: the rows are padded only when someone reads them
        target, right, pad_id, _, pad_type = pad
        return _padded_arrays(rows, target, right, with_type_ids, with_attention_mask, pad_id, pad_type), lengths, False
    _pad_rows(rows, *pad)
    return _lists(rows, with_type_ids, with_attention_mask, with_special_tokens_mask, with_offsets), lengths, True


def _lists(rows, with_type_ids, with_attention_mask, with_special_tokens_mask, with_offsets):
    data = {"input_ids": [e.ids for e in rows]}
    if with_type_ids:
        data["token_type_ids"] = [e.type_ids for e in rows]
    if with_attention_mask:
        data["attention_mask"] = [e.attention_mask for e in rows]
    if with_special_tokens_mask:
        data["special_tokens_mask"] = [e.special_tokens_mask for e in rows]
    if with_offsets:
        data["offset_mapping"] = [e.offsets for e in rows]
    return data


def padded(rows, pad):
    """`rows` padded in place by `pad`; the deferred step of rows whose arrays were filled unpadded."""
    _pad_rows(rows, *pad)
    return rows


def _pad_rows(rows, target, right, pad_id, pad_token, pad_type):
    """Pad every encoding of `rows` in place to `target` tokens (longer ones stay as they are)."""
    for e in rows:
        n = target - len(e.ids)
        if n <= 0:
            continue
        real = [1] * len(e.ids)
        type_ids = e.type_ids  # before ids grow: unbuilt type ids are built from the length of ids
        if right:
            e.ids = e.ids + [pad_id] * n
            e.type_ids = type_ids + [pad_type] * n
            e.attention_mask = real + [0] * n
        else:
            e.ids = [pad_id] * n + e.ids
            e.type_ids = [pad_type] * n + type_ids
            e.attention_mask = [0] * n + real
        if e.offsets is not None:
            e.offsets = e.offsets + [(0, 0)] * n if right else [(0, 0)] * n + e.offsets
        e.defer(_pad_deferred, n, right, pad_token)


def _pad_deferred(e, n, right, pad_token):
    """Padding of the deferred fields of an encoding (see encoding.Encoding)."""
    for slot, pad in (("_tokens", pad_token), ("_word_ids", None), ("_special_tokens_mask", 1),
                      ("_sequence_ids", None)):
        setattr(e, slot, _padded(getattr(e, slot), n, pad, right))


def _padded_arrays(rows, target, right, with_type_ids, with_attention_mask, pad_id, pad_type):
    """input_ids (and token_type_ids, attention_mask) of unpadded `rows`, none longer than
    `target`, as (B, target) int64 arrays padded on the right or left: what padding the
    rows and converting the lists gives."""
    import numpy as np

    lengths = np.fromiter((len(e.ids) for e in rows), dtype=np.int64, count=len(rows))  # (B,)
    positions = np.arange(target)  # (T,)
    real = positions < lengths[:, None] if right else positions >= (target - lengths)[:, None]  # (B, T)
    n_real = int(lengths.sum())

    def filled(values, pad):
        out = np.full((len(rows), target), pad, dtype=np.int64)
        out[real] = np.fromiter(chain.from_iterable(values), dtype=np.int64, count=n_real)  # fills row by row
        return out

    data = {"input_ids": filled((e.ids for e in rows), pad_id)}
    if with_type_ids:
        if any(e._type_ids is not None for e in rows):
            data["token_type_ids"] = filled((e.type_ids for e in rows), pad_type)
        else:  # all zeros, left unbuilt by the post-processor (encoding.Encoding)
            data["token_type_ids"] = np.where(real, 0, pad_type)
    if with_attention_mask:
        data["attention_mask"] = real.astype(np.int64)
    return data
