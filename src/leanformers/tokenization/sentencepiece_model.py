"""Read SentencePiece ``.model`` files (a serialized ``ModelProto``) without sentencepiece or protobuf.

The protobuf wire format is decoded here by hand: varints, fixed 32/64-bit values and
length-delimited fields; fields this reader does not know are skipped. Defaults are those
declared in sentencepiece's ``sentencepiece_model.proto``.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "SentencePieceModelError",
    "SentencePiece",
    "TrainerSpec",
    "NormalizerSpec",
    "SentencePieceModel",
    "read_model",
    "parse_model",
]

# SentencePiece.Type
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6
# TrainerSpec.ModelType
UNIGRAM, BPE, WORD, CHAR = 1, 2, 3, 4

_MODEL_TYPE_NAMES = {UNIGRAM: "unigram", BPE: "bpe", WORD: "word", CHAR: "char"}


def _as_float32(value: float) -> float:
    return struct.unpack("<f", struct.pack("<f", value))[0]


# float fields hold 32-bit values, so their defaults read as the nearest float32 (as protobuf gives them)
_F32_0_9995 = _as_float32(0.9995)


class SentencePieceModelError(ValueError):
    """A file could not be read as a SentencePiece model."""


class _WireError(Exception):
    pass


# ---------------------------------------------------------------- wire format


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    end = len(data)
    while True:
        if pos >= end:
            raise _WireError("the data ends inside a varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise _WireError("a varint is longer than 10 bytes")


def _fields(data: bytes):
    """Yield (field_number, wire_type, value) for each field of one message."""
    pos = 0
    end = len(data)
    while pos < end:
        key, pos = _read_varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise _WireError("a field has number 0")
        if wire_type == 0:
            value, pos = _read_varint(data, pos)
        elif wire_type == 1:
            if pos + 8 > end:
                raise _WireError("the data ends inside a 64-bit value")
            value = data[pos : pos + 8]
            pos += 8
        elif wire_type == 2:
            length, pos = _read_varint(data, pos)
            if pos + length > end:
                raise _WireError("the data ends inside a length-delimited field")
            value = data[pos : pos + length]
            pos += length
        elif wire_type == 5:
            if pos + 4 > end:
                raise _WireError("the data ends inside a 32-bit value")
            value = data[pos : pos + 4]
            pos += 4
        elif wire_type == 3:
            # start group: skip nested fields until the matching end group
            pos = _skip_group(data, pos, number)
            continue
        else:
            raise _WireError(f"unknown wire type {wire_type}")
        yield number, wire_type, value


def _skip_group(data: bytes, pos: int, number: int) -> int:
    end = len(data)
    while pos < end:
        key, pos = _read_varint(data, pos)
        inner, wire_type = key >> 3, key & 7
        if wire_type == 4:
            if inner != number:
                raise _WireError("mismatched end group")
            return pos
        if wire_type == 0:
            _, pos = _read_varint(data, pos)
        elif wire_type == 1:
            pos += 8
        elif wire_type == 2:
            length, pos = _read_varint(data, pos)
            pos += length
        elif wire_type == 5:
            pos += 4
        elif wire_type == 3:
            pos = _skip_group(data, pos, inner)
        else:
            raise _WireError(f"unknown wire type {wire_type}")
        if pos > end:
            raise _WireError("the data ends inside a group")
    raise _WireError("the data ends inside a group")


def _int32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def _uint64(value: int) -> int:
    return value & 0xFFFFFFFFFFFFFFFF


def _float(wire_type: int, value: Any) -> float:
    if wire_type != 5:
        raise _WireError("a float field is not a 32-bit value")
    return struct.unpack("<f", value)[0]


def _text(wire_type: int, value: Any) -> str:
    if wire_type != 2:
        raise _WireError("a string field is not length-delimited")
    try:
        return bytes(value).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _WireError("a string field is not valid UTF-8") from exc


def _blob(wire_type: int, value: Any) -> bytes:
    if wire_type != 2:
        raise _WireError("a bytes field is not length-delimited")
    return bytes(value)


def _varint(wire_type: int, value: Any) -> int:
    if wire_type != 0:
        raise _WireError("an integer field is not a varint")
    return value


def _bool(wire_type: int, value: Any) -> bool:
    return bool(_varint(wire_type, value))


# ---------------------------------------------------------------- messages


@dataclass(frozen=True)
class SentencePiece:
    piece: str = ""
    score: float = 0.0
    type: int = NORMAL

    @property
    def is_normal(self) -> bool:
        return self.type == NORMAL

    @property
    def is_unknown(self) -> bool:
        return self.type == UNKNOWN

    @property
    def is_control(self) -> bool:
        return self.type == CONTROL

    @property
    def is_user_defined(self) -> bool:
        return self.type == USER_DEFINED

    @property
    def is_unused(self) -> bool:
        return self.type == UNUSED

    @property
    def is_byte(self) -> bool:
        return self.type == BYTE


@dataclass(frozen=True)
class TrainerSpec:
    input: tuple[str, ...] = ()
    input_format: str = ""
    model_prefix: str = ""
    model_type: int = UNIGRAM
    vocab_size: int = 8000
    accept_language: tuple[str, ...] = ()
    self_test_sample_size: int = 0
    enable_differential_privacy: bool = False
    differential_privacy_noise_level: float = 0.0
    differential_privacy_clipping_threshold: int = 0
    character_coverage: float = _F32_0_9995
    input_sentence_size: int = 0
    shuffle_input_sentence: bool = True
    mining_sentence_size: int = 0
    training_sentence_size: int = 0
    seed_sentencepiece_size: int = 1000000
    shrinking_factor: float = 0.75
    max_sentence_length: int = 4192
    num_threads: int = 16
    num_sub_iterations: int = 2
    max_sentencepiece_length: int = 16
    split_by_unicode_script: bool = True
    split_by_number: bool = True
    split_by_whitespace: bool = True
    treat_whitespace_as_suffix: bool = False
    allow_whitespace_only_pieces: bool = False
    split_digits: bool = False
    pretokenization_delimiter: str = ""
    control_symbols: tuple[str, ...] = ()
    user_defined_symbols: tuple[str, ...] = ()
    required_chars: str = ""
    byte_fallback: bool = False
    vocabulary_output_piece_score: bool = True
    hard_vocab_limit: bool = True
    use_all_vocab: bool = False
    unk_id: int = 0
    bos_id: int = 1
    eos_id: int = 2
    pad_id: int = -1
    unk_piece: str = "<unk>"
    bos_piece: str = "<s>"
    eos_piece: str = "</s>"
    pad_piece: str = "<pad>"
    unk_surface: str = " \u2047 "
    train_extremely_large_corpus: bool = False
    seed_sentencepieces_file: str = ""
    auto_character_coverage: bool = False

    @property
    def model_type_name(self) -> str:
        return _MODEL_TYPE_NAMES.get(self.model_type, str(self.model_type))


@dataclass(frozen=True)
class NormalizerSpec:
    name: str = ""
    precompiled_charsmap: bytes = b""
    add_dummy_prefix: bool = True
    remove_extra_whitespaces: bool = True
    escape_whitespaces: bool = True
    normalization_rule_tsv: str = ""


# field number -> (attribute, decoder, repeated)
_TRAINER_FIELDS: dict[int, tuple[str, Any, bool]] = {
    1: ("input", _text, True),
    7: ("input_format", _text, False),
    2: ("model_prefix", _text, False),
    3: ("model_type", lambda w, v: _int32(_varint(w, v)), False),
    4: ("vocab_size", lambda w, v: _int32(_varint(w, v)), False),
    5: ("accept_language", _text, True),
    6: ("self_test_sample_size", lambda w, v: _int32(_varint(w, v)), False),
    50: ("enable_differential_privacy", _bool, False),
    51: ("differential_privacy_noise_level", _float, False),
    52: ("differential_privacy_clipping_threshold", lambda w, v: _uint64(_varint(w, v)), False),
    10: ("character_coverage", _float, False),
    11: ("input_sentence_size", lambda w, v: _uint64(_varint(w, v)), False),
    19: ("shuffle_input_sentence", _bool, False),
    12: ("mining_sentence_size", lambda w, v: _int32(_varint(w, v)), False),
    13: ("training_sentence_size", lambda w, v: _int32(_varint(w, v)), False),
    14: ("seed_sentencepiece_size", lambda w, v: _int32(_varint(w, v)), False),
    15: ("shrinking_factor", _float, False),
    18: ("max_sentence_length", lambda w, v: _int32(_varint(w, v)), False),
    16: ("num_threads", lambda w, v: _int32(_varint(w, v)), False),
    17: ("num_sub_iterations", lambda w, v: _int32(_varint(w, v)), False),
    20: ("max_sentencepiece_length", lambda w, v: _int32(_varint(w, v)), False),
    21: ("split_by_unicode_script", _bool, False),
    23: ("split_by_number", _bool, False),
    22: ("split_by_whitespace", _bool, False),
    24: ("treat_whitespace_as_suffix", _bool, False),
    26: ("allow_whitespace_only_pieces", _bool, False),
    25: ("split_digits", _bool, False),
    53: ("pretokenization_delimiter", _text, False),
    30: ("control_symbols", _text, True),
    31: ("user_defined_symbols", _text, True),
    36: ("required_chars", _text, False),
    35: ("byte_fallback", _bool, False),
    32: ("vocabulary_output_piece_score", _bool, False),
    33: ("hard_vocab_limit", _bool, False),
    34: ("use_all_vocab", _bool, False),
    40: ("unk_id", lambda w, v: _int32(_varint(w, v)), False),
    41: ("bos_id", lambda w, v: _int32(_varint(w, v)), False),
    42: ("eos_id", lambda w, v: _int32(_varint(w, v)), False),
    43: ("pad_id", lambda w, v: _int32(_varint(w, v)), False),
    45: ("unk_piece", _text, False),
    46: ("bos_piece", _text, False),
    47: ("eos_piece", _text, False),
    48: ("pad_piece", _text, False),
    44: ("unk_surface", _text, False),
    49: ("train_extremely_large_corpus", _bool, False),
    54: ("seed_sentencepieces_file", _text, False),
    55: ("auto_character_coverage", _bool, False),
}

_NORMALIZER_FIELDS: dict[int, tuple[str, Any, bool]] = {
    1: ("name", _text, False),
    2: ("precompiled_charsmap", _blob, False),
    3: ("add_dummy_prefix", _bool, False),
    4: ("remove_extra_whitespaces", _bool, False),
    5: ("escape_whitespaces", _bool, False),
    6: ("normalization_rule_tsv", _text, False),
}


def _parse_message(data: bytes, table: dict[int, tuple[str, Any, bool]], cls):
    values: dict[str, Any] = {}
    for number, wire_type, value in _fields(data):
        spec = table.get(number)
        if spec is None:
            continue
        name, decode, repeated = spec
        decoded = decode(wire_type, value)
        if repeated:
            values.setdefault(name, []).append(decoded)
        else:
            values[name] = decoded
    for name, value in list(values.items()):
        if isinstance(value, list):
            values[name] = tuple(value)
    return cls(**values)


def _parse_piece(data: bytes) -> SentencePiece:
    piece, score, kind = "", 0.0, NORMAL
    for number, wire_type, value in _fields(data):
        if number == 1:
            piece = _text(wire_type, value)
        elif number == 2:
            score = _float(wire_type, value)
        elif number == 3:
            kind = _int32(_varint(wire_type, value))
    return SentencePiece(piece, score, kind)


@dataclass(frozen=True)
class SentencePieceModel:
    """The parts of a SentencePiece ``ModelProto`` that tokenizers need."""

    pieces: tuple[SentencePiece, ...]
    trainer_spec: TrainerSpec = field(default_factory=TrainerSpec)
    normalizer_spec: NormalizerSpec = field(default_factory=NormalizerSpec)
    denormalizer_spec: NormalizerSpec | None = None
    has_trainer_spec: bool = False
    has_normalizer_spec: bool = False
    source: str = ""

    @property
    def vocab_size(self) -> int:
        return len(self.pieces)

    @property
    def model_type(self) -> int:
        return self.trainer_spec.model_type

    def piece_to_id(self) -> dict[str, int]:
        return {p.piece: i for i, p in enumerate(self.pieces)}

    def extract(self, model_kind: str | None = None) -> dict[str, Any]:
        """What transformers' ``SentencePieceExtractor.extract`` returns for ``model_kind``.

        ``model_kind`` is ``"Unigram"`` or ``"BPE"`` (``None``: Unigram for a unigram model,
        BPE otherwise). Keys: Unigram -> ``unk_id``, ``vocab`` (list of (piece, score)); BPE ->
        ``vocab`` ({piece: id}) and ``merges`` (list of (left, right)); both ->
        ``additional_special_tokens`` (AddedToken for each control piece, special, and for BPE each
        user-defined piece too, not special, in id order) and ``_spm_precompiled_charsmap`` (bytes
        or None). Unigram leaves user-defined pieces to the model, which emits them whole, as
        SentencePiece does; an added token would cut the raw text and restart the dummy prefix.
        """
        from leanformers.tokenization.added_tokens import AddedToken

        if model_kind is None:
            model_kind = "Unigram" if self.trainer_spec.model_type == UNIGRAM else "BPE"
        if model_kind not in ("Unigram", "BPE"):
            raise ValueError(f"model_kind must be 'Unigram' or 'BPE', not {model_kind!r}")
        scored = [(p.piece, p.score) for p in self.pieces]
        result: dict[str, Any] = {}
        if model_kind == "BPE":
            vocab = {piece: index for index, (piece, _) in enumerate(scored)}
            result["vocab"] = vocab
            result["merges"] = _merges_in_vocab_order(vocab)
        else:
            result["unk_id"] = self.trainer_spec.unk_id
            result["vocab"] = scored
        result["additional_special_tokens"] = [
            AddedToken(p.piece, normalized=False, special=p.type == CONTROL)
            for p in self.pieces
            if p.type == CONTROL or (p.type == USER_DEFINED and model_kind == "BPE")
        ]
        result["_spm_precompiled_charsmap"] = self.normalizer_spec.precompiled_charsmap or None
        return result

    def tokenizer_json(self, legacy: bool = True) -> dict[str, Any]:
        """The tokenizer.json object transformers builds for a generic tokenizer read from this model.

        A unigram model gives a Unigram model, any other a BPE model with merges ranked by
        piece score; the normalizer, pre-tokenizer and decoder follow the normalizer spec.
        """
        vocab = self.extract(None)["vocab"]
        return _tokenizer_json(self, vocab, legacy)


def _merges_in_vocab_order(vocab: dict[str, int]) -> list[tuple[str, str]]:
    """Every split of a piece into two pieces, ordered by the id of the merged piece."""
    found: list[tuple[int, int, int, int, int, str, str]] = []
    for piece, piece_id in vocab.items():
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            left_id = vocab.get(left)
            if left_id is None:
                continue
            right_id = vocab.get(right)
            if right_id is None:
                continue
            found.append((piece_id, len(left), len(right), left_id, right_id, left, right))
    found.sort(key=lambda item: item[:5])
    return [(left, right) for *_, left, right in found]


def _merges_by_score(model: SentencePieceModel, id_to_token: dict[int, str]) -> list[list[str]]:
    """Merges of normal pieces, best score first, then lowest id."""
    normal: dict[str, tuple[float, int]] = {}
    for index, piece in enumerate(model.pieces):
        if piece.type == NORMAL and index in id_to_token:
            normal[id_to_token[index]] = (piece.score, index)
    ranked = []
    for token, (score, index) in normal.items():
        for cut in range(1, len(token)):
            left, right = token[:cut], token[cut:]
            if left in normal and right in normal:
                ranked.append((-score, index, left, right))
    ranked.sort()
    return [[left, right] for _, _, left, right in ranked]


def _replace(pattern: dict[str, str], content: str) -> dict[str, Any]:
    return {"type": "Replace", "pattern": pattern, "content": content}


def _tokenizer_json(model: SentencePieceModel, vocab, legacy: bool) -> dict[str, Any]:
    import base64
    import re

    trainer = model.trainer_spec
    spec = model.normalizer_spec
    byte_fallback = trainer.byte_fallback
    if isinstance(vocab, dict):
        id_to_token = {token_id: token for token, token_id in vocab.items()}
    else:
        id_to_token = {token_id: item[0] for token_id, item in enumerate(vocab)}
    user_defined = [
        id_to_token[index]
        for index, piece in enumerate(model.pieces)
        if piece.type == USER_DEFINED and index in id_to_token
    ]

    if isinstance(vocab, dict):
        model_json: dict[str, Any] = {
            "type": "BPE",
            "dropout": None,
            "unk_token": trainer.unk_piece,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": True,
            "byte_fallback": byte_fallback,
            "ignore_merges": bool(user_defined),
            "vocab": dict(vocab),
            "merges": _merges_by_score(model, id_to_token),
        }
    else:
        model_json = {
            "type": "Unigram",
            "unk_id": trainer.unk_id,
            "vocab": [[piece, score] for piece, score in vocab],
            "byte_fallback": byte_fallback,
        }

    normalizer_steps: list[dict[str, Any]] = []
    if spec.precompiled_charsmap:
        normalizer_steps.append(
            {
                "type": "Precompiled",
                "precompiled_charsmap": base64.b64encode(spec.precompiled_charsmap).decode("ascii"),
            }
        )
    if spec.remove_extra_whitespaces:
        normalizer_steps.append(_replace({"Regex": r"\A +| +\z"}, ""))
        normalizer_steps.append(_replace({"Regex": " {2,}"}, " "))
    if spec.escape_whitespaces:
        normalizer_steps.append(_replace({"String": " "}, "\u2581"))
    if spec.add_dummy_prefix and legacy:
        normalizer_steps.append(_replace({"Regex": "\\A\u2581"}, "\u2581\u2581"))

    pre_steps: list[dict[str, Any]] = []
    if spec.add_dummy_prefix:
        pre_steps.append(
            {
                "type": "Metaspace",
                "replacement": "\u2581",
                "prepend_scheme": "always" if legacy else "first",
                "split": False,
            }
        )
    if user_defined:
        pattern = "|".join(re.escape(piece) for piece in sorted(user_defined, key=len, reverse=True))
        pre_steps.append({"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": False})

    decoder_steps: list[dict[str, Any]] = [_replace({"String": "\u2581"}, " ")]
    if byte_fallback:
        decoder_steps.append({"type": "ByteFallback"})
    if spec.add_dummy_prefix:
        decoder_steps.append({"type": "Fuse"})
        decoder_steps.append({"type": "Strip", "content": " ", "start": 1, "stop": 0})
    elif byte_fallback:
        decoder_steps.append({"type": "Fuse"})

    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [],
        "normalizer": {"type": "Sequence", "normalizers": normalizer_steps},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": pre_steps} if pre_steps else None,
        "model": model_json,
        "post_processor": None,
        "decoder": {"type": "Sequence", "decoders": decoder_steps},
    }


def _fix(path: str) -> str:
    return (
        "pass the SentencePiece model file (often named tokenizer.model, spiece.model or "
        "sentencepiece.bpe.model) from the model's folder, re-downloading it if it may be damaged"
    )


def parse_model(data: bytes, source: str = "<bytes>") -> SentencePieceModel:
    """Parse the bytes of a serialized ``ModelProto``; ``source`` names them in errors."""
    data = bytes(data)
    if not data:
        raise SentencePieceModelError(f"{source} is empty, not a SentencePiece model: {_fix(source)}")
    pieces: list[SentencePiece] = []
    trainer = TrainerSpec()
    normalizer = NormalizerSpec()
    denormalizer = None
    has_trainer = has_normalizer = False
    try:
        for number, wire_type, value in _fields(data):
            if number in (1, 2, 3, 5) and wire_type != 2:
                raise _WireError(f"field {number} of ModelProto is not a message")
            if number == 1:
                pieces.append(_parse_piece(value))
            elif number == 2:
                trainer = _parse_message(value, _TRAINER_FIELDS, TrainerSpec)
                has_trainer = True
            elif number == 3:
                normalizer = _parse_message(value, _NORMALIZER_FIELDS, NormalizerSpec)
                has_normalizer = True
            elif number == 5:
                denormalizer = _parse_message(value, _NORMALIZER_FIELDS, NormalizerSpec)
    except _WireError as exc:
        raise SentencePieceModelError(
            f"{source} is not a valid SentencePiece model (truncated or another format: {exc}): {_fix(source)}"
        ) from None
    if not pieces:
        raise SentencePieceModelError(
            f"{source} holds no vocabulary pieces, so it is not a usable SentencePiece model: {_fix(source)}"
        )
    empty = next((index for index, piece in enumerate(pieces) if not piece.piece), None)
    if empty is not None:
        raise SentencePieceModelError(
            f"{source} is not a valid SentencePiece model: piece {empty} is empty (a damaged or foreign file): "
            f"{_fix(source)}"
        )
    if not has_trainer and not has_normalizer:
        raise SentencePieceModelError(
            f"{source} does not look like a SentencePiece model (no trainer or normalizer spec): {_fix(source)}"
        )
    return SentencePieceModel(
        pieces=tuple(pieces),
        trainer_spec=trainer,
        normalizer_spec=normalizer,
        denormalizer_spec=denormalizer,
        has_trainer_spec=has_trainer,
        has_normalizer_spec=has_normalizer,
        source=source,
    )


def read_model(path: str | os.PathLike[str]) -> SentencePieceModel:
    """Read a SentencePiece ``.model`` file."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            data = handle.read()
    except IsADirectoryError:
        raise SentencePieceModelError(f"{name} is a folder, not a SentencePiece model file: {_fix(name)}") from None
    return parse_model(data, source=name)
