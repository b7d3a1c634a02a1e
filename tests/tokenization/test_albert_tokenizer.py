"""AlbertTokenizer against transformers 5: a Unigram model trained here as ALBERT's is (<pad>=0
<unk>=1 [CLS] [SEP] [MASK]), loaded from spiece.model and from the reference's saved tokenizer.json,
lower-cased and accent-stripped (the defaults) and with keep_accents / do_lower_case=False.
Helpers and checks: test_t5_tokenizer.py."""

from test_t5_tokenizer import family_tests

ALBERT_SPM = dict(pad_id=0, unk_id=1, bos_id=-1, eos_id=-1, control_symbols=["[CLS]", "[SEP]", "[MASK]"])

globals().update(family_tests("AlbertTokenizer", "spiece.model", ALBERT_SPM))

cased = family_tests("AlbertTokenizer", "spiece.model", ALBERT_SPM, dict(do_lower_case=False, keep_accents=True))
globals().update({name.replace("test_", "test_cased_", 1) if name.startswith("test_") else "cased_" + name: value
                  for name, value in cased.items()})
