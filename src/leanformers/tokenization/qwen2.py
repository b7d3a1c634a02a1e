"""Qwen2's tokenizer: byte-level BPE with Qwen's split pattern and NFC."""

ARCHITECTURE = {
    "tokenizers": {"Qwen2Tokenizer": "leanformers.tokenization.qwen2:Qwen2Tokenizer"},
}
