"""Tiny random GPT-2 and BART checkpoints built and saved by transformers, their tokenizers, and batches.

Shared by tests/test_gpt2_*.py, test_bart_*.py, test_generation_*.py and the generative pipeline tests.
Every parameter is randomised (not only transformers' init) so a wrongly used bias cannot hide, and the
logits are spread enough that greedy and beam search are not decided by rounding.
"""

import json

import numpy as np
import torch

torch.set_num_threads(1)  # tiny matrices on a shared 2-core machine

VOCAB = 99
MAX_POS = 64
PAD, BOS, EOS = 1, 0, 2
GPT2_HEADS = ("GPT2Model", "GPT2LMHeadModel", "GPT2ForSequenceClassification")
BART_HEADS = ("BartModel", "BartForConditionalGeneration", "BartForSequenceClassification")
# name -> config keywords: several widths and depths, one head, odd FFN widths
GPT2_SIZES = {
    "h32-l2": dict(n_embd=32, n_layer=2, n_head=4),
    "h48-l3": dict(n_embd=48, n_layer=3, n_head=6, n_inner=50, activation_function="gelu"),
    "h16-l1": dict(n_embd=16, n_layer=1, n_head=1, scale_attn_by_inverse_layer_idx=True),
}
BART_SIZES = {
    "d32": dict(d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4, decoder_attention_heads=4,
                encoder_ffn_dim=37, decoder_ffn_dim=37),
    "d48": dict(d_model=48, encoder_layers=1, decoder_layers=3, encoder_attention_heads=6, decoder_attention_heads=3,
                encoder_ffn_dim=64, decoder_ffn_dim=40, scale_embedding=True),
}


def gpt2_config(size="h32-l2", **extra):
    import transformers

    kwargs = dict(vocab_size=VOCAB, n_positions=MAX_POS, bos_token_id=BOS, eos_token_id=EOS, **GPT2_SIZES[size])
    return transformers.GPT2Config(**{**kwargs, **extra})


def bart_config(size="d32", **extra):
    import transformers

    kwargs = dict(vocab_size=VOCAB, max_position_embeddings=MAX_POS, pad_token_id=PAD, bos_token_id=BOS,
                  eos_token_id=EOS, decoder_start_token_id=EOS, forced_eos_token_id=EOS, **BART_SIZES[size])
    return transformers.BartConfig(**{**kwargs, **extra})


def build(class_name, config, seed=0, scale=0.1):
    """A transformers model of `class_name` with every parameter moved randomly off its init."""
    import transformers

    torch.manual_seed(seed)
    model = getattr(transformers, class_name)(config)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn_like(param) * scale)
    return model.eval()


def save(model, folder, **generation):
    """save_pretrained by transformers, with `generation` written into generation_config.json."""
    model.save_pretrained(folder)
    if generation:
        path = folder / "generation_config.json"
        data = json.loads(path.read_text()) if path.exists() else {}
        path.write_text(json.dumps({**data, **generation}, indent=2))
    return folder


def reference(class_name, folder):
    """The transformers model loaded back, with eager attention (the path that returns probabilities)."""
    import transformers

    return getattr(transformers, class_name).from_pretrained(folder, attn_implementation="eager").eval()


def padded_ids(batch_size=3, seq_len=9, side="right", pad=PAD, seed=0, low=3):
    """Random ids with rows of different lengths (row 0 unpadded) padded on `side`, and the attention mask."""
    g = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(low, VOCAB, (batch_size, seq_len), generator=g)
    mask = torch.ones_like(input_ids)
    for row in range(1, batch_size):
        n_pad = min(seq_len - 2, 2 * row)
        if side == "right":
            mask[row, seq_len - n_pad:] = 0
        else:
            mask[row, :n_pad] = 0
    input_ids[mask == 0] = pad
    return input_ids, mask


def bart_batch(batch_size=3, seq_len=9, target_len=6, seed=0):
    """Encoder ids ending in </s> before right padding, and labels with -100 after each target's end."""
    input_ids, mask = padded_ids(batch_size, seq_len, seed=seed)
    lengths = mask.sum(1)
    input_ids[torch.arange(batch_size), lengths - 1] = EOS
    g = torch.Generator().manual_seed(seed + 1)
    labels = torch.randint(3, VOCAB, (batch_size, target_len), generator=g)
    for row in range(1, batch_size):
        labels[row, target_len - row:] = -100
    return {"input_ids": input_ids, "attention_mask": mask}, labels


def cache_tensors(cache):
    """Every key/value tensor of a cache, transformers' or ours, in one flat list (self, then cross)."""
    if cache is None:
        return []
    parts = [cache.self_attention_cache, cache.cross_attention_cache] if hasattr(
        cache, "self_attention_cache") else [cache]
    out = []
    for part in parts:
        if hasattr(part, "layers"):  # transformers
            out += [t for layer in part.layers for t in (layer.keys, layer.values)]
        else:
            out += [t for pair in part for t in pair]
    return out


def max_abs_diff(a, b):
    """Largest absolute difference between two outputs (tensors, caches, or tuples of them)."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.shape == b.shape, (getattr(b, "shape", type(b)), a.shape)
        return (a.double() - b.double()).abs().max().item() if a.numel() else 0.0
    if not isinstance(a, (tuple, list)):
        a, b = cache_tensors(a), cache_tensors(b)
    assert len(a) == len(b), (len(a), len(b))
    return max([max_abs_diff(x, y) for x, y in zip(a, b)], default=0.0)


def assert_same_outputs(ours, theirs, tol=1e-5):
    assert list(ours.keys()) == list(theirs.keys())
    for key in theirs.keys():
        assert max_abs_diff(theirs[key], ours[key]) <= tol, key


def train_bpe(folder, texts, vocab_size=VOCAB):
    """A byte-level BPE of `vocab_size` tokens (specials first, as BART's) trained by `tokenizers`; writes
    vocab.json and merges.txt into `folder`."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, initial_alphabet=[], show_progress=False,
                                  special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    tok.train_from_iterator(texts, trainer)
    folder.mkdir(parents=True, exist_ok=True)
    tok.model.save(str(folder))
    return folder


# --- checkpoints with tokenizers, for the pipelines ---------------------------------------------------------------

CORPUS = [
    "Once upon a time there was a little robot who liked to read books about the sea.",
    "The quick brown fox jumps over the lazy dog, and the dog does not mind at all.",
    "We are very happy to show you the Transformers library; we hope you like it.",
    "Paris is the capital of France and Berlin is the capital of Germany.",
    "My name is Wolfgang and I live in Berlin with my sister Sarah.",
    "Hugging Face is a company based in New York City.",
]
WORDS = sorted({w.strip(".,;").lower() for line in CORPUS for w in line.split()})


def bpe_checkpoint(folder, head, config, tokenizer_class, seed=0, scale=0.3, **generation):
    """A tiny model and a byte-level BPE tokenizer (trained on CORPUS, VOCAB tokens) saved together by
    transformers."""
    import transformers

    vocab = train_bpe(folder / "bpe", CORPUS * 10)
    tokenizer = getattr(transformers, tokenizer_class)(str(vocab / "vocab.json"), str(vocab / "merges.txt"))
    tokenizer.save_pretrained(folder)
    return save(build(head, config, seed=seed, scale=scale), folder, **generation)


def wordpiece_checkpoint(folder, head, seed=0, **config_extra):
    """A tiny BERT and a WordPiece vocabulary (the CORPUS words, their letters and ## letters) saved together by
    transformers."""
    import transformers

    letters = sorted({c for w in WORDS for c in w if c.isalpha()})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", ";", *letters, *(f"##{c}" for c in letters),
             *(w for w in WORDS if len(w) > 1 and w.isalpha())]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    transformers.BertTokenizerFast(str(folder / "vocab.txt"), model_max_length=64).save_pretrained(folder)
    config = transformers.BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2,
                                     num_attention_heads=4, intermediate_size=37, max_position_embeddings=64,
                                     **config_extra)
    return save(build(head, config, seed=seed, scale=0.3), folder)


def assert_same_result(ours, theirs, tol=1e-5, where="result"):
    """Pipeline results equal: same structure, keys, strings and ints; floats within `tol`."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), (where, ours, theirs)
        for key in theirs:
            assert_same_result(ours[key], theirs[key], tol, f"{where}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(theirs), (where, ours, theirs)
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same_result(a, b, tol, f"{where}[{i}]")
    elif isinstance(theirs, (float, np.floating)):
        assert isinstance(ours, (float, np.floating)) and abs(float(ours) - float(theirs)) <= tol, (where, ours, theirs)
    else:
        assert type(ours) is type(theirs) and ours == theirs, (where, ours, theirs)


def text_generation_pipelines(root):
    """(transformers' pipeline, ours) of "text-generation" on one tiny GPT-2 with a trained BPE tokenizer in
    `root`, transformers' own warnings silenced."""
    import logging
    import warnings

    import transformers

    import leanformers

    logging.getLogger("transformers").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="transformers")
    folder = bpe_checkpoint(root, "GPT2LMHeadModel", gpt2_config(n_positions=300, bos_token_id=0, eos_token_id=EOS),
                            "GPT2TokenizerFast")
    return (transformers.pipeline("text-generation", model=str(folder)),
            leanformers.pipeline("text-generation", model=str(folder)))
