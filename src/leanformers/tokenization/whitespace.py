"""Unicode White_Space, the one whitespace table of the tokenizers.

The reference treats the same 25 characters as whitespace everywhere: Rust's
`char::is_whitespace` (stripping around added tokens, trimming byte-level offsets,
BERT's splitting and vocab.txt lines) and its regex `\\s` (the GPT-2 split). The set
comes from _unicode_classes, which tools/gen_bpe_unicode_classes.py generates by asking
the reference, so it is written down nowhere else.
"""

import re

from ._unicode_classes import WHITESPACE as WHITESPACE_CLASS  # the body of a regex character class


def _class_chars(body):
    """The characters of a generated character-class body such as r"\\u0009-\\u000d\\u0020"."""
    chars = []
    for low, high in re.findall(r"\\u([0-9a-f]{4})(?:-\\u([0-9a-f]{4}))?", body):
        chars += map(chr, range(int(low, 16), int(high or low, 16) + 1))
    return "".join(chars)


WHITESPACE = _class_chars(WHITESPACE_CLASS)  # a str of the characters, for str.strip and set membership
