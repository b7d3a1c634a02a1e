"""GPT-2's tokenizer: byte-level BPE, no special tokens around the text.

Built as transformers 5 builds it: the BPE model comes from tokenizer.json when given,
else from vocab.json + merges.txt; the pre-tokenizer and decoder come from the
constructor (`add_prefix_space`); the post-processor comes from tokenizer.json when it
has one, else from `add_bos_token` / `add_eos_token` (both off: nothing is added).
"""

import logging
import os

from . import tokenizer_json
from .base import PreTrainedTokenizer
from .bpe import BPE, read_merges_txt, read_vocab_json
from .byte_level import ByteLevel
from .components import TemplateProcessing
from .core import Tokenizer

logger = logging.getLogger(__name__)


class ByteLevelBPETokenizer(PreTrainedTokenizer):
    """What GPT-2 and RoBERTa share: files, the stage chain, save_vocabulary."""

    vocab_files_names = {"vocab_file": "vocab.json", "merges_file": "merges.txt"}
    model_input_names = ["input_ids", "attention_mask"]

    def _build_stages(self, vocab, merges, vocab_file, merges_file, tokenizer_file, add_prefix_space, default_vocab,
                      kwargs):
        """Build `self._tokenizer` without post-processor; returns tokenizer.json's one (or None).
        Takes the options of this class out of `kwargs`."""
        post_processor, file_added, source = None, [], "the vocab and merges arguments"
        if vocab is None and tokenizer_file is not None:
            data = tokenizer_json.load(tokenizer_file)
            model = tokenizer_json.read_component("model", data["model"], tokenizer_file)
            if not isinstance(model, BPE):
                raise ValueError(f"{tokenizer_file!r} holds a {type(model).__name__} model; {type(self).__name__} "
                                 "needs a BPE model. Load it with AutoTokenizer.")
            vocab, merges = model.vocab, model.merges
            post_processor = tokenizer_json.read_component("post_processor", data.get("post_processor"),
                                                           tokenizer_file)
            file_added = tokenizer_json.read_added_tokens(data, tokenizer_file)
            source = tokenizer_file
        elif vocab is None and vocab_file is not None:
            if merges_file is None:
                raise FileNotFoundError(f"{type(self).__name__}: vocab file {vocab_file!r} was given without "
                                        "merges.txt; pass merges_file= (or load a folder holding both).")
            vocab, merges, source = read_vocab_json(vocab_file), read_merges_txt(merges_file), merges_file
        else:
            if isinstance(vocab, (str, os.PathLike)):
                vocab, source = read_vocab_json(vocab), vocab
            if isinstance(merges, (str, os.PathLike)):
                merges, source = read_merges_txt(merges), merges
        if vocab is None:  # an empty tokenizer, as transformers builds without files
            vocab = default_vocab
        self.vocab_file, self.merges_file = vocab_file, merges_file
        self.clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output = bool(
            kwargs.pop("clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output", False))
        self.add_prefix_space = add_prefix_space
        model = BPE(vocab, [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in merges or []],
                    byte_level=True, source=str(source))
        self._tokenizer = Tokenizer(model, pre_tokenizer=ByteLevel(add_prefix_space=add_prefix_space),
                                    decoder=ByteLevel())
        for token_id, token in file_added:
            self._tokenizer.added.add(token, token_id)
        return post_processor

    def _decode(self, ids, skip_special_tokens, clean_up_tokenization_spaces):
        # as transformers 5: the clean-up (" ," -> ",") is for WordPiece and would corrupt
        # byte-level text, which keeps its spaces; it is skipped unless forced
        if clean_up_tokenization_spaces is None:
            clean_up_tokenization_spaces = self.clean_up_tokenization_spaces
        forced = self.clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output
        if clean_up_tokenization_spaces and not forced:
            if not self.deprecation_warnings.get("bpe-clean-up"):
                logger.warning("Ignoring clean_up_tokenization_spaces=True for the BPE tokenizer "
                               f"{type(self).__name__}: the clean-up strips spaces that byte-level text keeps. Set "
                               "clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output=True to "
                               "force it.")
                self.deprecation_warnings["bpe-clean-up"] = True
            clean_up_tokenization_spaces = False
        return super()._decode(ids, skip_special_tokens, clean_up_tokenization_spaces)

    def _vocabulary_files(self):
        """vocab.json and merges.txt."""
        return self._tokenizer.model.vocabulary_files()


class GPT2Tokenizer(ByteLevelBPETokenizer):
    """GPT-2's byte-level BPE tokenizer ("Hello world" -> [15496, 995])."""

    def __init__(self, vocab=None, merges=None, vocab_file=None, merges_file=None, tokenizer_file=None,
                 errors="replace", unk_token="<|endoftext|>", bos_token="<|endoftext|>", eos_token="<|endoftext|>",
                 pad_token=None, add_prefix_space=False, add_bos_token=None, add_eos_token=None, **kwargs):
        post_processor = self._build_stages(vocab, merges, vocab_file, merges_file, tokenizer_file,
                                            add_prefix_space, default_vocab={}, kwargs=kwargs)
        # given explicitly, the flags rebuild the template; otherwise tokenizer.json's wins
        explicit = {k: v for k, v in (("add_bos_token", add_bos_token), ("add_eos_token", add_eos_token))
                    if v is not None}
        super().__init__(errors=errors, unk_token=unk_token, bos_token=bos_token, eos_token=eos_token,
                         pad_token=pad_token, add_prefix_space=add_prefix_space, **explicit, **kwargs)
        if post_processor is None or explicit:
            post_processor = self._bos_eos_template(bool(add_bos_token), bool(add_eos_token))
        self._tokenizer.post_processor = post_processor

    def _bos_eos_template(self, add_bos, add_eos):
        """`[bos] $A [eos]` / `[bos] $A [eos] [bos] $B [eos]`, the second half with type id 1."""
        bos, eos = self.bos_token, self.eos_token
        add_bos, add_eos = add_bos and bos is not None, add_eos and eos is not None
        single = [(bos, 0)] * add_bos + [("$A", 0)] + [(eos, 0)] * add_eos
        pair = single + [(bos, 1)] * add_bos + [("$B", 1)] + [(eos, 1)] * add_eos
        special = {}
        if add_bos:
            special[bos] = ([self.bos_token_id], [bos])
        if add_eos:
            special[eos] = ([self.eos_token_id], [eos])
        return TemplateProcessing(single, pair, special)


GPT2TokenizerFast = GPT2Tokenizer
