"""Each tokenizer.json stage and BPE option, on synthetic files written by the reference
(`tokenizers`), against what the reference does with them: ids, tokens, offsets, decode,
and the JSON written back."""

import json

import pytest

tokenizers = pytest.importorskip("tokenizers")
from tokenizers import decoders, models, normalizers, pre_tokenizers, processors  # noqa: E402

from leanformers.tokenization import tokenizer_json  # noqa: E402

TEXTS = ("hello world", "lower newest widest", "héllo wörld ☃ 日本", "  spaced  out  ", "a1b22c333 d4444",
         "don't stop, ever... (ok)?!", "ééé \U0001F917x", "", "x", "lowlowlow lowest", "abcabc",
         "new\nline\ttab", "1,234.56 and ١٢٣")
PAIR = "second part, 42"


def _vocab():
    """A small character vocabulary with merges, so BPE has work to do."""
    chars = sorted(set("".join(TEXTS) + PAIR + "▁ ") - set("é☃日本\U0001F917١٢٣"))
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for ch in chars:
        vocab.setdefault(ch, len(vocab))
    merges = [("l", "o"), ("lo", "w"), ("e", "r"), ("n", "e"), ("ne", "w"), ("e", "s"), ("es", "t"), ("w", "i"),
              ("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o"), ("a", "b"), ("ab", "c"), ("2", "2"), ("o", "r")]
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    return vocab, merges


def _write(tmp_path, tok):
    path = tmp_path / "tokenizer.json"
    tok.save(str(path))
    return path


def _compare(path, texts=TEXTS, pair=PAIR, decode=True):
    ref = tokenizers.Tokenizer.from_file(str(path))
    ours = tokenizer_json.build_tokenizer(tokenizer_json.load(path), path)
    for text in texts:
        for p in (None, pair):
            r = ref.encode(text, p)
            o = ours.encode(text, p, with_offsets=True)
            assert (o.ids, o.tokens) == (r.ids, r.tokens), (text, p)
            assert o.offsets == r.offsets, (text, p)
            if decode:
                assert ours.decode(o.ids) == ref.decode(r.ids, skip_special_tokens=False), (text, p)
                assert ours.decode(o.ids, skip_special_tokens=True) == ref.decode(r.ids), (text, p)
    # what we write back is what the reference wrote, stage by stage
    data = json.loads(path.read_text(encoding="utf-8"))
    back = tokenizer_json.tokenizer_to_json(ours)
    for kind in ("normalizer", "pre_tokenizer", "post_processor", "decoder"):
        assert back[kind] == data[kind], kind
    model = {k: v for k, v in data["model"].items() if k != "merges"}
    assert {k: v for k, v in back["model"].items() if k != "merges"} == model
    return ours


def _bpe(**options):
    vocab, merges = _vocab()
    return models.BPE(vocab, merges, unk_token=options.pop("unk_token", "<unk>"), **options)


@pytest.mark.parametrize("options", [
    {}, {"fuse_unk": True}, {"byte_fallback": True}, {"byte_fallback": True, "fuse_unk": True},
    {"ignore_merges": True}, {"unk_token": None},
])
def test_bpe_options_on_whole_text(tmp_path, options):
    # no pre-tokenizer: the whole text is one word (as with Metaspace split=false)
    vocab, merges = _vocab()
    if options.get("byte_fallback"):
        for b in "日本☃".encode("utf-8")[:5] + "é".encode("utf-8"):  # some bytes, not all: others stay unknown
            vocab.setdefault(f"<0x{b:02X}>", len(vocab))
    if options.get("ignore_merges"):
        vocab.setdefault("world", len(vocab))
        vocab.setdefault("lowest", len(vocab))
    unk = options.pop("unk_token", "<unk>")
    tok = tokenizers.Tokenizer(models.BPE(vocab, merges, unk_token=unk, **options))
    tok.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Fuse()])
    path = _write(tmp_path, tok)
    _compare(path)
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    _compare(_write(tmp_path, tok))


@pytest.mark.parametrize("prefix, suffix", [("##", None), (None, "</w>"), ("##", "</w>")])
def test_bpe_continuing_subword_prefix_and_end_of_word_suffix(tmp_path, prefix, suffix):
    base = sorted(set("".join(TEXTS) + PAIR))
    vocab = {"<unk>": 0}
    for ch in base:
        for form in {ch, (prefix or "") + ch, ch + (suffix or ""), (prefix or "") + ch + (suffix or "")}:
            vocab.setdefault(form, len(vocab))
    p, s = prefix or "", suffix or ""
    merges = [("l", p + "o"), ("lo", p + "w"), ("h", p + "e"), ("he", p + "l"), ("o", p + "r"),
              ("e", p + "s" + s), ("l", p + "o" + s), ("w", p + "o")]
    for a, b in merges:
        vocab.setdefault(a + b[len(p):], len(vocab))
    options = {k: v for k, v in (("continuing_subword_prefix", prefix), ("end_of_word_suffix", suffix)) if v}
    tok = tokenizers.Tokenizer(models.BPE(vocab, merges, unk_token="<unk>", **options))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    _compare(_write(tmp_path, tok), decode=False)


def test_bpe_long_word_merges_as_the_reference(tmp_path):
    vocab, merges = _vocab()
    tok = tokenizers.Tokenizer(models.BPE(vocab, merges, unk_token="<unk>"))
    long_texts = ["lowlowlow " * 300, "hellohello lower abcabc newest " * 200, "a" * 3000 + "bc"]
    _compare(_write(tmp_path, tok), texts=long_texts)


@pytest.mark.parametrize("normalizer", [
    normalizers.Replace(" ", "▁"), normalizers.Replace(tokenizers.Regex(r"\s+"), " "),
    normalizers.Replace(tokenizers.Regex(r"[0-9]"), ""), normalizers.Replace("ll", "L"), normalizers.Replace("o", "LLL"), normalizers.Replace(tokenizers.Regex("e+"), "LL"),
    normalizers.Prepend("▁"), normalizers.Strip(), normalizers.Strip(left=False), normalizers.Strip(right=False),
    normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")]),
    normalizers.Sequence([normalizers.Strip(), normalizers.NFKC(), normalizers.Lowercase()]),
])
def test_normalizers(tmp_path, normalizer):
    vocab, merges = _vocab()
    vocab.setdefault("L", len(vocab))
    tok = tokenizers.Tokenizer(models.BPE(vocab, merges, unk_token="<unk>"))
    tok.normalizer = normalizer
    _compare(_write(tmp_path, tok), decode=False)


@pytest.mark.parametrize("pre_tokenizer", [
    pre_tokenizers.Digits(individual_digits=False), pre_tokenizers.Digits(individual_digits=True),
    *[pre_tokenizers.Punctuation(b) for b in ("removed", "isolated", "merged_with_previous", "merged_with_next",
                                              "contiguous")],
    pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation(),
                             pre_tokenizers.Digits(True)]),
    pre_tokenizers.UnicodeScripts(),
])
def test_pre_tokenizers(tmp_path, pre_tokenizer):
    vocab, merges = _vocab()
    tok = tokenizers.Tokenizer(models.BPE(vocab, merges, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizer
    _compare(_write(tmp_path, tok), decode=False)


@pytest.mark.parametrize("decoder", [
    decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                       decoders.Strip(" ", 1, 0)]),
    decoders.Strip("l", 1, 0), decoders.Strip("e", 0, 1),  # (a token all of `content` makes the reference panic)
    decoders.Replace(tokenizers.Regex("[lo]+"), "_"), decoders.Fuse(),
    decoders.ByteFallback(),
    decoders.Sequence([decoders.ByteFallback(), decoders.Replace("e", "E"), decoders.Strip("E", 0, 1)]),
    decoders.Sequence([decoders.WordPiece(), decoders.Strip(" ", 1, 1)]),
    decoders.Sequence([decoders.Replace("l", "Ġ"), decoders.ByteLevel()]),
])
def test_decoders(tmp_path, decoder):
    vocab, merges = _vocab()
    for b in "日本é".encode("utf-8") + b"\xff":
        vocab.setdefault(f"<0x{b:02X}>", len(vocab))
    tok = tokenizers.Tokenizer(models.BPE(vocab, merges, unk_token="<unk>", byte_fallback=True))
    tok.normalizer = normalizers.Replace(" ", "▁")
    tok.decoder = decoder
    path = _write(tmp_path, tok)
    _compare(path)
    ref = tokenizers.Tokenizer.from_file(str(path))
    ours = tokenizer_json.build_tokenizer(tokenizer_json.load(path), path)
    bad = [vocab["<0xFF>"], vocab["h"], vocab["<0xE6>"], vocab["<0x97>"], vocab["▁"], vocab["<0xE6>"]]
    assert ours.decode(bad) == ref.decode(bad)


def test_post_processor_sequence_byte_level_then_template(tmp_path):
    # Llama-3 style: Split, then ByteLevel without its regex; ByteLevel + template post-processing
    vocab = {c: i for i, c in enumerate(sorted(set(__import__("leanformers.tokenization.byte_level",
                                                              fromlist=["x"]).BYTE_TO_CHAR.values())))}
    vocab["<|begin_of_text|>"] = len(vocab)
    tok = tokenizers.Tokenizer(models.BPE(vocab, [], ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(tokenizers.Regex(r"(?i:'s|'t)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+"
                                              r"[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"), "isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=True),
        processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B:1",
                                      special_tokens=[("<|begin_of_text|>", vocab["<|begin_of_text|>"])])])
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(["<|begin_of_text|>"])
    _compare(_write(tmp_path, tok))


@pytest.mark.parametrize("flags", [
    {}, {"single_word": True}, {"lstrip": True}, {"rstrip": True}, {"lstrip": True, "rstrip": True},
    {"normalized": False}, {"normalized": True}, {"special": True}, {"single_word": True, "normalized": False},
])
def test_added_token_flags(tmp_path, flags):
    vocab, merges = _vocab()
    tok = tokenizers.Tokenizer(models.BPE(vocab, merges, unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    token = tokenizers.AddedToken("<Mask>", **flags)
    if flags.get("special"):
        tok.add_special_tokens([token])
    else:
        tok.add_tokens([token, tokenizers.AddedToken("ab", **flags)])
    texts = ["a <Mask> b", "a<Mask>b", "x  <Mask>  y", "<Mask>", "<mask> and <MASK>", "abc ab cab ab", "  ab  ",
             "<Mask><Mask> ab<Mask>ab"]
    _compare(_write(tmp_path, tok), texts=texts, pair="ab <Mask>")


def test_bpe_dropout_is_refused():
    from leanformers.tokenization.bpe import BPE, BPEError

    with pytest.raises(BPEError, match="dropout"):
        BPE.from_dict({"type": "BPE", "vocab": {"a": 0}, "merges": [], "dropout": 0.5})


UNICODE_SCRIPTS_TEXTS = ("Hello世界ひらがなカタカナー abc", "abc123def", "a,b.c", "русский text", "a\u0301b", "日本 語",
                         "😀a😀", "αβγabc", "a\tb\nc", " lead", "  ", "", "  日本", " \u0378a", "\ue000", "a \ue000 b",
                         " 1a", "  \t")


def test_unicode_scripts_splits_as_the_reference():
    from tests.support import corpus

    from leanformers.tokenization.components import UnicodeScripts

    ref, ours = pre_tokenizers.UnicodeScripts(), UnicodeScripts()
    texts = UNICODE_SCRIPTS_TEXTS + corpus.SCRIPTS + corpus.EMOJI + corpus.ODD + corpus.ACCENTED + tuple(
        corpus.sentences(300))
    for text in texts:
        assert [(w, (a, b)) for w, a, b, _ in ours.split_aligned(text)] == ref.pre_tokenize_str(text), text
