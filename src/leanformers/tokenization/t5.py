"""T5's tokenizer (also mT5, flan-t5): SentencePiece Unigram, `<extra_id_N>` sentinels, `A </s>` / `A </s> B </s>`."""

ARCHITECTURE = {
    "tokenizers": {"T5Tokenizer": "leanformers.tokenization.t5:T5Tokenizer",
                   "MT5Tokenizer": "leanformers.tokenization.t5:MT5Tokenizer"},
}

import base64
import os

from . import tokenizer_json
from .added_tokens import AddedToken
from .fast import TokenizersBackend

SPIECE_UNDERLINE = "\u2581"


# ---- what the SentencePiece families share ----------------------------------------------------
def unigram_model(vocab, unk_id):
    """tokenizer.json's Unigram model object of `vocab` [(piece, score)]."""
    return {"type": "Unigram", "unk_id": unk_id, "vocab": [[str(p), float(s)] for p, s in vocab],
            "byte_fallback": False}


def precompiled(charsmap):
    """The Precompiled normalizer of a charsmap (bytes, or tokenizer.json's base64 text); None without one."""
    if not charsmap:
        return None
    if isinstance(charsmap, (bytes, bytearray)):
        charsmap = base64.b64encode(bytes(charsmap)).decode("ascii")
    return {"type": "Precompiled", "precompiled_charsmap": charsmap}


def metaspace(prepend_scheme="always", split=True):
    return {"type": "Metaspace", "replacement": SPIECE_UNDERLINE, "prepend_scheme": prepend_scheme, "split": split}


def whitespace_then_metaspace(prepend_scheme="always"):
    return {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, metaspace(prepend_scheme)]}


def normalizer_sequence(items):
    return {"type": "Sequence", "normalizers": [n for n in items if n is not None]}


def replace(pattern, content, regex=False):
    return {"type": "Replace", "pattern": {"Regex" if regex else "String": pattern}, "content": content}


def template(single, pair, special):
    """A TemplateProcessing object: `single`/`pair` lists of ("$A"|"$B"|token, type id),
    `special` {token: id}."""
    def items(spec):
        return [{"Sequence": {"id": name[1:], "type_id": type_id}} if name in ("$A", "$B")
                else {"SpecialToken": {"id": name, "type_id": type_id}} for name, type_id in spec]
    return {"type": "TemplateProcessing", "single": items(single), "pair": items(pair),
            "special_tokens": {token: {"id": token, "ids": [token_id], "tokens": [token]}
                               for token, token_id in special.items()}}


def extract_unigram(model_file):
    """What transformers' SentencePieceExtractor.extract gives for a Unigram model: the vocab
    [(piece, score)], the unk id, the control and user-defined pieces as additional special tokens
    and the precompiled charsmap (bytes or None)."""
    from .sentencepiece_model import read_model

    model = read_model(model_file)
    try:
        return model.extract("Unigram")
    except ImportError:  # sentencepiece_model's converter module is not there: the same, here
        pieces = model.pieces
        return {"vocab": [(p.piece, p.score) for p in pieces], "unk_id": model.trainer_spec.unk_id,
                "additional_special_tokens": [AddedToken(p.piece, normalized=False, special=p.type == 3)
                                              for p in pieces if p.type in (3, 4)],
                "_spm_precompiled_charsmap": model.normalizer_spec.precompiled_charsmap or None}


class SentencePieceUnigramTokenizer(TokenizersBackend):
    """A Unigram SentencePiece family built as transformers 5 builds it (on TokenizersBackend, whose
    from_pretrained and save_pretrained it keeps): from_pretrained takes from
    tokenizer.json the vocab, the precompiled charsmap and the post-processor, or from the .model file
    (`vocab_files_names["vocab_file"]`) its pieces, reordered by the family's `convert_from_spm`;
    the family's __init__ defines every stage from its arguments (`_pipeline`)."""

    vocab_files_names = {"vocab_file": "spiece.model"}
    model_input_names = ["input_ids", "attention_mask"]

    @classmethod
    def convert_to_native_format(cls, kwargs):
        """The constructor arguments with the vocabulary read out of the files (as the reference's
        TokenizersBackend.convert_to_native_format)."""
        kwargs = dict(kwargs)
        tokenizer_file = kwargs.pop("tokenizer_file", None)
        vocab_file = kwargs.get("vocab_file")
        if tokenizer_file is not None and os.path.isfile(tokenizer_file):
            data = tokenizer_json.load(tokenizer_file, rust_floats=False)  # the reference reads it with `json`
            if not kwargs.get("added_tokens_decoder"):
                kwargs["added_tokens_decoder"] = dict(tokenizer_json.read_added_tokens(data, tokenizer_file))
            kwargs["post_processor"] = data.get("post_processor")
            normalizer = data.get("normalizer") or {}
            stages = normalizer.get("normalizers", []) if normalizer.get("type") == "Sequence" else [normalizer]
            for stage in stages:
                if stage.get("type") == "Precompiled" and stage.get("precompiled_charsmap"):
                    kwargs["_spm_precompiled_charsmap"] = base64.b64decode(stage["precompiled_charsmap"])
                    break
            vocab = data["model"].get("vocab")
            kwargs["vocab"] = [tuple(item) for item in vocab] if isinstance(vocab, list) else vocab
            return kwargs
        if isinstance(vocab_file, str) and os.path.isfile(vocab_file) and vocab_file.endswith(".model"):
            kwargs.update(extract_unigram(vocab_file))
            return cls.convert_from_spm(**kwargs)
        return kwargs

    @classmethod
    def convert_from_spm(cls, vocab=None, **kwargs):
        if vocab is not None:
            kwargs["vocab"] = vocab
        return kwargs

    @property
    def special_tokens_map(self):
        # transformers 5 lists the named special tokens only; the extra ones are `extra_special_tokens`
        return {key: str(value) for key, value in self._special.items() if value is not None}

    def _build(self, vocab, unk_id, normalizer, pre_tokenizer, decoder, post_processor=None):
        self._tokenizer = tokenizer_json.build_tokenizer(
            {"model": unigram_model(vocab, unk_id), "normalizer": normalizer, "pre_tokenizer": pre_tokenizer,
             "decoder": decoder, "post_processor": post_processor}, f"{type(self).__name__}'s pipeline")

    def _set_post_processor(self, data):
        self._tokenizer.post_processor = tokenizer_json.read_component("post_processor", data)

    def _vocabulary_files(self):
        return {}  # the reference writes the .model file only when it still has it


# ---- T5 ------------------------------------------------------------------------------------------
class T5Tokenizer(SentencePieceUnigramTokenizer):
    """T5's tokenizer: `A </s>` and `A </s> B </s>`, sentinels `<extra_id_0>`... at the end of the vocabulary."""

    vocab_files_names = {"vocab_file": "spiece.model"}

    def __init__(self, vocab=None, eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
                 _spm_precompiled_charsmap=None, extra_ids=100, additional_special_tokens=None, **kwargs):
        kwargs.pop("post_processor", None)  # T5 always builds its own
        kwargs.pop("vocab_file", None)
        self._extra_ids = extra_ids
        sentinels = [f"<extra_id_{i}>" for i in range(extra_ids)]
        if additional_special_tokens is not None:
            additional_special_tokens = list(additional_special_tokens)
            given = [t for t in additional_special_tokens if "<extra_id_" in str(t)]
            if not given:
                additional_special_tokens += sentinels
            elif extra_ids > 0 and extra_ids != len(given):
                raise ValueError(f"Both extra_ids ({extra_ids}) and additional_special_tokens "
                                 f"({additional_special_tokens}) are provided to {type(self).__name__}. In this "
                                 "case the additional_special_tokens must include the extra_ids tokens")
        else:
            additional_special_tokens = sentinels
        if vocab is None:
            vocab = [(str(pad_token), 0.0), (str(eos_token), 0.0), (str(unk_token), 0.0), (SPIECE_UNDERLINE, -2.0)]
            vocab += [(f"<extra_id_{i}>", 0.0) for i in reversed(range(extra_ids))]
        self._build(vocab, 2, precompiled(_spm_precompiled_charsmap), whitespace_then_metaspace("always"),
                    metaspace("always"))
        super().__init__(eos_token=eos_token, unk_token=unk_token, pad_token=pad_token, extra_ids=extra_ids,
                         additional_special_tokens=additional_special_tokens, **kwargs)
        eos = str(self.eos_token)
        self._set_post_processor(template([("$A", 0), (eos, 0)], [("$A", 0), (eos, 0), ("$B", 0), (eos, 0)],
                                          {eos: self.eos_token_id}))

    @classmethod
    def convert_from_spm(cls, vocab=None, **kwargs):
        extra_ids = kwargs.get("extra_ids", 100)
        sentinels = [f"<extra_id_{i}>" for i in reversed(range(extra_ids))]
        kwargs["vocab"] = list(vocab or []) + [(token, 0.0) for token in sentinels]
        kwargs.setdefault("additional_special_tokens", sentinels)
        return kwargs

    def get_sentinel_tokens(self):
        return list({t for t in self.additional_special_tokens if "<extra_id_" in t})

    def get_sentinel_token_ids(self):
        return [self.convert_tokens_to_ids(t) for t in self.get_sentinel_tokens()]


class MT5Tokenizer(T5Tokenizer):
    """mT5's tokenizer: T5's, under its own name."""


T5TokenizerFast = T5Tokenizer
MT5TokenizerFast = MT5Tokenizer
