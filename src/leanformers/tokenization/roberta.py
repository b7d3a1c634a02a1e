"""RoBERTa's and BART's tokenizer: GPT-2's byte-level BPE inside `<s> A </s>` and
`<s> A </s></s> B </s>`, all type ids 0.

BART uses RoBERTa's files and, in transformers 5, RoBERTa's class, so `BartTokenizer`
is that class too. The post-processor is always built from the arguments
(`trim_offsets`, `add_prefix_space`), as transformers 5 does, even when tokenizer.json
has one.
"""

from .byte_level import RobertaProcessing
from .gpt2 import ByteLevelBPETokenizer


class RobertaTokenizer(ByteLevelBPETokenizer):
    def __init__(self, vocab=None, merges=None, vocab_file=None, merges_file=None, tokenizer_file=None,
                 errors="replace", bos_token="<s>", eos_token="</s>", sep_token="</s>", cls_token="<s>",
                 unk_token="<unk>", pad_token="<pad>", mask_token="<mask>", add_prefix_space=False, trim_offsets=True,
                 **kwargs):
        default_vocab = {str(pad_token): 0, str(unk_token): 1, str(cls_token): 2, str(sep_token): 3,
                         str(mask_token): 4}
        self._build_stages(vocab, merges, vocab_file, merges_file, tokenizer_file, add_prefix_space, default_vocab,
                           kwargs)
        self.trim_offsets = trim_offsets
        super().__init__(errors=errors, bos_token=bos_token, eos_token=eos_token, sep_token=sep_token,
                         cls_token=cls_token, unk_token=unk_token, pad_token=pad_token, mask_token=mask_token,
                         add_prefix_space=add_prefix_space, trim_offsets=trim_offsets, **kwargs)
        self._tokenizer.post_processor = RobertaProcessing((self.sep_token, self.sep_token_id),
                                                           (self.cls_token, self.cls_token_id),
                                                           trim_offsets, add_prefix_space)


RobertaTokenizerFast = RobertaTokenizer
BartTokenizer = RobertaTokenizer
BartTokenizerFast = RobertaTokenizer
