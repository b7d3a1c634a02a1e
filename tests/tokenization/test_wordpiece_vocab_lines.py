"""vocab.txt is one token a line, cut at "\\n" only, as the reference reads it: a token holding U+2028, U+0085,
\\x1c or a lone \\r keeps its line, and every id after it stays where the reference puts it."""

import pytest

from leanformers import BertTokenizer

transformers = pytest.importorskip("transformers")

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# line separators of str.splitlines() inside tokens, trailing whitespace, and plain words after them
ODD_LINES = ["a\u2028b", "x\x85", "y\u2029", "z\x0b", "w\x0c", "q\x1c", "r\x1d", "s\x1e", "hello ", "\u2028",
             "cr\rlf", "tab\t", "nb\u00a0", "world", "end", "##s", "un", "##like"]


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
@pytest.mark.parametrize("final_newline", [True, False])
def test_vocab_txt_ids_match_the_reference_with_line_separators_inside_tokens(tmp_path, line_end, final_newline):
    text = line_end.join(SPECIALS + ODD_LINES) + (line_end if final_newline else "")
    (tmp_path / "vocab.txt").write_bytes(text.encode("utf-8"))
    ours = BertTokenizer.from_pretrained(tmp_path)
    reference = transformers.BertTokenizer.from_pretrained(tmp_path)
    assert ours.get_vocab() == reference.get_vocab()
    for sentence in ["hello world end", "unlike worlds", "a\u2028b q\x1c cr\rlf"]:
        assert ours(sentence)["input_ids"] == reference(sentence)["input_ids"]
    assert ours.convert_tokens_to_ids(["world", "end"]) == reference.convert_tokens_to_ids(["world", "end"])
