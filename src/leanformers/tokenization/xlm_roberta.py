"""XLM-RoBERTa's tokenizer: SentencePiece Unigram with fairseq's id offset, `<s> A </s></s> B </s>`."""

ARCHITECTURE = {
    "tokenizers": {"XLMRobertaTokenizer": "leanformers.tokenization.xlm_roberta:XLMRobertaTokenizer"},
}
