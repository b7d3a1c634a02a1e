"""DeBERTa-v2/v3's tokenizer: SentencePiece Unigram, `[CLS] A [SEP] B [SEP]`."""

# the family is declared in leanformers/models/deberta_v2.py (its ARCHITECTURE names this tokenizer)

from .t5 import SentencePieceUnigramTokenizer, metaspace, normalizer_sequence, precompiled, replace, template


class DebertaV2Tokenizer(SentencePieceUnigramTokenizer):
    """DeBERTa-v2/v3's tokenizer: `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]` (B with type id 1). With the
    model's character map (from spm.model or a saved Precompiled stage): that map, trailing spaces stripped,
    runs of spaces made one; without it: runs of whitespace become one space, NFC, trailing spaces stripped."""

    vocab_files_names = {"vocab_file": "spm.model"}
    model_input_names = ["input_ids", "attention_mask", "token_type_ids"]

    def __init__(self, vocab=None, do_lower_case=False, split_by_punct=False, bos_token="[CLS]", eos_token="[SEP]",
                 unk_token="[UNK]", sep_token="[SEP]", pad_token="[PAD]", cls_token="[CLS]", mask_token="[MASK]",
                 add_prefix_space=True, unk_id=1, _spm_precompiled_charsmap=None, **kwargs):
        kwargs.pop("post_processor", None)  # always built from the arguments
        kwargs.pop("vocab_file", None)
        self.do_lower_case, self.split_by_punct, self.add_prefix_space = do_lower_case, split_by_punct, add_prefix_space
        if vocab is None:
            vocab = [(str(t), 0.0) for t in (pad_token, unk_token, bos_token, eos_token, sep_token, cls_token,
                                             mask_token)]
            unk_id = 1
        elif isinstance(vocab, list):
            vocab = [tuple(item) for item in vocab]
            if (str(unk_token), 0.0) in vocab:
                unk_id = vocab.index((str(unk_token), 0.0))
        normalizers = [{"type": "Lowercase"}] if do_lower_case else []
        strip_right = {"type": "Strip", "strip_left": False, "strip_right": True}
        charsmap = precompiled(_spm_precompiled_charsmap)
        if charsmap:
            normalizers += [charsmap, strip_right, replace(r" {2,}", " ", regex=True)]
        else:
            normalizers += [replace(r"\s{2,}|[\n\r\t]", " ", regex=True), {"type": "NFC"}, strip_right]
        pre = [{"type": "Punctuation", "behavior": "Isolated"}] if split_by_punct else []
        scheme = "always" if add_prefix_space else "first"
        pre.append(metaspace(scheme))
        self._build(vocab, unk_id, normalizer_sequence(normalizers), {"type": "Sequence", "pretokenizers": pre},
                    metaspace(scheme))
        super().__init__(bos_token=bos_token, eos_token=eos_token, unk_token=unk_token, sep_token=sep_token,
                         cls_token=cls_token, pad_token=pad_token, mask_token=mask_token, unk_id=unk_id,
                         do_lower_case=do_lower_case, split_by_punct=split_by_punct,
                         add_prefix_space=add_prefix_space, **kwargs)
        cls, sep = str(self.cls_token), str(self.sep_token)
        self._set_post_processor(template([(cls, 0), ("$A", 0), (sep, 0)],
                                          [(cls, 0), ("$A", 0), (sep, 0), ("$B", 1), (sep, 1)],
                                          {cls: self.cls_token_id or 0, sep: self.sep_token_id or 0}))


DebertaV2TokenizerFast = DebertaV2Tokenizer
