"""Qwen2's tokenizer: byte-level BPE with Qwen's split pattern and NFC."""

ARCHITECTURE = {
    "tokenizers": {"Qwen2Tokenizer": "leanformers.tokenization.qwen2:Qwen2Tokenizer"},
}

from . import tokenizer_json
from .added_tokens import AddedToken
from .fast import TokenizersBackend, bpe_model

# Qwen's split: like GPT-4's, but one digit a piece
PRETOKENIZE_REGEX = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"""
                     r"""\s*[\r\n]+|\s+(?!\S)|\s+""")


class Qwen2Tokenizer(TokenizersBackend):
    """Qwen2's tokenizer: byte-level BPE after NFC and Qwen's split pattern; no bos."""

    vocab_files_names = {"vocab_file": "vocab.json", "merges_file": "merges.txt"}
    model_input_names = ["input_ids", "attention_mask"]

    def __init__(self, vocab=None, merges=None, unk_token="<|endoftext|>", bos_token=None,
                 eos_token="<|endoftext|>", pad_token="<|endoftext|>", add_prefix_space=None, **kwargs):
        prefix = add_prefix_space if add_prefix_space is not None else False
        if vocab is None:
            vocab = {"<|endoftext|>": 0}
        data = {"model": bpe_model(vocab, merges or [], continuing_subword_prefix="", end_of_word_suffix=""),
                "normalizer": {"type": "NFC"},
                "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                    {"type": "Split", "pattern": {"Regex": PRETOKENIZE_REGEX}, "behavior": "Isolated",
                     "invert": False},
                    {"type": "ByteLevel", "add_prefix_space": prefix, "trim_offsets": True, "use_regex": False}]},
                "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}}
        self._tokenizer = tokenizer_json.build_tokenizer(data, f"{type(self).__name__}'s pipeline")
        super().__init__(unk_token=unk_token, bos_token=bos_token, eos_token=eos_token, pad_token=pad_token,
                         add_prefix_space=add_prefix_space, **kwargs)
        object.__setattr__(self, "add_prefix_space", prefix)
        self.add_tokens([AddedToken(token, special=True) for token in self.all_special_tokens])


Qwen2TokenizerFast = Qwen2Tokenizer
