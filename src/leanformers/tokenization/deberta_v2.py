"""DeBERTa-v2/v3's tokenizer: SentencePiece Unigram, `[CLS] A [SEP] B [SEP]`."""

ARCHITECTURE = {
    "tokenizers": {"DebertaV2Tokenizer": "leanformers.tokenization.deberta_v2:DebertaV2Tokenizer"},
}
