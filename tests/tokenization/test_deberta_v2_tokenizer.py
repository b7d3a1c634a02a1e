"""DebertaV2Tokenizer against transformers 5: a Unigram model trained here as DeBERTa-v3's is
([PAD]=0 [CLS]=1 [SEP]=2 [UNK]=3, [MASK] a control piece), loaded from spm.model and from the
reference's saved tokenizer.json, also with split_by_punct and do_lower_case.
Helpers and checks: test_t5_tokenizer.py."""

from test_t5_tokenizer import family_tests

DEBERTA_SPM = dict(pad_id=0, pad_piece="[PAD]", bos_id=1, bos_piece="[CLS]", eos_id=2, eos_piece="[SEP]", unk_id=3,
                   unk_piece="[UNK]", control_symbols=["[MASK]"])

globals().update(family_tests("DebertaV2Tokenizer", "spm.model", DEBERTA_SPM))

punct = family_tests("DebertaV2Tokenizer", "spm.model", DEBERTA_SPM, dict(split_by_punct=True, do_lower_case=True))
globals().update({name.replace("test_", "test_punct_", 1) if name.startswith("test_") else "punct_" + name: value
                  for name, value in punct.items()})
