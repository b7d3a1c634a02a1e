"""leanformers.train: the loop learns a separable toy task, is reproducible, resumes exactly, and refuses bad input.

A tiny random BERT and a 20-word vocabulary built here keep each fit to a second or two."""

import random

import pytest
import torch

from leanformers.models.bert import BertConfig, BertForSequenceClassification
from leanformers.tokenization.bert import BertTokenizer
from leanformers.train import encode_dataset, evaluate, fit, length_bucketed_batches
from support.sst2_checkpoint import one_torch_thread  # noqa: F401 (autouse fixture)

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
NEUTRAL = "the film story plot acting was is a it and".split()
POSITIVE, NEGATIVE = ["good", "great", "fun"], ["bad", "dull", "awful"]



@pytest.fixture(scope="module")
def tokenizer():
    return BertTokenizer(vocab={w: i for i, w in enumerate(SPECIAL + NEUTRAL + POSITIVE + NEGATIVE)})


def toy_dataset(n, seed):
    """Rows of 2-12 neutral words plus one sentiment word that decides the label."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        label = rng.randint(0, 1)
        words = [rng.choice(NEUTRAL) for _ in range(rng.randint(2, 12))]
        words.insert(rng.randint(0, len(words)), rng.choice(POSITIVE if label else NEGATIVE))
        rows.append({"text": " ".join(words), "label": label})
    return rows


def tiny_model(seed=0, num_labels=2):
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(SPECIAL + NEUTRAL + POSITIVE + NEGATIVE), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=4, intermediate_size=37, max_position_embeddings=40, num_labels=num_labels)
    return BertForSequenceClassification(config)


def run(tokenizer, model=None, **kwargs):
    settings = dict(tokenizer=tokenizer, epochs=4, batch_size=16, learning_rate=3e-3, seed=0, progress=False)
    return fit(model or tiny_model(), toy_dataset(256, seed=1), toy_dataset(64, seed=2), **{**settings, **kwargs})


def test_fit_lowers_the_loss_and_learns_a_separable_task(tokenizer):
    model = tiny_model()
    before = evaluate(model, toy_dataset(64, seed=2), tokenizer=tokenizer)
    result = run(tokenizer, model)
    after = result.history[-1]
    assert len(result.history) == 4  # one evaluation per epoch
    assert result.global_step == 4 * 16  # 256 rows / 16 per batch, four epochs
    assert after["loss"] < before["loss"] / 3
    assert after["accuracy"] == 1.0 and after["f1"] == 1.0
    assert result.best["accuracy"] == 1.0


def test_same_seed_same_weights(tokenizer):
    a, b = tiny_model(), tiny_model()
    run(tokenizer, a, epochs=1)
    run(tokenizer, b, epochs=1)
    for (name, pa), pb in zip(a.named_parameters(), b.parameters()):
        assert torch.equal(pa, pb), name


def test_best_checkpoint_is_saved_and_reloads(tokenizer, tmp_path):
    result = run(tokenizer, output_dir=tmp_path, epochs=2)
    best = BertForSequenceClassification.from_pretrained(tmp_path / "best")
    assert evaluate(best, toy_dataset(64, seed=2), tokenizer=tokenizer)["accuracy"] == result.best["accuracy"]


class Interrupted(Exception):
    pass


def test_resume_continues_from_the_saved_step(tokenizer, tmp_path):
    """A run stopped after its checkpoint at step 10 and resumed ends with exactly the weights of a run that never
    stopped: same batches, optimizer moments, schedule and dropout masks."""
    uninterrupted = tiny_model()
    run(tokenizer, uninterrupted, epochs=2, eval_every=5, output_dir=tmp_path / "a")

    def stop_after_step_12(step, loss):
        if step == 12:
            raise Interrupted

    with pytest.raises(Interrupted):
        run(tokenizer, tiny_model(), epochs=2, eval_every=5, output_dir=tmp_path / "b", on_step=stop_after_step_12)
    steps = []
    resumed = tiny_model(seed=7)  # other initial weights: everything trainable must come from the checkpoint
    result = run(tokenizer, resumed, epochs=2, eval_every=5, output_dir=tmp_path / "b", resume=True,
                 on_step=lambda step, loss: steps.append(step))
    assert steps[0] == 11  # the last checkpoint was written at step 10
    assert result.global_step == 32
    for (name, pa), pb in zip(uninterrupted.named_parameters(), resumed.parameters()):
        torch.testing.assert_close(pa, pb, rtol=0, atol=1e-6, msg=name)


def test_resume_with_other_settings_is_refused(tokenizer, tmp_path):
    run(tokenizer, epochs=1, output_dir=tmp_path)
    with pytest.raises(ValueError, match="resume with the same settings"):
        run(tokenizer, epochs=1, batch_size=8, output_dir=tmp_path, resume=True)
    with pytest.raises(FileNotFoundError, match="training_state.pt"):
        run(tokenizer, epochs=1, output_dir=tmp_path / "nothing", resume=True)


def test_length_bucketed_batches_cover_every_row_once_with_little_padding():
    lengths = [random.Random(i).randint(1, 60) for i in range(1000)]
    batches = length_bucketed_batches(lengths, 32, torch.Generator().manual_seed(0))
    assert sorted(i for batch in batches for i in batch) == list(range(1000))
    padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    assert padded < 1.1 * sum(lengths)  # random batches would pad to about 1.8x
    again = length_bucketed_batches(lengths, 32, torch.Generator().manual_seed(0))
    assert batches == again


def test_dict_of_columns_is_accepted(tokenizer):
    rows = toy_dataset(8, seed=3)
    columns = {"text": [r["text"] for r in rows], "label": [r["label"] for r in rows]}
    assert encode_dataset(columns, tokenizer) == encode_dataset(rows, tokenizer)


@pytest.mark.parametrize("bad, message", [
    ([{"text": "good", "label": 2}], r"row 0: label 2 is not an integer in \[0, 2\)"),
    ([{"text": "good", "label": -1}], r"row 0: label -1"),
    ([{"text": "good", "label": 1.0}], r"row 0: label 1.0"),
    ([], "train_dataset is empty"),
    ({"text": [], "label": []}, "train_dataset is empty"),
    ([{"sentence": "good", "label": 1}], r"row 0 has no 'text' field \(it has \['label', 'sentence'\]\)"),
    ({"sentence": ["good"], "label": [1]}, r"no column 'text' \(its columns: \['label', 'sentence'\]\)"),
    ([{"text": None, "label": 1}], r"row 0: 'text' is NoneType, expected a string"),
])
def test_bad_datasets_are_refused_with_the_row(tokenizer, bad, message):
    with pytest.raises(ValueError, match=message):
        fit(tiny_model(), bad, tokenizer=tokenizer, progress=False)


@pytest.mark.parametrize("setting, message", [
    ({"learning_rate": 0}, r"learning_rate=0 is not valid: it must be a positive number"),
    ({"learning_rate": -1e-5}, "learning_rate=-1e-05 is not valid"),
    ({"epochs": 0}, "epochs=0 is not valid"),
    ({"batch_size": 0}, "batch_size=0 is not valid"),
    ({"warmup_ratio": 1.5}, "warmup_ratio=1.5 is not valid"),
    ({"resume": True}, "resume=True needs output_dir"),
])
def test_bad_settings_are_refused(tokenizer, setting, message):
    with pytest.raises(ValueError, match=message):
        fit(tiny_model(), toy_dataset(4, seed=0), tokenizer=tokenizer, progress=False, **setting)


def test_label_outside_a_larger_head_is_refused_in_the_eval_set_too(tokenizer):
    with pytest.raises(ValueError, match=r"eval_dataset row 1: label 3 is not an integer in \[0, 3\)"):
        fit(tiny_model(num_labels=3), toy_dataset(4, seed=0), [{"text": "good", "label": 0},
                                                                {"text": "bad", "label": 3}],
            tokenizer=tokenizer, progress=False)
