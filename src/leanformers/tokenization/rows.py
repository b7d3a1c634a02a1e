"""The rows of a batch call: each text (or pair) encoded, truncated and post-processed,
followed by the overflowing windows truncation cut off; and the same rows encoded again
from the call's inputs, for a batch that did not keep them (see base.py).
"""

from .encoding import truncate
from .padding import padded


def batch_rows(tok, text, text_pair, add_special_tokens, truncation, with_offsets, is_split_into_words,
               with_overflow):
    """(encodings, rows) of a batch encoded by the core Tokenizer `tok`: the post-processed
    encoding of each text (or pair), and the rows of the result: the encodings, each followed
    by its overflowing windows when `with_overflow`. `truncation` is None or (budget, strategy,
    stride, side)."""
    if text_pair is None and truncation is None:  # the common case, kept lean
        encodings = [tok.post_process(tok.encode_raw(t, with_offsets, is_split_into_words), None,
                                      add_special_tokens) for t in text]
    else:
        encodings = []
        for i, t in enumerate(text):
            a = tok.encode_raw(t, with_offsets, is_split_into_words)
            b = tok.encode_raw(text_pair[i], with_offsets, is_split_into_words) if text_pair is not None else None
            if truncation is not None:
                truncate(a, b, *truncation)
            encodings.append(tok.post_process(a, b, add_special_tokens))
    if not with_overflow:
        return encodings, encodings
    rows = []
    for e in encodings:
        rows.append(e)
        rows += e.overflowing
    return encodings, rows


def rows_again(core, generation, rows_args, pad):
    """The rows of a plain batch call, encoded again from the call's own inputs when first read;
    `generation` is the core tokenizer's at the call, `pad` the call's padding (or None)."""
    if core.generation != generation:
        raise RuntimeError("The tokens and word ids of this batch are rebuilt when first read, but tokens were "
                           "added to the tokenizer since the call; read them (e.g. .tokens(), .word_ids(), "
                           ".encodings) before changing the tokenizer, or call the tokenizer again.")
    _, rows = batch_rows(core, *rows_args)
    return rows if pad is None else padded(rows, pad)
