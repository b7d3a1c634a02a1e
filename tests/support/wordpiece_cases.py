"""Shared set-up of the WordPiece tests: the tokenizer folders and the field-by-field
comparison of a leanformers call with the same call on transformers.

Folders (built once per session by the fixtures in the test modules):
- bert-base-uncased and bert-base-cased: the real vocab.txt from ../shared/data/vocab
  with a tokenizer_config.json (cased: do_lower_case false);
- small: a 400-token WordPiece vocabulary trained with `tokenizers` on the corpus.
"""

import json
import shutil
import sys
from pathlib import Path

import pytest

from support.corpus import sentences  # noqa: E402
from support.paths import SHARED_DATA

DATA = SHARED_DATA
VOCABS = DATA / "vocab"
HAVE_DATA = (VOCABS / "bert-base-uncased" / "vocab.txt").is_file() and (VOCABS / "bert-base-cased" / "vocab.txt").is_file()
NEEDS_DATA = pytest.mark.skipif(not HAVE_DATA,
                                reason=f"the real vocabularies are not in {VOCABS} (../shared/data missing)")


def make_folder(root, name, vocab_lines=None, vocab_file=None, **config):
    folder = Path(root) / name
    folder.mkdir(parents=True, exist_ok=True)
    if vocab_file is not None:
        shutil.copy(vocab_file, folder / "vocab.txt")
    else:
        (folder / "vocab.txt").write_text("".join(t + "\n" for t in vocab_lines), encoding="utf-8")
    config.setdefault("tokenizer_class", "BertTokenizer")
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


def train_small_vocab(n_texts=3000, vocab_size=400):
    """A WordPiece vocabulary trained by the reference library on the corpus."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    tok.train_from_iterator(sentences(n_texts, seed=7), trainer)
    vocab = tok.get_vocab()
    return [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1])]


def build_folders(root):
    """{name: folder} for the three vocabularies (the real ones only when present)."""
    folders = {"small": make_folder(root, "small", vocab_lines=train_small_vocab(), model_max_length=512)}
    if HAVE_DATA:
        folders["uncased"] = make_folder(root, "uncased", vocab_file=VOCABS / "bert-base-uncased" / "vocab.txt",
                                         model_max_length=512)
        folders["cased"] = make_folder(root, "cased", vocab_file=VOCABS / "bert-base-cased" / "vocab.txt",
                                       do_lower_case=False, model_max_length=512)
    return folders


def load_pair(folder, **kwargs):
    """(transformers tokenizer, leanformers tokenizer) from the same folder."""
    import transformers

    import leanformers

    transformers.logging.set_verbosity_error()
    return (transformers.BertTokenizer.from_pretrained(str(folder), **kwargs),
            leanformers.BertTokenizer.from_pretrained(str(folder), **kwargs))


def plain(value):
    """Lists all the way down (tuples, arrays and tensors included)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def assert_same_call(ref, ours, *args, **kwargs):
    """Call both tokenizers; every key, value, token, word id and sequence id must match.
    If the reference raises, ours must raise too."""
    try:
        expected = ref(*args, **kwargs)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # the reference's errors come from Rust: Exception, or a PanicException
        with pytest.raises(ValueError):
            ours(*args, **kwargs)
        return None
    got = ours(*args, **kwargs)
    assert list(got.keys()) == list(expected.keys())
    for key in expected:
        e, g = expected[key], got[key]
        if hasattr(e, "dtype"):  # arrays and tensors: same type, dtype and shape, then the values
            assert type(g) is type(e), key
            assert str(g.dtype) == str(e.dtype) and tuple(g.shape) == tuple(e.shape), key
            e, g = e.tolist(), g.tolist()
        if g != e:  # direct comparison first: fast on long lists
            assert plain(g) == plain(e), _first_difference(key, plain(e), plain(g), args)
    batched = _is_batch(expected["input_ids"])
    for i in range(len(expected["input_ids"]) if batched else 1):
        where = (i, args[0][i] if batched and i < len(args[0]) else args[0])
        assert got.tokens(i) == expected.tokens(i), where
        assert got.word_ids(i) == expected.word_ids(i), where
        assert got.sequence_ids(i) == expected.sequence_ids(i), where
    return got


def _is_batch(ids):
    if hasattr(ids, "shape"):
        return len(ids.shape) == 2
    return bool(ids) and isinstance(ids[0], list)


def _first_difference(key, expected, got, args):
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        for i, (e, g) in enumerate(zip(expected, got)):
            if e != g:
                text = args[0][i] if isinstance(args[0], list) and i < len(args[0]) else args[0]
                return f"{key}[{i}] differs for {text!r}:\n expected {e}\n got      {g}"
    return f"{key} differs: expected {str(expected)[:300]} got {str(got)[:300]}"
