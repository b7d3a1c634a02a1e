"""XLMRobertaTokenizer against transformers 5: a Unigram model trained here as fairseq's are
(<unk>=0 <s>=1 </s>=2), loaded from sentencepiece.bpe.model (fairseq's id offset, <mask> at the end)
and from the reference's saved tokenizer.json. Helpers and checks: test_t5_tokenizer.py."""

from test_t5_tokenizer import family_tests

globals().update(family_tests("XLMRobertaTokenizer", "sentencepiece.bpe.model", dict(unk_id=0, bos_id=1, eos_id=2,
                                                                                     pad_id=-1)))
