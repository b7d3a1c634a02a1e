"""ALBERT's tokenizer: SentencePiece Unigram, `[CLS] A [SEP] B [SEP]`."""

ARCHITECTURE = {
    "tokenizers": {"AlbertTokenizer": "leanformers.tokenization.albert:AlbertTokenizer"},
}
