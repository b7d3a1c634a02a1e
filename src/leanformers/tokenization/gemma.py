"""Gemma's tokenizer: SentencePiece BPE with byte fallback, spaces as U+2581 without a prefix space."""

ARCHITECTURE = {
    "tokenizers": {"GemmaTokenizer": "leanformers.tokenization.gemma:GemmaTokenizer"},
}

from . import tokenizer_json
from .fast import TokenizersBackend, bpe_model
from .llama import SPIECE_UNDERLINE, byte_fallback_decoder


class GemmaTokenizer(TokenizersBackend):
    """Gemma's tokenizer: byte-fallback BPE on text whose spaces became "▁", split after each one."""

    vocab_files_names = {}  # tokenizer.json
    padding_side = "left"
    model_input_names = ["input_ids", "attention_mask"]

    def __init__(self, vocab=None, merges=None, unk_token="<unk>", bos_token="<bos>", eos_token="<eos>",
                 pad_token="<pad>", mask_token="<mask>", **kwargs):
        if vocab is None:
            vocab = {str(pad_token): 0, str(eos_token): 1, str(bos_token): 2, str(unk_token): 3, str(mask_token): 4}
        kwargs.pop("_spm_precompiled_charsmap", None)
        unk = str(unk_token) if str(unk_token) in vocab else None  # the reference's core takes an unk it lacks
        data = {"model": bpe_model(vocab, merges or [], fuse_unk=True, byte_fallback=True, unk_token=unk),
                "normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": SPIECE_UNDERLINE},
                "pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithPrevious",
                                  "invert": False},
                "decoder": byte_fallback_decoder(False)}
        self._tokenizer = tokenizer_json.build_tokenizer(data, f"{type(self).__name__}'s pipeline")
        super().__init__(unk_token=unk_token, bos_token=bos_token, eos_token=eos_token, pad_token=pad_token,
                         mask_token=mask_token, **kwargs)


GemmaTokenizerFast = GemmaTokenizer
