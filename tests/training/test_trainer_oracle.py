"""leanformers.Trainer against transformers.Trainer: with the same seed, data and tiny random BERT (saved by
transformers, dropout on), the same batches, per-step losses, gradient norms, learning rates, evaluations and final
weights, on the CPU. Also evaluate / predict / save_model, torch datasets, and the arguments it refuses."""

import numpy as np
import pytest
import torch

import leanformers
from support.sst2_checkpoint import one_torch_thread  # noqa: F401 (autouse fixture)
from support.tiny_models import build_transformers_model

transformers = pytest.importorskip("transformers")
TOL = 1e-5


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-bert-classifier")
    build_transformers_model("bert", "ForSequenceClassification", "h32-l2").save_pretrained(folder)
    return str(folder)


def examples(n, seed):
    """Rows of 4-11 random ids and a random label, as a tokenized dataset of a task guide."""
    g = torch.Generator().manual_seed(seed)
    rows = []
    for _ in range(n):
        length = int(torch.randint(4, 12, (1,), generator=g))
        rows.append({"input_ids": torch.randint(3, 99, (length,), generator=g).tolist(),
                     "label": int(torch.randint(0, 2, (1,), generator=g))})
    return rows


TRAIN, EVAL = examples(64, 1), examples(16, 2)


def pad_collate(features):
    """Right padding with id 0 (the tiny BERT's pad id); given to both Trainers."""
    width = max(len(f["input_ids"]) for f in features)
    input_ids = torch.zeros(len(features), width, dtype=torch.long)
    attention_mask = torch.zeros_like(input_ids)
    for row, f in enumerate(features):
        input_ids[row, :len(f["input_ids"])] = torch.tensor(f["input_ids"])
        attention_mask[row, :len(f["input_ids"])] = 1
    return {"input_ids": input_ids, "attention_mask": attention_mask,
            "labels": torch.tensor([f["label"] for f in features])}


def accuracy(eval_pred):
    logits, labels = eval_pred
    assert isinstance(logits, np.ndarray) and isinstance(labels, np.ndarray)
    return {"accuracy": float((logits.argmax(-1) == labels).mean())}


def run(lib, folder, output_dir, train=TRAIN, eval_dataset=EVAL, **overrides):
    settings = dict(output_dir=str(output_dir), learning_rate=1e-3, per_device_train_batch_size=8,
                    per_device_eval_batch_size=8, num_train_epochs=2, weight_decay=0.01, eval_strategy="epoch",
                    save_strategy="epoch", logging_steps=1, seed=42, report_to="none", use_cpu=True,
                    disable_tqdm=True)
    settings.update(overrides)
    model = lib.BertForSequenceClassification.from_pretrained(folder)
    trainer = lib.Trainer(model=model, args=lib.TrainingArguments(**settings), train_dataset=train,
                          eval_dataset=eval_dataset, data_collator=pad_collate, compute_metrics=accuracy)
    output = trainer.train()
    return trainer, output


def step_logs(trainer):
    return [entry for entry in trainer.state.log_history if "loss" in entry]


def eval_logs(trainer):
    return [entry for entry in trainer.state.log_history if "eval_loss" in entry]


def assert_same_weights(theirs, ours):
    theirs, ours = theirs.state_dict(), ours.state_dict()
    assert set(theirs) == set(ours)
    worst = max((theirs[k] - ours[k]).abs().max().item() for k in theirs)
    assert worst < TOL, worst


def test_same_steps_losses_evaluations_and_weights_as_transformers(model_folder, tmp_path):
    settings = dict(load_best_model_at_end=True, metric_for_best_model="eval_loss")
    theirs, their_output = run(transformers, model_folder, tmp_path / "theirs", **settings)
    ours, our_output = run(leanformers, model_folder, tmp_path / "ours", **settings)

    assert len(step_logs(ours)) == len(step_logs(theirs)) == 16  # 64 examples / 8, twice
    for mine, reference in zip(step_logs(ours), step_logs(theirs)):
        assert set(mine) == set(reference)  # loss, grad_norm, learning_rate, epoch, step
        assert mine["step"] == reference["step"] and mine["epoch"] == pytest.approx(reference["epoch"])
        assert mine["loss"] == pytest.approx(reference["loss"], abs=TOL)
        assert mine["grad_norm"] == pytest.approx(reference["grad_norm"], abs=TOL)
        assert mine["learning_rate"] == pytest.approx(reference["learning_rate"], rel=1e-9)
    assert [e["step"] for e in eval_logs(ours)] == [e["step"] for e in eval_logs(theirs)] == [8, 16]
    for mine, reference in zip(eval_logs(ours), eval_logs(theirs)):
        assert mine["eval_loss"] == pytest.approx(reference["eval_loss"], abs=TOL)
        assert mine["eval_accuracy"] == reference["eval_accuracy"]
        assert mine["epoch"] == reference["epoch"]
    assert our_output.global_step == their_output.global_step == 16
    assert our_output.training_loss == pytest.approx(their_output.training_loss, abs=TOL)
    assert our_output.metrics["train_loss"] == pytest.approx(their_output.metrics["train_loss"], abs=TOL)
    assert our_output.metrics["epoch"] == their_output.metrics["epoch"] == 2.0
    global_step, training_loss, metrics = our_output  # unpacks as transformers' TrainOutput
    assert ours.state.best_metric == pytest.approx(theirs.state.best_metric, abs=TOL)
    assert_same_weights(theirs.model, ours.model)  # the best (lowest eval_loss) model, loaded at the end

    mine, reference = ours.evaluate(), theirs.evaluate()
    assert {"eval_loss", "eval_accuracy", "epoch"} <= set(mine)
    assert {k for k in mine if not k.endswith("runtime") and "per_second" not in k} == \
        {k for k in reference if not k.endswith("runtime") and "per_second" not in k}
    assert mine["eval_loss"] == pytest.approx(reference["eval_loss"], abs=TOL)
    assert mine["eval_accuracy"] == reference["eval_accuracy"] and mine["epoch"] == reference["epoch"]


def test_eval_every_n_steps_without_checkpoints(model_folder, tmp_path):
    # logging_steps under 1: a share of all the steps (0.2 * 16 -> every 4)
    settings = dict(eval_strategy="steps", eval_steps=5, save_strategy="no", logging_steps=0.2, weight_decay=0.0)
    theirs, _ = run(transformers, model_folder, tmp_path / "theirs", **settings)
    ours, _ = run(leanformers, model_folder, tmp_path / "ours", **settings)
    assert [e["step"] for e in step_logs(ours)] == [e["step"] for e in step_logs(theirs)] == [4, 8, 12, 16]
    for mine, reference in zip(step_logs(ours), step_logs(theirs)):  # the mean over the steps since the last log
        assert mine["loss"] == pytest.approx(reference["loss"], abs=TOL)
    # every 5 steps, and after the last
    assert [e["step"] for e in eval_logs(ours)] == [e["step"] for e in eval_logs(theirs)] == [5, 10, 15, 16]
    for mine, reference in zip(eval_logs(ours), eval_logs(theirs)):
        assert mine["eval_loss"] == pytest.approx(reference["eval_loss"], abs=TOL)
    assert_same_weights(theirs.model, ours.model)
    assert not (tmp_path / "ours").exists()  # save_strategy="no" writes nothing


class Rows(torch.utils.data.Dataset):
    def __init__(self, rows):
        self.rows = rows

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, index):
        return self.rows[index]


def test_a_torch_dataset_trains_as_the_list_does(model_folder, tmp_path):
    settings = dict(eval_strategy="no", save_strategy="no", num_train_epochs=1)
    from_list, _ = run(leanformers, model_folder, tmp_path / "a", **settings)
    from_dataset, _ = run(leanformers, model_folder, tmp_path / "b", train=Rows(TRAIN), eval_dataset=Rows(EVAL),
                          **settings)
    assert [e["loss"] for e in step_logs(from_list)] == [e["loss"] for e in step_logs(from_dataset)]


def test_predict_and_save_model(model_folder, tmp_path):
    settings = dict(eval_strategy="no", save_strategy="no", num_train_epochs=1)
    theirs, _ = run(transformers, model_folder, tmp_path / "theirs", **settings)
    ours, _ = run(leanformers, model_folder, tmp_path / "ours", **settings)
    mine, reference = ours.predict(EVAL), theirs.predict(EVAL)
    assert mine.predictions.shape == reference.predictions.shape == (16, 2)
    assert np.abs(mine.predictions - reference.predictions).max() < TOL
    np.testing.assert_array_equal(mine.label_ids, reference.label_ids)
    assert mine.metrics["test_loss"] == pytest.approx(reference.metrics["test_loss"], abs=TOL)
    assert mine.metrics["test_accuracy"] == reference.metrics["test_accuracy"]
    predictions, label_ids, metrics = mine

    saved = tmp_path / "saved"
    ours.save_model(str(saved))
    reloaded = transformers.BertForSequenceClassification.from_pretrained(saved).eval()
    batch = pad_collate(EVAL)
    with torch.no_grad():
        logits = reloaded(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    assert np.abs(logits.numpy() - mine.predictions).max() < TOL


def test_arguments_transformers_5_refuses_or_leanformers_cannot_honour():
    for lib in (transformers, leanformers):  # transformers 5 dropped the old name
        with pytest.raises(TypeError):
            lib.TrainingArguments(output_dir="x", evaluation_strategy="epoch")
    with pytest.raises(ValueError, match="does not upload"):
        leanformers.TrainingArguments(output_dir="x", push_to_hub=True)
    with pytest.raises(ValueError, match="eval_strategy"):
        leanformers.TrainingArguments(output_dir="x", eval_strategy="sometimes")
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        leanformers.TrainingArguments(output_dir="x", gradient_accumulation_steps=2)
    with pytest.raises(ValueError, match="load_best_model_at_end"):
        leanformers.TrainingArguments(output_dir="x", load_best_model_at_end=True, eval_strategy="epoch",
                                      save_strategy="steps")
    args, reference = leanformers.TrainingArguments(output_dir="x"), transformers.TrainingArguments(output_dir="x")
    for name in ("learning_rate", "per_device_train_batch_size", "per_device_eval_batch_size", "num_train_epochs",
                 "weight_decay", "adam_beta1", "adam_beta2", "adam_epsilon", "max_grad_norm", "warmup_steps",
                 "logging_steps", "save_steps", "seed", "load_best_model_at_end", "push_to_hub", "report_to", "optim",
                 "eval_strategy", "save_strategy", "output_dir"):
        assert getattr(args, name) == getattr(reference, name), name


def test_without_a_collator_a_tokenizer_pads_as_data_collator_with_padding(model_folder, tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(94)]) + "\n")
    transformers.BertTokenizer(str(vocab)).save_pretrained(tmp_path / "tokenizer")
    runs = {}
    for lib in (transformers, leanformers):
        args = lib.TrainingArguments(output_dir=str(tmp_path / lib.__name__), num_train_epochs=1, logging_steps=1,
                                     learning_rate=1e-3, per_device_train_batch_size=8, save_strategy="no",
                                     report_to="none", use_cpu=True, disable_tqdm=True)
        trainer = lib.Trainer(model=lib.BertForSequenceClassification.from_pretrained(model_folder), args=args,
                              train_dataset=TRAIN, processing_class=lib.AutoTokenizer.from_pretrained(
                                  tmp_path / "tokenizer"))
        trainer.train()
        runs[lib.__name__] = [e["loss"] for e in step_logs(trainer)]
    assert len(runs["leanformers"]) == 8
    assert np.abs(np.subtract(runs["leanformers"], runs["transformers"])).max() < TOL


def test_resuming_an_interrupted_run_ends_where_the_whole_run_does(model_folder, tmp_path):
    whole, _ = run(leanformers, model_folder, tmp_path / "whole")
    calls = []

    def fails_at_the_second_evaluation(eval_pred):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return accuracy(eval_pred)

    settings = dict(output_dir=str(tmp_path / "cut"), learning_rate=1e-3, per_device_train_batch_size=8,
                    num_train_epochs=2, weight_decay=0.01, eval_strategy="epoch", save_strategy="epoch",
                    logging_steps=1, report_to="none", use_cpu=True, disable_tqdm=True)
    for compute_metrics, resume in ((fails_at_the_second_evaluation, None), (accuracy, True)):
        trainer = leanformers.Trainer(model=leanformers.BertForSequenceClassification.from_pretrained(model_folder),
                                      args=leanformers.TrainingArguments(**settings), train_dataset=TRAIN,
                                      eval_dataset=EVAL, data_collator=pad_collate, compute_metrics=compute_metrics)
        if resume is None:
            with pytest.raises(KeyboardInterrupt):
                trainer.train()
        else:
            output = trainer.train(resume_from_checkpoint=True)
    assert output.global_step == 16
    assert [e["loss"] for e in step_logs(trainer)] == [e["loss"] for e in step_logs(whole)][8:]
    assert_same_weights(whole.model, trainer.model)
