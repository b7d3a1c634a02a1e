"""XLNet's tokenizer: SentencePiece Unigram, special tokens at the end (`A <sep> <cls>`), left padding."""

ARCHITECTURE = {
    "tokenizers": {"XLNetTokenizer": "leanformers.tokenization.xlnet:XLNetTokenizer"},
}
