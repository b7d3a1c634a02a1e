"""The check of an integer option (top_k, batch_size, num_workers, max_new_tokens, ...), one for every pipeline,
generate() and the command line, so that an impossible value is the same clear error everywhere: the option, the
value and what is allowed. Torch-free and import-free: the command line checks its arguments before loading torch.
"""

from numbers import Integral


def integers_from(least):
    """What `check_int(..., least)` allows, in words."""
    return {0: "0 or a positive integer", 1: "a positive integer"}.get(least, f"an integer >= {least}")


def check_int(name, value, least, none=None):
    """`value` as an int when it is an integer (not a bool) of at least `least`, or None when `none` says what
    None means there (e.g. "every label"); otherwise a ValueError naming `name`, the value and what is allowed."""
    if value is None and none is not None:
        return None
    if isinstance(value, Integral) and not isinstance(value, bool) and value >= least:
        return int(value)
    raise ValueError(f"{name} must be {integers_from(least)}, got {value!r}"
                     + (f" (or None: {none})." if none is not None else "."))
