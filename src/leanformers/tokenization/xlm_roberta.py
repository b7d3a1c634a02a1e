"""XLM-RoBERTa's tokenizer: SentencePiece Unigram with fairseq's id offset, `<s> A </s></s> B </s>`."""

from .t5 import (SentencePieceUnigramTokenizer, metaspace, precompiled, template,
                 whitespace_then_metaspace)


class XLMRobertaTokenizer(SentencePieceUnigramTokenizer):
    """XLM-R's tokenizer: `<s> A </s>` / `<s> A </s></s> B </s>`, fairseq's ids (<s>=0 <pad>=1 </s>=2 <unk>=3)."""

    vocab_files_names = {"vocab_file": "sentencepiece.bpe.model"}

    def __init__(self, vocab=None, add_prefix_space=True, bos_token="<s>", eos_token="</s>", sep_token="</s>",
                 cls_token="<s>", unk_token="<unk>", pad_token="<pad>", mask_token="<mask>",
                 _spm_precompiled_charsmap=None, **kwargs):
        kwargs.pop("post_processor", None)  # always built from the arguments
        kwargs.pop("vocab_file", None)
        self.add_prefix_space = add_prefix_space
        if vocab is None:
            vocab = [(str(t), 0.0) for t in (bos_token, pad_token, eos_token, unk_token, mask_token)]
        scheme = "always" if add_prefix_space else "never"
        self._build(vocab, 3, precompiled(_spm_precompiled_charsmap), whitespace_then_metaspace(scheme),
                    metaspace(scheme))
        super().__init__(bos_token=bos_token, eos_token=eos_token, sep_token=sep_token, cls_token=cls_token,
                         unk_token=unk_token, pad_token=pad_token, mask_token=mask_token,
                         add_prefix_space=add_prefix_space, **kwargs)
        bos, eos = str(bos_token), str(eos_token)
        self._set_post_processor(template([(bos, 0), ("$A", 0), (eos, 0)],
                                          [(bos, 0), ("$A", 0), (eos, 0), (eos, 0), ("$B", 0), (eos, 0)],
                                          {bos: self.bos_token_id, eos: self.eos_token_id}))

    @classmethod
    def convert_from_spm(cls, vocab=None, **kwargs):
        # fairseq's order: the first three pieces (<unk>, <s>, </s>) give way to these four
        head = [(str(kwargs.get(k, d)), 0.0) for k, d in (("bos_token", "<s>"), ("pad_token", "<pad>"),
                                                           ("eos_token", "</s>"), ("unk_token", "<unk>"))]
        kwargs["vocab"] = head + list(vocab or [])[3:] + [(str(kwargs.get("mask_token", "<mask>")), 0.0)]
        return kwargs


XLMRobertaTokenizerFast = XLMRobertaTokenizer
