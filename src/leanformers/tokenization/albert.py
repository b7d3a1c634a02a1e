"""ALBERT's tokenizer: SentencePiece Unigram, `[CLS] A [SEP] B [SEP]`."""

from .t5 import (SentencePieceUnigramTokenizer, metaspace, normalizer_sequence, precompiled, replace, template,
                 whitespace_then_metaspace)


class AlbertTokenizer(SentencePieceUnigramTokenizer):
    """ALBERT's tokenizer: `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]` (B with type id 1), lower-cased, accents
    stripped unless keep_accents."""

    vocab_files_names = {"vocab_file": "spiece.model"}

    def __init__(self, vocab=None, do_lower_case=True, keep_accents=False, bos_token="[CLS]", eos_token="[SEP]",
                 unk_token="<unk>", sep_token="[SEP]", pad_token="<pad>", cls_token="[CLS]", mask_token="[MASK]",
                 _spm_precompiled_charsmap=None, add_prefix_space=True, trim_offsets=True, **kwargs):
        file_post_processor = kwargs.pop("post_processor", None)
        kwargs.pop("vocab_file", None)
        self.add_prefix_space, self.trim_offsets = add_prefix_space, trim_offsets
        self.do_lower_case, self.keep_accents = do_lower_case, keep_accents
        if vocab is None:
            vocab = [(str(t), 0.0) for t in (pad_token, unk_token, cls_token, sep_token, mask_token)]
        normalizers = [replace("``", '"'), replace("''", '"')]
        if not keep_accents:
            normalizers += [{"type": "NFKD"}, {"type": "StripAccents"}]
        if do_lower_case:
            normalizers.append({"type": "Lowercase"})
        normalizers.append(precompiled(_spm_precompiled_charsmap))
        scheme = "always" if add_prefix_space else "never"
        self._build(vocab, 1, normalizer_sequence(normalizers), whitespace_then_metaspace(scheme), metaspace(scheme))
        # the template is set before the special tokens are added, with the ids the vocabulary gives them;
        # tokenizer.json's post-processor replaces it
        model = self._tokenizer.model
        post = file_post_processor or template(
            [("[CLS]", 0), ("$A", 0), ("[SEP]", 0)], [("[CLS]", 0), ("$A", 0), ("[SEP]", 0), ("$B", 1), ("[SEP]", 1)],
            {"[CLS]": model.token_to_id(str(cls_token)), "[SEP]": model.token_to_id(str(sep_token))})
        self._set_post_processor(post)
        super().__init__(do_lower_case=do_lower_case, keep_accents=keep_accents, bos_token=bos_token,
                         eos_token=eos_token, sep_token=sep_token, cls_token=cls_token, unk_token=unk_token,
                         pad_token=pad_token, mask_token=mask_token, add_prefix_space=add_prefix_space,
                         trim_offsets=trim_offsets, **kwargs)


AlbertTokenizerFast = AlbertTokenizer
