"""BERT and DistilBERT tokenizers: WordPiece with BERT's normalizer and splitting.

Built as transformers 5 builds them: the normalizer, pre-tokenizer and decoder come
from the constructor arguments (do_lower_case, strip_accents, tokenize_chinese_chars);
the vocabulary comes from tokenizer.json when given, else from vocab.txt; the
post-processor comes from tokenizer.json when it has one, else [CLS] A [SEP] B [SEP].
"""

import os

from .base import PreTrainedTokenizer
from .components import TemplateProcessing
from .core import Tokenizer
from .whitespace import WHITESPACE
from .wordpiece import BertNormalizer, BertPreTokenizer, WordPiece, WordPieceDecoder


def load_vocab(vocab_file):
    """vocab.txt -> {token: line index}."""
    try:
        with open(vocab_file, encoding="utf-8", newline="") as f:
            # one token a line, cut at "\n" only: str.splitlines() (and newline translation) also cut at
            # U+2028, U+0085, \x1c, a lone \r and others, which real vocabularies hold inside tokens, and
            # would shift every id after them
            lines = f.read().split("\n")
    except (OSError, UnicodeDecodeError) as error:
        raise OSError(f"Could not read the vocabulary file {vocab_file!r} ({error}). It must be a UTF-8 text "
                      "file with one token per line; check the path.") from error
    if lines[-1] == "":  # the newline that ends the last line starts no token
        lines.pop()
    vocab = {line.rstrip(WHITESPACE): i for i, line in enumerate(lines)}  # as the reference strips each line
    if not vocab:
        raise ValueError(f"The vocabulary file {vocab_file!r} is empty; it needs one token per line.")
    return vocab


class BertTokenizer(PreTrainedTokenizer):
    vocab_files_names = {"vocab_file": "vocab.txt"}
    model_input_names = ["input_ids", "token_type_ids", "attention_mask"]

    def __init__(self, vocab=None, vocab_file=None, tokenizer_file=None, do_lower_case=True, unk_token="[UNK]",
                 sep_token="[SEP]", pad_token="[PAD]", cls_token="[CLS]", mask_token="[MASK]",
                 tokenize_chinese_chars=True, strip_accents=None, **kwargs):
        post_processor, file_added = None, []
        if vocab is None and tokenizer_file is not None:
            from . import tokenizer_json  # only for tokenizer.json: it loads every registered component

            data = tokenizer_json.load(tokenizer_file)
            model = tokenizer_json.read_component("model", data["model"], tokenizer_file)
            if not isinstance(model, WordPiece):
                raise ValueError(f"{tokenizer_file!r} holds a {type(model).__name__} model; {type(self).__name__} "
                                 "needs a WordPiece model. Load it with AutoTokenizer.")
            vocab = model.vocab
            post_processor = tokenizer_json.read_component("post_processor", data.get("post_processor"),
                                                           tokenizer_file)
            file_added = tokenizer_json.read_added_tokens(data, tokenizer_file)
        elif vocab is None and vocab_file is not None:
            vocab = load_vocab(vocab_file)
        elif isinstance(vocab, (str, os.PathLike)):
            vocab = load_vocab(vocab)
        if vocab is None:  # an empty tokenizer, as transformers builds without files
            vocab = {str(pad_token): 0, str(unk_token): 1, str(cls_token): 2, str(sep_token): 3, str(mask_token): 4}
        self.vocab_file = vocab_file
        self.do_lower_case = do_lower_case
        self.tokenize_chinese_chars = tokenize_chinese_chars
        self.strip_accents = strip_accents
        self._tokenizer = Tokenizer(
            WordPiece(vocab, unk_token=str(unk_token)),
            normalizer=BertNormalizer(clean_text=True, handle_chinese_chars=tokenize_chinese_chars,
                                      strip_accents=strip_accents, lowercase=do_lower_case),
            pre_tokenizer=BertPreTokenizer(),
            decoder=WordPieceDecoder(prefix="##"))
        for token_id, token in file_added:
            self._tokenizer.added.add(token, token_id)
        super().__init__(unk_token=unk_token, sep_token=sep_token, pad_token=pad_token, cls_token=cls_token,
                         mask_token=mask_token, do_lower_case=do_lower_case,
                         tokenize_chinese_chars=tokenize_chinese_chars, strip_accents=strip_accents, **kwargs)
        if post_processor is None:
            cls, sep = str(self.cls_token), str(self.sep_token)
            cls_id = self.cls_token_id if self.cls_token_id is not None else 2
            sep_id = self.sep_token_id if self.sep_token_id is not None else 3
            post_processor = TemplateProcessing(
                single=[(cls, 0), ("$A", 0), (sep, 0)], pair=[(cls, 0), ("$A", 0), (sep, 0), ("$B", 1), (sep, 1)],
                special_tokens={cls: ([cls_id], [cls]), sep: ([sep_id], [sep])})
        self._tokenizer.post_processor = post_processor

    def _vocabulary_files(self):
        """vocab.txt, one token per line in id order."""
        vocab = self._tokenizer.model.vocab
        tokens = [""] * (max(vocab.values()) + 1)
        for token, i in vocab.items():
            tokens[i] = token
        return {"vocab.txt": "".join(t + "\n" for t in tokens)}


class DistilBertTokenizer(BertTokenizer):
    model_input_names = ["input_ids", "attention_mask"]


BertTokenizerFast = BertTokenizer
DistilBertTokenizerFast = DistilBertTokenizer
