"""XLNet's tokenizer: SentencePiece Unigram, special tokens at the end (`A <sep> <cls>`), left padding."""

ARCHITECTURE = {
    "tokenizers": {"XLNetTokenizer": "leanformers.tokenization.xlnet:XLNetTokenizer"},
}

from .added_tokens import AddedToken
from .t5 import (SentencePieceUnigramTokenizer, metaspace, normalizer_sequence, precompiled, replace, template,
                 whitespace_then_metaspace)


class XLNetTokenizer(SentencePieceUnigramTokenizer):
    """XLNet's tokenizer: `A <sep> <cls>` / `A <sep> B <sep> <cls>` (type ids 0, 1, and 2 for <cls>),
    padded on the left (pad type id 0, as the reference pads)."""

    vocab_files_names = {"vocab_file": "spiece.model"}
    padding_side = "left"

    def __init__(self, vocab=None, unk_id=0, do_lower_case=False, remove_space=True, keep_accents=False,
                 bos_token="<s>", eos_token="</s>", unk_token="<unk>", sep_token="<sep>", pad_token="<pad>",
                 cls_token="<cls>", mask_token="<mask>", _spm_precompiled_charsmap=None,
                 additional_special_tokens=None, **kwargs):
        kwargs.pop("post_processor", None)  # always built from the arguments
        kwargs.pop("vocab_file", None)
        if additional_special_tokens is None:
            additional_special_tokens = ["<eop>", "<eod>"]
        if vocab is None:
            vocab = [(str(unk_token), 0.0)]
        normalizers = [replace("``", '"'), replace("''", '"'), {"type": "NFKD"}, {"type": "StripAccents"}]
        if do_lower_case:
            normalizers.append({"type": "Lowercase"})
        normalizers.append(precompiled(_spm_precompiled_charsmap))
        # the reference asks the tokenizer for `legacy` before it has one: always "always"
        scheme = "always"
        self._build(vocab, unk_id, normalizer_sequence(normalizers), whitespace_then_metaspace(scheme),
                    metaspace(scheme))
        self.do_lower_case, self.remove_space, self.keep_accents = do_lower_case, remove_space, keep_accents
        if isinstance(mask_token, str):
            mask_token = AddedToken(mask_token, lstrip=True, rstrip=False, normalized=False, special=True)
        super().__init__(unk_id=unk_id, do_lower_case=do_lower_case, remove_space=remove_space,
                         keep_accents=keep_accents, bos_token=bos_token, eos_token=eos_token, unk_token=unk_token,
                         sep_token=sep_token, pad_token=pad_token, cls_token=cls_token, mask_token=mask_token,
                         additional_special_tokens=additional_special_tokens, **kwargs)
        sep, cls = str(self.sep_token), str(self.cls_token)
        self._set_post_processor(template([("$A", 0), (sep, 0), (cls, 2)],
                                          [("$A", 0), (sep, 0), ("$B", 1), (sep, 1), (cls, 2)],
                                          {sep: self.sep_token_id, cls: self.cls_token_id}))


XLNetTokenizerFast = XLNetTokenizer
