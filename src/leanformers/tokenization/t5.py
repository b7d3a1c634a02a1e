"""T5's tokenizer (also mT5, flan-t5): SentencePiece Unigram, `<extra_id_N>` sentinels, `A </s>` / `A </s> B </s>`."""

ARCHITECTURE = {
    "tokenizers": {"T5Tokenizer": "leanformers.tokenization.t5:T5Tokenizer",
                   "MT5Tokenizer": "leanformers.tokenization.t5:MT5Tokenizer"},
}
