"""An impossible value of a pipeline's option (top_k=-1, batch_size=0, max_new_tokens=-1, num_beams=2.5, ...) is a
ValueError naming the option, the value and what is allowed, for every pipeline, whether given to the call or when
the pipeline is built; the smallest allowed values and numpy integers still run as transformers runs them.

A GPT-2 tokenizer has no pad token: the text-classification pipeline then runs one text at a time by default (as
transformers, whose default batch is 1), and an explicit batch_size > 1 over texts of different lengths is a
ValueError naming pad_token and the fix (transformers raises too); the fix then gives transformers' results.
A language-model or masked-LM folder given to text classification loads with a new head and the same load report as
transformers (no TypeError on the missing pad token)."""

import logging
import re
import warnings

import numpy as np
import pytest

import leanformers
from support.generative_models import CORPUS, assert_same_result, bpe_checkpoint, gpt2_config, wordpiece_checkpoint
from support.tiny_models import assert_same_report, captured, model_test_settings

transformers = pytest.importorskip("transformers")

TEXTS = ["Once upon a time", CORPUS[0], "Paris", CORPUS[3]]  # of different lengths
LABELS = ["O", "B-PER", "I-PER"]


@pytest.fixture(scope="module", autouse=True)
def quiet():
    with model_test_settings(logging.ERROR), warnings.catch_warnings():
        warnings.filterwarnings("ignore", module="transformers")
        yield


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    made = {
        "gpt2-lm": bpe_checkpoint(tmp_path_factory.mktemp("gpt2-lm"), "GPT2LMHeadModel", gpt2_config(),
                                  "GPT2TokenizerFast"),
        "gpt2-classifier": bpe_checkpoint(tmp_path_factory.mktemp("gpt2-cls"), "GPT2ForSequenceClassification",
                                          gpt2_config(), "GPT2TokenizerFast"),
        "bert-mlm": wordpiece_checkpoint(tmp_path_factory.mktemp("bert-mlm"), "BertForMaskedLM"),
        "bert-classifier": wordpiece_checkpoint(tmp_path_factory.mktemp("bert-cls"), "BertForSequenceClassification"),
        "bert-ner": wordpiece_checkpoint(tmp_path_factory.mktemp("bert-ner"), "BertForTokenClassification",
                                         id2label=dict(enumerate(LABELS)),
                                         label2id={label: i for i, label in enumerate(LABELS)}),
        "bert-qa": wordpiece_checkpoint(tmp_path_factory.mktemp("bert-qa"), "BertForQuestionAnswering"),
    }
    return {name: str(folder) for name, folder in made.items()}


@pytest.fixture(scope="module")
def pipes(folders):
    return {
        "text-classification": leanformers.pipeline("text-classification", model=folders["bert-classifier"]),
        "fill-mask": leanformers.pipeline("fill-mask", model=folders["bert-mlm"]),
        "ner": leanformers.pipeline("ner", model=folders["bert-ner"]),
        "question-answering": leanformers.pipeline("question-answering", model=folders["bert-qa"]),
        "text-generation": leanformers.pipeline("text-generation", model=folders["gpt2-lm"]),
    }


INPUTS = {
    "text-classification": ([CORPUS[0], CORPUS[3]],),
    "fill-mask": ("paris is the [MASK] of france.",),
    "ner": (CORPUS[4],),
    "question-answering": ("where does he live?", CORPUS[4]),
    "text-generation": (["Once upon a time", "The quick brown fox"],),
}
INT = "a positive integer"
COUNT = "0 or a positive integer"
# (task, options, what is allowed, what None means): the first option is the impossible one, the message
# "{option} must be {allowed}, got {value!r}." or, where None is allowed, "... got {value!r} (or None: {meaning})."
IMPOSSIBLE = [
    ("text-classification", {"top_k": -1}, COUNT, "every label"),
    ("text-classification", {"top_k": 1.5}, COUNT, "every label"),
    ("text-classification", {"top_k": True}, COUNT, "every label"),
    ("text-classification", {"batch_size": 0}, INT, None),
    ("text-classification", {"batch_size": "8"}, INT, None),
    ("text-classification", {"num_workers": -1}, COUNT, None),
    ("text-classification", {"max_batch_tokens": 0}, INT, "no limit"),
    ("text-classification", {"max_length": 0}, INT, "the model's maximum"),
    ("fill-mask", {"top_k": -1}, COUNT, None),
    ("ner", {"stride": -1, "aggregation_strategy": "simple"}, COUNT, "no windows"),
    ("question-answering", {"top_k": 0}, INT, None),
    ("question-answering", {"max_answer_len": 0}, INT, None),
    ("question-answering", {"max_seq_len": -5}, INT, "the tokenizer's, at most 384"),
    ("question-answering", {"doc_stride": -1}, COUNT, "half of max_seq_len, at most 128"),
    ("text-generation", {"batch_size": 0}, INT, None),
    ("text-generation", {"max_new_tokens": -1}, INT, "up to max_length"),
    ("text-generation", {"max_length": 0}, INT, "the model's maximum"),
    ("text-generation", {"num_beams": 0, "max_new_tokens": 3}, INT, None),
    ("text-generation", {"num_beams": 2.5, "max_new_tokens": 3}, INT, None),
    ("text-generation", {"num_return_sequences": 0, "max_new_tokens": 3}, INT, None),
    ("text-generation", {"top_k": -1, "do_sample": True, "max_new_tokens": 3}, COUNT, "no top-k filtering"),
]


def case_id(case):
    task, options = case[:2]
    return f"{task}-" + "-".join(f"{key}={value!r}" for key, value in options.items())


@pytest.mark.parametrize("task, options, allowed, none", IMPOSSIBLE, ids=[case_id(case) for case in IMPOSSIBLE])
def test_impossible_option_value_names_the_option_the_value_and_what_is_allowed(pipes, task, options, allowed, none):
    name, value = next(iter(options.items()))
    message = f"{name} must be {allowed}, got {value!r}" + (f" (or None: {none})." if none else ".")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        pipes[task](*INPUTS[task], **options)


def test_temperature_zero_when_sampling_names_temperature(pipes):
    with pytest.raises(ValueError, match=r"^temperature must be a strictly positive float when sampling, got 0; "
                                         r"for greedy decoding use do_sample=False\.$"):
        pipes["text-generation"]("Once upon a time", do_sample=True, temperature=0, max_new_tokens=3)


@pytest.mark.parametrize("options", [{"batch_size": -2}, {"num_workers": -1}, {"top_k": -1}])
def test_impossible_value_given_when_the_pipeline_is_built_is_refused_then(folders, options):
    (name, value), = options.items()
    with pytest.raises(ValueError, match=rf"^{name} must be .*, got {value}[ .]"):
        leanformers.pipeline("text-classification", model=folders["bert-classifier"], **options)


def test_smallest_allowed_values_and_numpy_integers_run_as_transformers(folders, pipes):
    theirs = transformers.pipeline("text-classification", model=folders["bert-classifier"])
    ours = pipes["text-classification"]
    assert_same_result(ours(TEXTS, top_k=np.int64(2), batch_size=np.int32(1)), theirs(TEXTS, top_k=2))
    assert_same_result(ours(TEXTS, top_k=0, num_workers=0), theirs(TEXTS, top_k=0))
    ner = transformers.pipeline("ner", model=folders["bert-ner"])
    assert_same_result(pipes["ner"](CORPUS[4], stride=0, aggregation_strategy="simple", ignore_labels=[]),
                       ner(CORPUS[4], stride=0, aggregation_strategy="simple", ignore_labels=[]))


# ----------------------------------------------------------------- a tokenizer without a pad token

@pytest.fixture(scope="module")
def gpt2_classifiers(folders):
    theirs = transformers.pipeline("text-classification", model=folders["gpt2-classifier"])
    ours = leanformers.pipeline("text-classification", model=folders["gpt2-classifier"])
    assert ours.tokenizer.pad_token is None and theirs.tokenizer.pad_token is None
    return theirs, ours


def test_tokenizer_without_pad_token_classifies_one_text_at_a_time_by_default(gpt2_classifiers):
    theirs, ours = gpt2_classifiers
    assert_same_result(ours(TEXTS), theirs(TEXTS))
    assert_same_result(ours(TEXTS[0]), theirs(TEXTS[0]))
    assert_same_result(list(ours(iter(TEXTS), top_k=None)), theirs(TEXTS, top_k=None))


def test_tokenizer_without_pad_token_and_batch_size_2_is_an_error_naming_pad_token_and_the_fix(gpt2_classifiers):
    theirs, ours = gpt2_classifiers
    with pytest.raises(ValueError, match="without pad_token cannot do batching"):
        theirs(TEXTS, batch_size=2)
    fix = (r"Set one \(`pipe.tokenizer.pad_token = pipe.tokenizer.eos_token` and "
           r"`pipe.model.config.pad_token_id = pipe.tokenizer.pad_token_id`\) or pass batch_size=1\.$")
    with pytest.raises(ValueError, match=r"^Batching texts \(batch_size=2\) pads them to one length, and the tokenizer "
                                         r"has no pad token \(pad_token is None\)\. " + fix):
        ours(TEXTS, batch_size=2)
    with pytest.raises(ValueError, match=r"pad_token is None"):
        list(ours(iter(TEXTS), batch_size=3, num_workers=1))  # the overlapped path says the same


def test_the_pad_token_fix_gives_transformers_batched_results(folders):
    theirs = transformers.pipeline("text-classification", model=folders["gpt2-classifier"])
    ours = leanformers.pipeline("text-classification", model=folders["gpt2-classifier"])
    for pipe in (theirs, ours):
        pipe.tokenizer.pad_token = "<pad>"  # in the trained vocabulary (its eos token is not)
        pipe.model.config.pad_token_id = pipe.tokenizer.pad_token_id
    assert_same_result(ours(TEXTS, batch_size=4), theirs(TEXTS, batch_size=4))


def test_text_generation_without_pad_token_and_batch_size_2_is_an_error_naming_pad_token(folders, pipes):
    theirs = transformers.pipeline("text-generation", model=folders["gpt2-lm"])
    with pytest.raises(ValueError, match="without pad_token cannot do batching"):
        theirs(TEXTS[:2], batch_size=2, max_new_tokens=3, do_sample=False)
    ours = pipes["text-generation"]
    with pytest.raises(ValueError, match=r"^Batching prompts \(batch_size=2\) pads them to one length, and the "
                                         r"tokenizer has no pad token \(pad_token is None\)\. Set one "
                                         r"\(`pipe.tokenizer.pad_token = pipe.tokenizer.eos_token`\) or pass "
                                         r"batch_size=1\.$"):
        ours(TEXTS[:2], batch_size=2, max_new_tokens=3, do_sample=False)
    # one prompt is never padded, whatever the batch size
    assert_same_result(ours(TEXTS[0], batch_size=4, max_new_tokens=3, do_sample=False),
                       theirs(TEXTS[0], batch_size=4, max_new_tokens=3, do_sample=False))


# ----------------------------------------------------------------- a folder that is not a classifier

@pytest.mark.parametrize("name, model_class", [("gpt2-lm", "GPT2ForSequenceClassification"),
                                               ("bert-mlm", "BertForSequenceClassification")])
def test_classifying_with_a_folder_that_is_no_classifier_loads_a_new_head_as_transformers(folders, name,
                                                                                          model_class):
    with model_test_settings(logging.WARNING), captured("transformers.modeling_utils") as theirs_log:
        theirs = transformers.pipeline("text-classification", model=folders[name])
    with captured("leanformers.modeling") as ours_log:
        ours = leanformers.pipeline("text-classification", model=folders[name])
    assert_same_report([m for m in theirs_log if "LOAD REPORT" in m], ours_log)
    assert "MISSING" in ours_log[0] and type(ours.model).__name__ == type(theirs.model).__name__ == model_class
    labels = set(theirs.model.config.id2label.values())
    for pipe in (theirs, ours):  # the new head is random, its scores too: the form of the results is the same
        results = pipe(TEXTS)
        assert len(results) == len(TEXTS) and all(r.keys() == {"label", "score"} for r in results)
        assert {r["label"] for r in results} <= labels and [r.keys() for r in pipe(TEXTS[0])] == [{"label", "score"}]
