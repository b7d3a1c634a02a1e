"""A save killed with SIGKILL at any instant leaves a folder that loads as the old save or the new one, bit for bit.

A child process (forked, so it starts in milliseconds) saves model, tokenizer and LoRA adapter A, then B, each
into its own folder, and is killed: either at a chosen rename or removal of the save (every step of it, in
turn), or after a random delay while it saves A and B alternately in a loop. The parent then loads each folder
as a user would and compares what it got with A and with B. Model B is sharded and A is not, so a switch also
removes stale files. (POSIX only: fork and SIGKILL.)
"""

import multiprocessing
import os
import random
import signal

import pytest
import torch

from leanformers import (BertConfig, BertForSequenceClassification, BertTokenizer, GenerationConfig, GPT2Config,
                         GPT2LMHeadModel)
from leanformers.utils.files import JOURNAL_PATTERN
from leanformers.lora import add_lora, load_lora, lora_state_dict, save_lora

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork() and SIGKILL (POSIX)")

RANDOM_KILLS = 50
ADAPTED_CONFIG = BertConfig(vocab_size=20, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                            intermediate_size=12, max_position_embeddings=16)


def make_save(seed, tmp_path):
    """Model, tokenizer and adapter that differ from those of any other seed in config, weights and vocabulary."""
    torch.manual_seed(seed)
    config = GPT2Config(vocab_size=40, n_embd=16, n_layer=1 + seed % 2, n_head=2, n_positions=32,
                        layer_norm_epsilon=10.0 ** -(5 + seed))
    model = GPT2LMHeadModel(config).eval()
    model.generation_config = GenerationConfig(max_new_tokens=3 + seed, do_sample=False)
    vocab = tmp_path / f"vocab-{seed}.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *(f"w{seed}x{i}" for i in range(9))]),
                     encoding="utf-8")
    tokenizer = BertTokenizer(vocab_file=str(vocab), do_lower_case=bool(seed % 2))
    adapted = add_lora(BertForSequenceClassification(ADAPTED_CONFIG), r=2 + seed)
    with torch.no_grad():
        for tensor in lora_state_dict(adapted).values():
            tensor.normal_()
    return {"model": model, "tokenizer": tokenizer, "adapter": adapted, "shard": "50GB" if seed % 2 else "4KB"}


def save(parts, folder):
    parts["model"].save_pretrained(folder / "model", max_shard_size=parts["shard"])
    parts["tokenizer"].save_pretrained(folder / "tokenizer")
    save_lora(parts["adapter"], folder / "adapter")


def visible_files(folder):
    """{name: bytes} of the files a load may read (hidden temporary files of a killed save are left out)."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if not p.name.startswith(".")}


def load_as_a_user_would(folder):
    model = GPT2LMHeadModel.from_pretrained(folder / "model")
    tokenizer = BertTokenizer.from_pretrained(folder / "tokenizer")
    adapted = load_lora(BertForSequenceClassification(ADAPTED_CONFIG), folder / "adapter")
    return {"model": model, "tokenizer": tokenizer, "adapter": adapted}


def same_model(a, b):
    return (a.config.to_dict() == b.config.to_dict()
            and a.generation_config.to_dict() == b.generation_config.to_dict()
            and a.state_dict().keys() == b.state_dict().keys()
            and all(torch.equal(t, b.state_dict()[k]) for k, t in a.state_dict().items()))


def same_tokenizer(a, b):
    return a.get_vocab() == b.get_vocab() and a.do_lower_case == b.do_lower_case


def same_adapter(a, b):
    sa, sb = lora_state_dict(a), lora_state_dict(b)
    return a.lora_config.r == b.lora_config.r and sa.keys() == sb.keys() and all(torch.equal(t, sb[k]) for k, t in sa.items())


@pytest.fixture(scope="module")
def saves(tmp_path_factory):
    """The two saves, and the files each one writes when nothing interrupts it."""
    tmp_path = tmp_path_factory.mktemp("saves")
    parts = {"A": make_save(0, tmp_path), "B": make_save(1, tmp_path)}
    files = {}
    for name, p in parts.items():
        save(p, tmp_path / name)
        files[name] = {kind: visible_files(tmp_path / name / kind) for kind in ("model", "tokenizer", "adapter")}
    assert files["A"]["model"].keys() != files["B"]["model"].keys()  # the switch removes stale shards
    return parts, files


def assert_old_or_new(folder, saves):
    """Load every folder, then check each one is wholly A's or wholly B's, as loaded and as files."""
    parts, files = saves
    loaded = load_as_a_user_would(folder)  # a load completes a save killed after its switch
    same = {"model": same_model, "tokenizer": same_tokenizer, "adapter": same_adapter}
    seen = {}
    for kind, equal in same.items():
        matches = [name for name in ("A", "B") if equal(loaded[kind], parts[name][kind])]
        assert len(matches) == 1, f"the {kind} loaded after the kill is neither save A nor save B"
        assert visible_files(folder / kind) == files[matches[0]][kind], f"{kind} folder mixes saves"
        seen[kind] = matches[0]
    # no journal is left: the load carried out the one a kill after the switch left behind
    assert not any(JOURNAL_PATTERN.fullmatch(p.name) for kind in same for p in (folder / kind).iterdir())
    return seen


def run_child(target, *args):
    """Run `target(*args)` in a forked child; return once the child has died (killed, as the tests arrange)."""
    child = multiprocessing.get_context("fork").Process(target=target, args=args)
    child.start()
    child.join()
    return child.exitcode


def save_then_die_at_step(parts, folder, step):
    """Save A completely, then B, SIGKILLing this process just before the `step`-th rename or removal of B's save."""
    save(parts["A"], folder)
    calls = 0

    def dying(real):
        def call(*args, **kwargs):
            nonlocal calls
            calls += 1
            if calls == step:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        return call

    os.replace, os.remove = dying(os.replace), dying(os.remove)
    save(parts["B"], folder)
    os._exit(0)  # every step was passed: the save of B ran to its end


def test_kill_at_every_step_of_a_save_leaves_old_or_new(tmp_path, saves):
    step, outcomes = 1, []
    while True:
        folder = tmp_path / f"step-{step}"
        exitcode = run_child(save_then_die_at_step, saves[0], folder, step)
        seen = assert_old_or_new(folder, saves)
        if exitcode == 0:
            assert seen == dict.fromkeys(seen, "B")
            break
        assert exitcode == -signal.SIGKILL
        outcomes.append(tuple(seen.values()))
        step += 1
    # the kills landed before and after each save's switch, so both outcomes occurred for every folder
    assert {o[0] for o in outcomes} == {"A", "B"} and {o[2] for o in outcomes} == {"A", "B"}


def save_in_a_loop(parts, folder, ready):
    save(parts["A"], folder)
    ready.set()
    while True:
        save(parts["B"], folder)
        save(parts["A"], folder)


def test_kill_at_a_random_instant_leaves_old_or_new(tmp_path, saves):
    rng = random.Random(0)
    ctx = multiprocessing.get_context("fork")
    folder = tmp_path / "looped"
    for _ in range(RANDOM_KILLS):
        ready = ctx.Event()
        child = ctx.Process(target=save_in_a_loop, args=(saves[0], folder, ready))
        child.start()
        assert ready.wait(60), "the saving child did not complete its first save"
        # a random instant within the next few saves; the delay only spreads the kills, nothing is timed
        child.join(rng.uniform(0, 0.2))
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        assert child.exitcode == -signal.SIGKILL
        assert_old_or_new(folder, saves)
