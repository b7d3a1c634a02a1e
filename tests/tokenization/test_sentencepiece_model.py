"""SentencePiece .model files read without sentencepiece or protobuf
(leanformers.tokenization.sentencepiece_model), compared with the reference readers:
every field against sentencepiece's own ModelProto, `extract` against transformers'
SentencePieceExtractor, `tokenizer_json` against the tokenizer transformers builds from
the proto, on the shared real models and on tiny models trained here for edge cases;
and the errors for truncated, foreign, empty and piece-less files."""

import io
import json
import random

import pytest

from support.corpus import sentences
from support.paths import SHARED_DATA

spm = pytest.importorskip("sentencepiece")
pytest.importorskip("google.protobuf")
pytest.importorskip("transformers")
tokenizers_models = pytest.importorskip("tokenizers.models")

from sentencepiece import sentencepiece_model_pb2  # noqa: E402
from transformers.convert_slow_tokenizer import SentencePieceExtractor, SpmConverter  # noqa: E402

from leanformers.tokenization.sentencepiece_model import (  # noqa: E402
    SentencePieceModelError,
    parse_model,
    read_model,
)

REAL_MODELS = {
    "llama-2": SHARED_DATA / "tokenizers" / "meta-llama-Llama-2-7b-hf" / "tokenizer.model",
    "mistral-v3": SHARED_DATA / "tokenizers" / "mistralai-Mistral-7B-Instruct-v0.3" / "tokenizer.model.v3",
    "sp-test": SHARED_DATA / "tokenizers" / "google-sentencepiece-test-models" / "test_model.model",
    "sp-test-ja": SHARED_DATA / "tokenizers" / "google-sentencepiece-test-models" / "test_ja_model.model",
    "xlnet": SHARED_DATA / "vocab" / "xlnet-base-cased" / "spiece.model",
}
KINDS = {"Unigram": tokenizers_models.Unigram, "BPE": tokenizers_models.BPE}


def real_model(name):
    path = REAL_MODELS[name]
    if not path.is_file():
        pytest.skip(f"{path} not found: the shared data folder is absent (see shared/data/README.md)")
    return path


# ------------------------------------------------------------ tiny trained models

CORPUS = [t for t in sentences(1500, seed=3) if t.isascii() and t.isprintable() and len(t) < 300] + [
    "call 0123456789 or 42 times 1999, then 3.14159",
    "caf\u00e9 na\u00efve \uff21\uff22\uff23 \u2460 fi\ufb01",
    "a <sep> b <sep> c [MASK] d x.y z",
] * 5

TRAINED = {
    "unigram": dict(model_type="unigram", vocab_size=300),
    "bpe": dict(model_type="bpe", vocab_size=300),
    "unigram-byte-fallback": dict(model_type="unigram", vocab_size=400, byte_fallback=True),
    "bpe-byte-fallback": dict(model_type="bpe", vocab_size=400, byte_fallback=True),
    "unigram-no-dummy-prefix": dict(model_type="unigram", vocab_size=300, add_dummy_prefix=False),
    "bpe-no-dummy-prefix": dict(model_type="bpe", vocab_size=300, add_dummy_prefix=False),
    "bpe-no-dummy-prefix-byte-fallback": dict(
        model_type="bpe", vocab_size=400, add_dummy_prefix=False, byte_fallback=True
    ),
    "unigram-user-defined": dict(model_type="unigram", vocab_size=300, user_defined_symbols=["<sep>", "[MASK]", "x.y"]),
    "bpe-user-defined": dict(model_type="bpe", vocab_size=300, user_defined_symbols=["<sep>", "[MASK]", "x.y"]),
    "bpe-split-digits": dict(model_type="bpe", vocab_size=300, split_digits=True),
    "unigram-split-digits": dict(model_type="unigram", vocab_size=300, split_digits=True),
    "bpe-specials-moved": dict(
        model_type="bpe", vocab_size=300, pad_id=0, unk_id=3, bos_id=1, eos_id=-1,
        pad_piece="[PAD]", unk_piece="[UNK]", bos_piece="[BOS]", control_symbols=["<ctl>"],
    ),
    "unigram-raw-whitespace": dict(
        model_type="unigram", vocab_size=300, remove_extra_whitespaces=False,
        normalization_rule_name="identity", treat_whitespace_as_suffix=True,
    ),
    "char": dict(model_type="char", vocab_size=60, hard_vocab_limit=False),
    "word": dict(model_type="word", vocab_size=200, hard_vocab_limit=False),
}


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spm")
    for name, options in TRAINED.items():
        writer = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(CORPUS), model_writer=writer, minloglevel=2, num_threads=1,
            **{"hard_vocab_limit": False, **options},
        )
        (folder / f"{name}.model").write_bytes(writer.getvalue())
    return folder


TEXTS = CORPUS[:20] + ["", " ", "  two  spaces  ", "tab\tand\nnewline", "<sep>x.y[MASK]", "\u2581lead", "caf\u00e9 \uff21 \U0001f917"]

ALL = [("real", name) for name in REAL_MODELS] + [("trained", name) for name in TRAINED]


@pytest.fixture(params=ALL, ids=[f"{kind}-{name}" for kind, name in ALL])
def model_path(request, trained_dir):
    kind, name = request.param
    return real_model(name) if kind == "real" else trained_dir / f"{name}.model"


def reference_proto(path):
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(path.read_bytes())
    return proto


def assert_message_equal(reference, ours, where):
    for descriptor in reference.DESCRIPTOR.fields:
        expected = getattr(reference, descriptor.name)
        if not isinstance(expected, (str, bytes, int, float)):  # a repeated field
            expected = tuple(expected)
        assert getattr(ours, descriptor.name) == expected, f"{where}.{descriptor.name}"


# ------------------------------------------------------------ fields


def test_every_field_reads_as_sentencepiece_reads_it(model_path):
    reference = reference_proto(model_path)
    ours = read_model(model_path)
    assert [(p.piece, p.score, p.type) for p in ours.pieces] == [(p.piece, p.score, p.type) for p in reference.pieces]
    assert_message_equal(reference.trainer_spec, ours.trainer_spec, "trainer_spec")
    assert_message_equal(reference.normalizer_spec, ours.normalizer_spec, "normalizer_spec")
    assert ours.has_trainer_spec == reference.HasField("trainer_spec")
    assert ours.has_normalizer_spec == reference.HasField("normalizer_spec")
    if reference.HasField("denormalizer_spec"):
        assert_message_equal(reference.denormalizer_spec, ours.denormalizer_spec, "denormalizer_spec")
    else:
        assert ours.denormalizer_spec is None


def test_absent_fields_take_the_proto_defaults():
    # a model of one piece and empty specs: everything else is the .proto's default
    reference = sentencepiece_model_pb2.ModelProto()
    reference.pieces.add(piece="<unk>", score=0.0, type=2)
    reference.trainer_spec.SetInParent()
    reference.normalizer_spec.SetInParent()
    ours = parse_model(reference.SerializeToString())
    assert_message_equal(reference.trainer_spec, ours.trainer_spec, "trainer_spec")
    assert_message_equal(reference.normalizer_spec, ours.normalizer_spec, "normalizer_spec")


def test_negative_ids_and_unknown_fields_read_like_protobuf():
    reference = sentencepiece_model_pb2.ModelProto()
    reference.pieces.add(piece="<unk>", type=2)
    reference.pieces.add(piece="a", score=-1.5)
    reference.trainer_spec.pad_id = -1
    reference.trainer_spec.eos_id = -1
    reference.trainer_spec.unk_id = -7
    reference.normalizer_spec.add_dummy_prefix = False
    # unknown fields of every wire type (varint, fixed64, length-delimited, fixed32) at top level
    extra = b"\xf8\x06\x05" + b"\xf9\x06" + b"\x00" * 8 + b"\xfa\x06\x03abc" + b"\xfd\x06" + b"\x00" * 4
    data = reference.SerializeToString() + extra
    parsed = sentencepiece_model_pb2.ModelProto()
    parsed.ParseFromString(data)
    ours = parse_model(data)
    assert_message_equal(parsed.trainer_spec, ours.trainer_spec, "trainer_spec")
    assert_message_equal(parsed.normalizer_spec, ours.normalizer_spec, "normalizer_spec")
    assert [(p.piece, p.score, p.type) for p in ours.pieces] == [(p.piece, p.score, p.type) for p in parsed.pieces]


# ------------------------------------------------------------ extract and tokenizer.json


def reference_extract(path, kind):
    result = SentencePieceExtractor(str(path)).extract(KINDS[kind])
    result["additional_special_tokens"] = [
        (str(t), t.special, t.normalized, t.lstrip, t.rstrip, t.single_word) for t in result["additional_special_tokens"]
    ]
    return result


@pytest.mark.parametrize("kind", ["Unigram", "BPE"])
def test_extract_returns_what_the_transformers_extractor_returns(model_path, kind):
    expected = reference_extract(model_path, kind)
    ours = read_model(model_path).extract(kind)
    ours["additional_special_tokens"] = [
        (t.content, t.special, t.normalized, t.lstrip, t.rstrip, t.single_word) for t in ours["additional_special_tokens"]
    ]
    assert set(ours) == set(expected)
    for key in expected:
        assert ours[key] == expected[key], key


def test_extract_without_a_kind_follows_the_model_type(model_path):
    model = read_model(model_path)
    kind = "Unigram" if model.trainer_spec.model_type == 1 else "BPE"
    assert model.extract(None) == model.extract(kind)


@pytest.mark.parametrize("legacy", [True, False], ids=["legacy", "not-legacy"])
def test_tokenizer_json_is_the_tokenizer_transformers_builds_from_the_proto(model_path, legacy):
    extractor = SentencePieceExtractor(str(model_path))
    vocab = extractor.extract(None)["vocab"]
    reference = SpmConverter.build_tokenizer_from_spm_proto(proto=extractor.proto, vocab=vocab, legacy=legacy)
    expected = json.loads(reference.to_str())
    ours = read_model(model_path).tokenizer_json(legacy=legacy)
    assert set(ours) == set(expected)
    for key in expected:
        assert ours[key] == expected[key], key
    # and the tokenizers library loads it and encodes like the reference (the JSON's floats do not
    # round-trip exactly through the Rust reader, so the behaviour is compared, not the object)
    from tokenizers import Tokenizer

    loaded = Tokenizer.from_str(json.dumps(ours))
    for text in TEXTS:
        assert loaded.encode(text).ids == reference.encode(text).ids, text


# ------------------------------------------------------------ errors


def small_real_model():
    return real_model("sp-test")


@pytest.mark.parametrize("fraction", [0.0, 0.001, 0.3, 0.5, 0.97, 0.9999], ids=lambda f: f"cut-{f}")
def test_a_truncated_file_is_refused_naming_the_file(tmp_path, fraction):
    data = small_real_model().read_bytes()
    cut = max(1, int(len(data) * fraction))
    broken = tmp_path / "tokenizer.model"
    broken.write_bytes(data[:cut])
    with pytest.raises(SentencePieceModelError) as caught:
        read_model(broken)
    assert str(broken) in str(caught.value)
    # the reference refuses it too (sanity check of the cut points)
    with pytest.raises(Exception):
        proto = sentencepiece_model_pb2.ModelProto()
        proto.ParseFromString(data[:cut])
        if not proto.HasField("normalizer_spec"):
            raise ValueError("no normalizer spec")


def test_a_cut_inside_the_last_field_is_refused(tmp_path):
    data = small_real_model().read_bytes()
    for cut in (len(data) - 1, len(data) - 2, len(data) - 5):
        broken = tmp_path / f"cut{cut}.model"
        broken.write_bytes(data[:cut])
        with pytest.raises(SentencePieceModelError, match="truncated"):
            read_model(broken)


def test_a_tiktoken_file_is_refused_naming_the_file(tmp_path):
    llama3 = SHARED_DATA / "tokenizers" / "meta-llama-Meta-Llama-3-8B-Instruct" / "tokenizer.model"
    if llama3.is_file():
        path = llama3
    else:
        path = tmp_path / "tokenizer.model"
        path.write_text("".join(f"{t} {i}\n" for i, t in enumerate(["IQ==", "Ig==", "Iw==", "JA==", "IHRoZQ=="])))
    with pytest.raises(SentencePieceModelError) as caught:
        read_model(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    "content",
    [
        json.dumps({"version": "1.0", "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}).encode(),
        b"\n\x05hello\n\x05world\n",
        "plain text, not a model\n".encode(),
        bytes(random.Random(0).randrange(256) for _ in range(5000)),
        bytes(random.Random(1).randrange(256) for _ in range(100)),
    ],
    ids=["json", "newline-framed-text", "text", "random-5000", "random-100"],
)
def test_a_file_that_is_not_a_sentencepiece_model_is_refused(tmp_path, content):
    path = tmp_path / "spiece.model"
    path.write_bytes(content)
    with pytest.raises(SentencePieceModelError) as caught:
        read_model(path)
    assert str(path) in str(caught.value)
    assert "SentencePiece" in str(caught.value)


def test_an_empty_file_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "tokenizer.model"
    path.write_bytes(b"")
    with pytest.raises(SentencePieceModelError, match="empty") as caught:
        read_model(path)
    assert str(path) in str(caught.value)


def test_a_model_without_pieces_is_refused(tmp_path):
    proto = sentencepiece_model_pb2.ModelProto()
    proto.trainer_spec.model_type = 2
    proto.normalizer_spec.name = "identity"
    path = tmp_path / "tokenizer.model"
    path.write_bytes(proto.SerializeToString())
    with pytest.raises(SentencePieceModelError, match="no vocabulary pieces") as caught:
        read_model(path)
    assert str(path) in str(caught.value)


def test_the_error_is_a_value_error():
    assert issubclass(SentencePieceModelError, ValueError)


def test_a_folder_is_refused_naming_it(tmp_path):
    with pytest.raises(SentencePieceModelError) as caught:
        read_model(tmp_path)
    assert str(tmp_path) in str(caught.value)


def test_no_sentencepiece_protobuf_or_torch_at_run_time():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('sentencepiece', 'google', 'torch'):\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from leanformers.tokenization.sentencepiece_model import read_model\n"
        f"m = read_model({str(small_real_model())!r})\n"
        "m.extract('BPE'); m.extract('Unigram'); m.tokenizer_json()\n"
        "print(len(m.pieces))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
