"""Llama's tokenizer (Llama-2, Mistral, CodeLlama): SentencePiece BPE with byte fallback, Metaspace."""

ARCHITECTURE = {
    "tokenizers": {"LlamaTokenizer": "leanformers.tokenization.llama:LlamaTokenizer"},
}
