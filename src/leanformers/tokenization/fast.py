"""PreTrainedTokenizerFast (transformers 5's TokenizersBackend): any tokenizer.json, taken as it is.

The stages come from tokenizer.json (or from a `tokenizer_object`, a core Tokenizer); the settings from
tokenizer_config.json (model_max_length, padding_side, clean_up_tokenization_spaces, added_tokens_decoder,
the special tokens). The post-processor is tokenizer.json's, unless `add_bos_token` / `add_eos_token` are
given (or the file has none): then it becomes `[bos] $A [eos]` / `[bos] $A [eos] [bos] $B [eos]`, the
second half with type id 1, each special token only when its flag is on and the token is set.
Family classes built on it (Llama, Gemma, Qwen2) build their own stages before calling its __init__.

ARCHITECTURE below declares the generic class for model types whose checkpoints the reference loads
with it (mistral).
"""

ARCHITECTURE = {
    "tokenizers": {"TokenizersBackend": "leanformers.tokenization.fast:TokenizersBackend"},
}

import copy
import json
import logging
import os

from .. import hub
from . import tokenizer_files, tokenizer_json
from ..utils.files import json_text
from .bpe import read_merges_txt, read_vocab_json
from .base import PreTrainedTokenizer
from .components import TemplateProcessing
from .core import Tokenizer

logger = logging.getLogger(__name__)

GENERIC_CLASS_NAMES = ("PreTrainedTokenizerFast", "TokenizersBackend", "PreTrainedTokenizer")


class TokenizersBackend(PreTrainedTokenizer):
    """A tokenizer.json loaded as it is ("Hello world" with Llama-3's file -> [9906, 1917])."""

    vocab_files_names = {}  # tokenizer.json only (from_pretrained passes it as tokenizer_file)
    model_input_names = ["input_ids", "attention_mask"]

    def __init__(self, *args, tokenizer_object=None, tokenizer_file=None, post_processor=None, **kwargs):
        kwargs.pop("backend", None)
        kwargs.pop("_spm_precompiled_charsmap", None)
        vocab_file = kwargs.get("vocab_file")
        built = None
        if isinstance(tokenizer_object, Tokenizer):
            built = copy.deepcopy(tokenizer_object)
        elif callable(getattr(tokenizer_object, "to_str", None)):  # the tokenizers library's: through its JSON
            data = json.loads(tokenizer_object.to_str(), parse_float=tokenizer_json.reference_float)
            built = tokenizer_json.build_tokenizer(data, "tokenizer_object")
        elif tokenizer_object is not None:
            raise TypeError(f"tokenizer_object must be a tokenizer (leanformers' core Tokenizer or one of the "
                            f"tokenizers library), got {type(tokenizer_object).__name__}.")
        elif tokenizer_file is not None and os.path.isfile(tokenizer_file):
            built = tokenizer_json.build_tokenizer(tokenizer_json.load(tokenizer_file), str(tokenizer_file))
        elif (self._tokenizer is None and isinstance(vocab_file, str) and vocab_file.endswith(".model")
              and os.path.isfile(vocab_file)):
            from .sentencepiece_model import read_model

            data = read_model(vocab_file).tokenizer_json(kwargs.get("legacy", True))
            built = tokenizer_json.build_tokenizer(data, str(vocab_file))
        elif self._tokenizer is None:
            raise ValueError(f"{type(self).__name__} needs a tokenizer.json (tokenizer_file=), a core Tokenizer "
                             "(tokenizer_object=) or a SentencePiece .model file (vocab_file=); none was given. "
                             "Point from_pretrained at a folder holding tokenizer.json.")
        if built is not None:
            self._tokenizer = built
        explicit = "add_bos_token" in kwargs or "add_eos_token" in kwargs
        object.__setattr__(self, "_add_bos_token", bool(kwargs.get("add_bos_token", False)))
        object.__setattr__(self, "_add_eos_token", bool(kwargs.get("add_eos_token", False)))
        if post_processor is not None:
            if isinstance(post_processor, dict):
                post_processor = tokenizer_json.read_component("post_processor", post_processor)
            self._tokenizer.post_processor = post_processor
        update = explicit or self._tokenizer.post_processor is None
        self.clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output = bool(
            kwargs.pop("clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output", False))
        super().__init__(*args, **kwargs)
        if update or self._tokenizer.post_processor is None:
            self.update_post_processor()

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *inputs, **kwargs):
        """Load a folder (or hub repository) holding tokenizer.json, or the class's own files, and
        tokenizer_config.json; keyword arguments override the config."""
        hub_kwargs = hub.pop_hub_kwargs(kwargs)
        path = pretrained_model_name_or_path
        init = tokenizer_files.constructor_arguments(cls, path, hub_kwargs)
        init = {k: v for k, v in init.items() if v is not None or k not in cls.vocab_files_names}
        if init.get("tokenizer_file") is not None:
            # as the reference: with a tokenizer.json, its post-processor stands; only flags given here rebuild it
            init.pop("add_bos_token", None)
            init.pop("add_eos_token", None)
        template = hub.resolve_file(path, "chat_template.jinja", required=False, **hub_kwargs)
        if template is not None:
            with open(template, encoding="utf-8") as f:
                init["chat_template"] = f.read()
        init.update(kwargs)
        init.setdefault("name_or_path", str(path))
        return cls(*inputs, **cls.convert_to_native_format(init))

    def save_pretrained(self, save_directory, filename_prefix=None, **kwargs):
        """Write what the reference writes: tokenizer_config.json, tokenizer.json and, when the tokenizer
        has a chat template, chat_template.jinja; returns their paths."""
        from .tokenizer_json import tokenizer_to_json

        config = tokenizer_files.config_dict(self)
        for key in ("added_tokens_decoder", "add_bos_token", "add_eos_token"):  # tokenizer.json holds them
            config.pop(key, None)
        template = config.pop("chat_template", None)
        texts = {"tokenizer_config.json": json_text(config, ensure_ascii=False)}
        if isinstance(template, str):
            texts["chat_template.jinja"] = template
        texts["tokenizer.json"] = json_text(tokenizer_to_json(self._tokenizer), sort_keys=False, ensure_ascii=False)
        return tokenizer_files.write_texts(save_directory, texts, filename_prefix)

    @classmethod
    def convert_to_native_format(cls, kwargs):
        """The constructor arguments with the vocabulary read out of the files, as the reference's
        TokenizersBackend.convert_to_native_format: the generic class reads tokenizer.json itself; a family
        class gets its vocab, merges and post-processor, or a SentencePiece .model's pieces and merges."""
        kwargs = dict(kwargs)
        if cls.__init__ is TokenizersBackend.__init__:
            return kwargs
        tokenizer_file = kwargs.pop("tokenizer_file", None)
        vocab_file = kwargs.get("vocab_file")
        if tokenizer_file is not None and os.path.isfile(tokenizer_file):
            data = tokenizer_json.load(tokenizer_file)
            if not kwargs.get("added_tokens_decoder"):
                kwargs["added_tokens_decoder"] = dict(tokenizer_json.read_added_tokens(data, tokenizer_file))
            kwargs["post_processor"] = data.get("post_processor")
            model = data["model"]
            vocab = model.get("vocab")
            if isinstance(vocab, list):
                vocab = {item[0] if isinstance(item, list) else item: i for i, item in enumerate(vocab)}
            kwargs["vocab"] = vocab
            if "merges" in model:
                kwargs["merges"] = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
            return kwargs
        if isinstance(vocab_file, str) and vocab_file.endswith(".model") and os.path.isfile(vocab_file):
            from .sentencepiece_model import read_model

            model = read_model(vocab_file)
            try:
                extracted = model.extract("BPE")
            except ImportError:  # the converter module of sentencepiece_model is not there: the same, here
                extracted = extract_bpe(model)
            kwargs.update(extracted)
            return kwargs
        if kwargs.get("vocab") is None and isinstance(vocab_file, str) and os.path.isfile(vocab_file):
            kwargs["vocab"] = read_vocab_json(vocab_file)
        merges_file = kwargs.get("merges_file")
        if kwargs.get("merges") is None and isinstance(merges_file, str) and os.path.isfile(merges_file):
            kwargs["merges"] = read_merges_txt(merges_file)
        return kwargs

    def _decode(self, ids, skip_special_tokens, clean_up_tokenization_spaces):
        # as the reference: the WordPiece clean-up (" ," -> ",") is skipped for a BPE model, whose text keeps
        # its spaces, unless forced
        if clean_up_tokenization_spaces is None:
            clean_up_tokenization_spaces = self.clean_up_tokenization_spaces
        if (clean_up_tokenization_spaces and type(self._tokenizer.model).__name__ == "BPE"
                and not self.clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output):
            if not self.deprecation_warnings.get("bpe-clean-up"):
                logger.warning(f"Ignoring clean_up_tokenization_spaces=True for the BPE tokenizer "
                               f"{type(self).__name__}: the clean-up strips spaces that BPE text keeps. Set "
                               "clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output=True to "
                               "force it.")
                self.deprecation_warnings["bpe-clean-up"] = True
            clean_up_tokenization_spaces = False
        return super()._decode(ids, skip_special_tokens, clean_up_tokenization_spaces)

    # ---- bos / eos -------------------------------------------------------------------------------
    @property
    def add_bos_token(self):
        return self.__dict__.get("_add_bos_token", False)

    @add_bos_token.setter
    def add_bos_token(self, value):
        object.__setattr__(self, "_add_bos_token", value)
        self.update_post_processor()

    @property
    def add_eos_token(self):
        return self.__dict__.get("_add_eos_token", False)

    @add_eos_token.setter
    def add_eos_token(self, value):
        object.__setattr__(self, "_add_eos_token", value)
        self.update_post_processor()

    def update_post_processor(self):
        """Rebuild the post-processor from bos_token / eos_token and add_bos_token / add_eos_token."""
        bos, eos = self.bos_token, self.eos_token
        if bos is None:
            object.__setattr__(self, "_add_bos_token", False)
        if eos is None:
            object.__setattr__(self, "_add_eos_token", False)
        add_bos, add_eos = self.add_bos_token, self.add_eos_token
        single = [(bos, 0)] * add_bos + [("$A", 0)] + [(eos, 0)] * add_eos
        pair = single + [(bos, 1)] * add_bos + [("$B", 1)] + [(eos, 1)] * add_eos
        special = {}
        if add_bos:
            special[bos] = ([self.bos_token_id], [bos])
        if add_eos:
            special[eos] = ([self.eos_token_id], [eos])
        self._tokenizer.post_processor = TemplateProcessing(single, pair, special)


PreTrainedTokenizerFast = TokenizersBackend  # transformers 5: the same class under both names


def bpe_model(vocab, merges, **options):
    """tokenizer.json's BPE model object; `vocab` a dict, `merges` pairs or "a b" strings."""
    model = {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
             "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
             "vocab": dict(vocab), "merges": [m.split(" ") if isinstance(m, str) else list(m) for m in merges]}
    model.update(options)
    return model


def extract_bpe(model):
    """What the reference's SentencePieceExtractor.extract gives for a BPE model: the vocab {piece: id}, the
    merges every split of a piece into two vocab pieces makes (in vocab order, ties by the halves' ids, then
    ordered by the piece's id and the halves' lengths), control and user-defined pieces as special tokens,
    the precompiled charsmap."""
    from .added_tokens import AddedToken

    vocab = {}
    for i, p in enumerate(model.pieces):
        vocab[p.piece] = i
    merges = []
    for piece, rank in vocab.items():
        local = [(piece[:k], piece[k:]) for k in range(1, len(piece))
                 if piece[:k] in vocab and piece[k:] in vocab]
        local.sort(key=lambda m: (vocab[m[0]], vocab[m[1]]))
        merges += [(rank, left, right) for left, right in local]
    merges.sort(key=lambda m: (m[0], len(m[1]), len(m[2])))
    return {"vocab": vocab, "merges": [(left, right) for _, left, right in merges],
            "additional_special_tokens": [AddedToken(p.piece, normalized=False, special=p.type == 3)
                                          for p in model.pieces if p.type in (3, 4)],
            "_spm_precompiled_charsmap": model.normalizer_spec.precompiled_charsmap or None}
