"""Where stride, max_length and special tokens meet: leanformers errors exactly where the reference does.

The one deliberate difference: max_length below the number of special tokens added is a clear error in
leanformers, where the reference silently returns the sequence untruncated.
"""

import pytest
import transformers

import leanformers
from support.wordpiece_cases import NEEDS_DATA, VOCABS

TEXTS = [" hello world foo bar", " hi"]


def outcome(tokenizer, **kwargs):
    try:
        return tokenizer(TEXTS, truncation=True, return_overflowing_tokens=True, **kwargs)["input_ids"]
    except BaseException:  # the reference may panic from Rust, which is not an Exception
        return "error"


@NEEDS_DATA
@pytest.mark.parametrize("cls, folder", [("BertTokenizer", "bert-base-uncased"),
                                         ("RobertaTokenizer", "roberta-base")])
def test_stride_and_max_length_limits_match_the_reference(cls, folder):
    path = VOCABS / folder
    ours = getattr(leanformers, cls).from_pretrained(path)
    reference = getattr(transformers, cls).from_pretrained(path)
    checked = 0
    for add_special_tokens in (True, False):
        for max_length in range(1, 6):
            for stride in range(4):
                kwargs = dict(add_special_tokens=add_special_tokens, max_length=max_length, stride=stride)
                got = outcome(ours, **kwargs)
                if add_special_tokens and max_length < ours.num_special_tokens_to_add(False):
                    assert got == "error", kwargs  # the deliberate, documented difference
                    continue
                assert got == outcome(reference, **kwargs), kwargs
                checked += 1
    assert checked == 36  # every combination but the four deliberate ones
