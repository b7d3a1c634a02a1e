"""Gemma's tokenizer: SentencePiece BPE with byte fallback, spaces as U+2581 without a prefix space."""

ARCHITECTURE = {
    "tokenizers": {"GemmaTokenizer": "leanformers.tokenization.gemma:GemmaTokenizer"},
}
