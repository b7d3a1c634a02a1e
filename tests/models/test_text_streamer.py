"""TextStreamer passed to generate(streamer=...) against transformers': the same text printed to stdout, piece by
piece, for greedy generation on the same tiny GPT-2 (prompt shown or skipped, decode settings passed on) and on a
tiny BART, and the same errors (a batch, beam search)."""

import logging
import warnings

import pytest
import torch
import transformers

import leanformers
from support.generative_models import EOS, bart_config, bpe_checkpoint, gpt2_config

PROMPTS = ["Once upon a time", "The quick brown fox jumps over"]


@pytest.fixture(scope="module")
def gpt2(tmp_path_factory):
    logging.getLogger("transformers").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="transformers")
    folder = bpe_checkpoint(tmp_path_factory.mktemp("gpt2"), "GPT2LMHeadModel",
                            gpt2_config(bos_token_id=0, eos_token_id=EOS), "GPT2TokenizerFast")
    return folder, (transformers, leanformers)


def streamed(library, folder, capsys, prompt, streamer_kwargs, model_class="AutoModelForCausalLM", **generate):
    tokenizer = library.AutoTokenizer.from_pretrained(folder)
    model = getattr(library, model_class).from_pretrained(folder).eval()
    pieces = []
    streamer = library.TextStreamer(tokenizer, **streamer_kwargs)
    streamer.on_finalized_text = lambda text, stream_end=False, show=streamer.on_finalized_text: (
        pieces.append((text, stream_end)), show(text, stream_end))
    capsys.readouterr()
    ids = model.generate(**tokenizer(prompt, return_tensors="pt"), streamer=streamer, **generate)
    return capsys.readouterr().out, pieces, ids.tolist()


@pytest.mark.parametrize("prompt", PROMPTS)
@pytest.mark.parametrize("streamer_kwargs", [{}, {"skip_prompt": True}, {"skip_special_tokens": True}])
def test_prints_what_transformers_prints(gpt2, capsys, prompt, streamer_kwargs):
    folder, (theirs, ours) = gpt2
    expected = streamed(theirs, folder, capsys, prompt, streamer_kwargs, max_new_tokens=12, do_sample=False)
    got = streamed(ours, folder, capsys, prompt, streamer_kwargs, max_new_tokens=12, do_sample=False)
    assert got == expected
    assert expected[0].endswith("\n") and len(expected[1]) > 3  # printed in pieces, a newline at the end


def test_encoder_decoder(tmp_path, capsys):
    logging.getLogger("transformers").setLevel(logging.ERROR)
    folder = bpe_checkpoint(tmp_path, "BartForConditionalGeneration", bart_config(), "BartTokenizerFast")
    runs = [streamed(library, folder, capsys, PROMPTS[0], {}, "AutoModelForSeq2SeqLM", max_new_tokens=8,
                     do_sample=False) for library in (transformers, leanformers)]
    assert runs[1] == runs[0]


class PieceTokenizer:
    """Each id decodes to a fixed piece of text (an int or a list of them, as transformers' streamer passes both)."""

    def __init__(self, pieces):
        self.pieces = pieces

    def decode(self, ids, **kwargs):
        return "".join(self.pieces[i] for i in ([ids] if isinstance(ids, int) else ids))


PIECES = [["Hel", "lo", " wor", "ld", "!", " ok"], ["a", ",", " b", "\n", " c", "<", "br", ">"],
          ["漢", "字", "x", "\ufffd", "é", " 1", "2"], ["$", "(", "x", ")", "\n", "\n", "é"]]


@pytest.mark.parametrize("pieces", PIECES)
@pytest.mark.parametrize("skip_prompt", [False, True])
def test_pieces_as_transformers(pieces, skip_prompt):
    """Newlines, symbols, ideographs and an incomplete character put one id at a time: the same printed pieces."""
    runs = []
    for library in (transformers, leanformers):
        printed = []
        streamer = library.TextStreamer(PieceTokenizer(pieces), skip_prompt=skip_prompt)
        streamer.on_finalized_text = lambda text, stream_end=False: printed.append((text, stream_end))
        streamer.put(torch.tensor([[0, 1]]))
        for i in range(2, len(pieces)):
            streamer.put(torch.tensor([i]))
        streamer.end()
        runs.append(printed)
    assert runs[1] == runs[0]


def test_errors_as_transformers(gpt2):
    folder, _ = gpt2
    for library in (transformers, leanformers):
        tokenizer = library.AutoTokenizer.from_pretrained(folder)
        model = library.AutoModelForCausalLM.from_pretrained(folder).eval()
        streamer = library.TextStreamer(tokenizer)
        batch = tokenizer(PROMPTS[:1] * 2, return_tensors="pt")
        with pytest.raises(ValueError, match="only supports batch size 1"):
            model.generate(**batch, streamer=streamer, max_new_tokens=2, do_sample=False)
        with pytest.raises(ValueError, match="cannot be used with beam search"):
            model.generate(**tokenizer(PROMPTS[0], return_tensors="pt"), streamer=library.TextStreamer(tokenizer),
                           max_new_tokens=2, num_beams=2, do_sample=False)
