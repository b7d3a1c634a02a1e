"""Llama's tokenizer (Llama-2, Mistral, CodeLlama): SentencePiece BPE with byte fallback, Metaspace."""

ARCHITECTURE = {
    "tokenizers": {"LlamaTokenizer": "leanformers.tokenization.llama:LlamaTokenizer"},
}

from . import tokenizer_json
from .fast import TokenizersBackend, bpe_model

SPIECE_UNDERLINE = "\u2581"


def prepend_scheme(add_prefix_space, legacy):
    """Metaspace's prepend_scheme as the reference picks it: "always" with a prefix space (legacy),
    "first" for a non-legacy tokenizer, "never" without one."""
    if not add_prefix_space:
        return "never"
    return "always" if legacy else "first"


def byte_fallback_decoder(strip_prefix):
    """Replace("▁", " "), ByteFallback, Fuse (and Strip of one leading space)."""
    steps = [{"type": "Replace", "pattern": {"String": SPIECE_UNDERLINE}, "content": " "},
             {"type": "ByteFallback"}, {"type": "Fuse"}]
    if strip_prefix:
        steps.append({"type": "Strip", "content": " ", "start": 1, "stop": 0})
    return {"type": "Sequence", "decoders": steps}


class LlamaTokenizer(TokenizersBackend):
    """Llama-2's tokenizer ("Hello world" -> [1, 15043, 3186]): byte-fallback BPE, Metaspace, `<s> A`."""

    vocab_files_names = {"vocab_file": "tokenizer.model"}
    padding_side = "left"
    model_input_names = ["input_ids", "attention_mask"]

    def __init__(self, vocab=None, merges=None, clean_up_tokenization_spaces=False, unk_token="<unk>",
                 bos_token="<s>", eos_token="</s>", use_default_system_prompt=False, legacy=False,
                 add_prefix_space=None, **kwargs):
        self.legacy = legacy
        self.use_default_system_prompt = use_default_system_prompt
        prefix = add_prefix_space if add_prefix_space is not None else True
        if vocab is None:
            vocab = {str(unk_token): 0, str(bos_token): 1, str(eos_token): 2}
        for unused in ("_spm_precompiled_charsmap", "additional_special_tokens_from_model"):
            kwargs.pop(unused, None)
        unk = str(unk_token) if str(unk_token) in vocab else None  # the reference's core takes an unk it lacks
        data = {"model": bpe_model(vocab, merges or [], fuse_unk=True, byte_fallback=True, unk_token=unk),
                "pre_tokenizer": {"type": "Metaspace", "replacement": SPIECE_UNDERLINE,
                                  "prepend_scheme": prepend_scheme(prefix, legacy), "split": False},
                "decoder": byte_fallback_decoder(prefix)}
        self._tokenizer = tokenizer_json.build_tokenizer(data, f"{type(self).__name__}'s pipeline")
        super().__init__(clean_up_tokenization_spaces=clean_up_tokenization_spaces, unk_token=unk_token,
                         bos_token=bos_token, eos_token=eos_token, use_default_system_prompt=use_default_system_prompt,
                         add_prefix_space=add_prefix_space, **kwargs)  # legacy is not kept (nor saved), as the reference
        object.__setattr__(self, "add_prefix_space", prefix)


LlamaTokenizerFast = LlamaTokenizer
