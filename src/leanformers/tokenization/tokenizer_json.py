"""tokenizer.json <-> stage objects.

Each stage kind has a registry {component "type" name -> reader}; a reader takes the
component's JSON object and returns the stage. Every stage object has `to_dict()`
giving back that JSON object. Other modules add their components with `register`:

    register("pre_tokenizer", "ByteLevel", lambda d: ByteLevel(d["add_prefix_space"], ...))
"""

import math

from ..utils.files import read_json
from . import byte_level
from . import components as c
from . import wordpiece as wp
from .added_tokens import AddedToken
from .bpe import BPE
from .core import Tokenizer
from .metaspace import Metaspace
from .precompiled import Precompiled
from .unigram import Unigram

KINDS = ("normalizer", "pre_tokenizer", "model", "post_processor", "decoder")
REGISTRY = {kind: {} for kind in KINDS}


def register(kind, type_name, reader):
    """Make `reader(json_object) -> stage` handle components of `type_name`."""
    if kind not in REGISTRY:
        raise ValueError(f"register: unknown stage kind {kind!r}; use one of {list(KINDS)}.")
    REGISTRY[kind][type_name] = reader


def read_component(kind, data, source="tokenizer.json"):
    """Build the stage described by `data` (None stays None)."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValueError(f"{source}: the {kind} must be a JSON object or null, found {type(data).__name__}.")
    type_name = data.get("type")
    if type_name is None and kind == "model":
        type_name = _guess_model_type(data)
    reader = REGISTRY[kind].get(type_name)
    if reader is None:
        supported = ", ".join(sorted(REGISTRY[kind])) or "none"
        raise ValueError(f"{source}: the {kind} type {type_name!r} is not supported by leanformers (supported: "
                         f"{supported}). Use a tokenizer whose tokenizer.json has supported components.")
    try:
        return reader(data)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{source}: the {kind} {type_name!r} is malformed ({type(error).__name__}: {error}). "
                         "Re-save the tokenizer with save_pretrained.") from error


def _guess_model_type(data):
    # files written by old versions of the reference omit the model's type
    if "merges" in data:
        return "BPE"
    if "continuing_subword_prefix" in data or "max_input_chars_per_word" in data:
        return "WordPiece"
    vocab = data.get("vocab")
    if "unk_id" in data or (isinstance(vocab, list) and vocab and isinstance(vocab[0], list) and len(vocab[0]) == 2
                            and isinstance(vocab[0][1], (int, float))):
        return "Unigram"
    return None


def load(path, rust_floats=True):
    """Parse a tokenizer.json into its JSON object, with an error naming the file. Its numbers are read
    as the reference's Rust reader reads them (`reference_float`), or with `rust_floats=False` as
    Python reads them: the reference's family classes (T5Tokenizer, ...) read the file with `json`."""
    data = read_json(path, "it is not a usable tokenizer.json. Re-save the tokenizer with save_pretrained or delete "
                           "the file.", parse_float=reference_float if rust_floats else None)
    if not isinstance(data.get("model"), dict):
        raise ValueError(f"{path!r} is not a tokenizer.json: it needs a JSON object with a \"model\" object. "
                         "Re-save the tokenizer with save_pretrained or delete the file.")
    return data


_POWERS_OF_TEN = [float(f"1e{n}") for n in range(309)]
_U64_MAX = 2 ** 64 - 1


def reference_float(text):
    """The float the reference's JSON reader (Rust serde_json, fast mode) makes of `text`.

    It is not always the nearest float: the digits go into a 64-bit integer (digits past
    its range are dropped), which is rounded to a float and then multiplied or divided by
    one power of ten, two roundings in all. Measured: 8,334 of the 32,100 Unigram scores of
    t5-small's tokenizer.json and 68 of 800 of a trained one land one unit in the last place
    away from Python's `float(text)`, enough to flip ties between equal-scoring Viterbi
    paths. Reading the file as the reference does keeps the ids identical."""
    negative = text.startswith("-")
    mantissa, _, exponent = text.lstrip("-").replace("E", "e").partition("e")
    whole, _, fraction = mantissa.partition(".")
    significand, power = 0, int(exponent or 0)
    for n, digit in enumerate(whole + fraction):
        grown = significand * 10 + int(digit)
        if grown > _U64_MAX:  # the reference drops this digit and every one after it
            power += max(len(whole) - n, 0)
            break
        significand = grown
        if n >= len(whole):
            power -= 1
    value = float(significand)
    while power < -308 and value != 0.0:
        value /= 1e308
        power += 308
    if power >= len(_POWERS_OF_TEN):
        value = math.inf if value else 0.0
    elif power >= 0:
        value *= _POWERS_OF_TEN[power]
    elif value:
        value /= _POWERS_OF_TEN[-power]
    if math.isinf(value):
        raise ValueError(f"the number {text} is out of the range of a 64-bit float")
    return -value if negative else value


def read_added_tokens(data, source="tokenizer.json"):
    """[(id, AddedToken)] from the "added_tokens" list."""
    out = []
    for item in data.get("added_tokens") or []:
        try:
            out.append((int(item["id"]), AddedToken.from_dict(item)))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{source}: an added token is malformed ({error}): {item!r}.") from error
    return out


def build_tokenizer(data, source="tokenizer.json"):
    """A core Tokenizer with every stage and added token of a tokenizer.json object."""
    tok = Tokenizer(*(read_component(kind, data.get(kind), source) for kind in
                      ("model", "normalizer", "pre_tokenizer", "post_processor", "decoder")))
    if isinstance(tok.model, BPE):  # a byte-level BPE model gets words as text (see bpe.py)
        tok.model.byte_level = byte_level.is_byte_level(tok.pre_tokenizer)
    for token_id, token in read_added_tokens(data, source):
        tok.added.add(token, token_id)
    tok.refresh()
    return tok


def tokenizer_to_json(tok):
    """The tokenizer.json object of a core Tokenizer."""
    def dump(stage):
        return None if stage is None else stage.to_dict()

    added = [{"id": i, **t.to_dict()} for i, t in sorted(tok.added.tokens.items())]
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": dump(tok.normalizer), "pre_tokenizer": dump(tok.pre_tokenizer),
            "post_processor": dump(tok.post_processor), "decoder": dump(tok.decoder), "model": dump(tok.model)}


# ---- the components of this package --------------------------------------------------------
# (stage objects are sent to worker processes, so they hold no lambdas: each class has its to_dict)
def _template(d):
    def items(template):
        return [("$" + item["Sequence"]["id"], item["Sequence"]["type_id"]) if "Sequence" in item
                else (item["SpecialToken"]["id"], item["SpecialToken"]["type_id"]) for item in template]
    special = {name: (v["ids"], v["tokens"]) for name, v in d["special_tokens"].items()}
    return c.TemplateProcessing(items(d["single"]), items(d["pair"]), special)


def _wordpiece_model(d):
    vocab = d["vocab"]
    if isinstance(vocab, list):
        vocab = {token[0] if isinstance(token, list) else token: i for i, token in enumerate(vocab)}
    return wp.WordPiece(vocab, d.get("unk_token", "[UNK]"), d.get("continuing_subword_prefix", "##"),
                        d.get("max_input_chars_per_word", 100))


def _simple(cls):
    return lambda d: cls()


for _cls in (c.NFD, c.NFKD, c.NFC, c.NFKC, c.Lowercase, c.StripAccents):
    register("normalizer", _cls.__name__, _simple(_cls))
register("normalizer", "BertNormalizer", lambda d: wp.BertNormalizer(
    d.get("clean_text", True), d.get("handle_chinese_chars", True), d.get("strip_accents"), d.get("lowercase", True)))
register("normalizer", "Sequence", lambda d: c.NormalizerSequence(
    [read_component("normalizer", n) for n in d["normalizers"]]))
register("pre_tokenizer", "BertPreTokenizer", lambda d: wp.BertPreTokenizer())
register("pre_tokenizer", "Whitespace", _simple(c.Whitespace))
register("pre_tokenizer", "WhitespaceSplit", _simple(c.WhitespaceSplit))
register("pre_tokenizer", "Split", c.RegexSplit.from_dict)
register("pre_tokenizer", "Sequence", lambda d: c.PreTokenizerSequence(
    [read_component("pre_tokenizer", p) for p in d["pretokenizers"]]))
register("model", "WordPiece", _wordpiece_model)
register("post_processor", "TemplateProcessing", _template)
register("post_processor", "BertProcessing", lambda d: wp.BertProcessing(d["sep"], d["cls"]))
register("decoder", "WordPiece", lambda d: wp.WordPieceDecoder(d.get("prefix", "##"), d.get("cleanup", True)))
# byte-level BPE (bpe.py, byte_level.py)
register("model", "BPE", BPE.from_dict)
register("pre_tokenizer", "ByteLevel", byte_level.ByteLevel.from_dict)
register("post_processor", "ByteLevel", byte_level.ByteLevel.from_dict)
register("post_processor", "RobertaProcessing", byte_level.RobertaProcessing.from_dict)
register("decoder", "ByteLevel", byte_level.ByteLevel.from_dict)


# ---- SentencePiece stages: Unigram, Precompiled, Metaspace (unigram.py, precompiled.py, metaspace.py) -------
register("model", "Unigram", Unigram.from_dict)
register("normalizer", "Precompiled", Precompiled.from_dict)
register("pre_tokenizer", "Metaspace", Metaspace.from_dict)
register("decoder", "Metaspace", Metaspace.from_dict)


# ---- BPE options' decoders and the other tokenizer.json stages (decoders.py, components.py) ----------------
# (registrations of the decoders and other stages go here)
def _register_other_stages():
    from . import decoders as dec

    register("decoder", "ByteFallback", lambda d: dec.ByteFallback())
    register("decoder", "Fuse", lambda d: dec.Fuse())
    register("decoder", "Strip", lambda d: dec.Strip(d["content"], d.get("start", 0), d.get("stop", 0)))
    register("decoder", "Replace", lambda d: dec.Replace(d["pattern"], d["content"]))
    register("decoder", "Sequence", lambda d: dec.DecoderSequence(
        [read_component("decoder", x) for x in d["decoders"]]))
    register("normalizer", "Replace", lambda d: c.Replace(d["pattern"], d["content"]))
    register("normalizer", "Prepend", lambda d: c.Prepend(d["prepend"]))
    register("normalizer", "Strip", lambda d: c.Strip(d.get("strip_left", True), d.get("strip_right", True)))
    register("pre_tokenizer", "Digits", lambda d: c.Digits(d.get("individual_digits", False)))
    register("pre_tokenizer", "Punctuation",
             lambda d: wp.Punctuation(c.SPLIT_BEHAVIORS[d.get("behavior", "Isolated")]))
    register("pre_tokenizer", "UnicodeScripts", _simple(c.UnicodeScripts))
    register("post_processor", "Sequence", lambda d: c.PostProcessorSequence(
        [read_component("post_processor", x) for x in d["processors"]]))


_register_other_stages()
