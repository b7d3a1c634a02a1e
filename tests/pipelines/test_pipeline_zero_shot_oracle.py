"""pipeline("zero-shot-classification") against transformers' pipeline on tiny random NLI checkpoints saved by
transformers: a BART classifier (byte-level BPE; labels contradiction, neutral, entailment) and a BERT one
(WordPiece; ENTAILMENT first, so the contradiction logit is the last one). Labels in the same order and scores
within 1e-5 for one text, several texts, labels as a list or a comma string, one label, a custom template,
multi_label True/False, batch_size 2 (pairs of different lengths padded together), a premise cut to the
tokenizer's length (truncation="only_first") and a hypothesis too long for that (kept whole, as transformers),
call defaults given when the pipeline is built, and a config without an entailment label (the last logit, with
transformers' warning). Bad input is a ValueError naming the argument and the fix; what transformers raises for
the same input is checked beside it."""

import logging
import warnings

import pytest

import leanformers
from leanformers.pipelines import TASKS
from support.generative_models import CORPUS, assert_same_result, bart_config, bpe_checkpoint, wordpiece_checkpoint
from support.tiny_models import model_test_settings

transformers = pytest.importorskip("transformers")

NLI = {0: "contradiction", 1: "neutral", 2: "entailment"}
NLI_ENTAILMENT_FIRST = {0: "ENTAILMENT", 1: "NEUTRAL", 2: "CONTRADICTION"}
TEXT = "paris is the capital of france."
# of different lengths; the BERT tokenizer (model_max_length 64) cuts the last one's premise
TEXTS = [TEXT, CORPUS[1].lower(), "the robot", (CORPUS[0].lower() + " ") * 4]
LABELS = ["robot", "the capital of france", "sea", "dog"]  # hypotheses of different lengths: batches pad


def labelled(id2label):
    return dict(num_labels=len(id2label), id2label=id2label, label2id={v: k for k, v in id2label.items()})


@pytest.fixture(scope="module", autouse=True)
def quiet():
    with model_test_settings(logging.ERROR), warnings.catch_warnings():
        warnings.filterwarnings("ignore", module="transformers")
        yield


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return {
        "bart": bpe_checkpoint(tmp_path_factory.mktemp("bart-nli"), "BartForSequenceClassification",
                               bart_config(max_position_embeddings=256, **labelled(NLI)), "BartTokenizerFast"),
        "bert": wordpiece_checkpoint(tmp_path_factory.mktemp("bert-nli"), "BertForSequenceClassification",
                                     **labelled(NLI_ENTAILMENT_FIRST)),
        "bert-no-entailment": wordpiece_checkpoint(tmp_path_factory.mktemp("bert-plain"),
                                                   "BertForSequenceClassification", seed=1, num_labels=3),
    }


def both(folder, **kwargs):
    """(transformers' pipeline, ours) on `folder`."""
    return (transformers.pipeline("zero-shot-classification", model=str(folder), **kwargs),
            leanformers.pipeline("zero-shot-classification", model=str(folder), **kwargs))


@pytest.fixture(scope="module", params=["bart", "bert"])
def pipes(request, folders):
    return both(folders[request.param])


CALLS = {
    "list": dict(candidate_labels=LABELS),
    "comma-string": dict(candidate_labels=" robot, the capital of france,,sea , "),
    "one-label": dict(candidate_labels=["dog"]),  # one label: entailment against contradiction, as multi_label
    "multi-label": dict(candidate_labels=LABELS, multi_label=True),
    "single-label": dict(candidate_labels=LABELS, multi_label=False),
    "template": dict(candidate_labels=LABELS[:3], hypothesis_template="the text is about {} ."),
    "template-multi-label": dict(candidate_labels="sea,dog", hypothesis_template="{}!", multi_label=True),
}


@pytest.mark.parametrize("batch_size", [None, 2])
@pytest.mark.parametrize("call", sorted(CALLS))
def test_same_output_as_transformers(pipes, call, batch_size):
    theirs, ours = pipes
    kwargs = {**CALLS[call], **({"batch_size": batch_size} if batch_size else {})}
    for inputs in (TEXT, TEXTS, TEXTS[1:2]):
        result = ours(inputs, **kwargs)
        assert_same_result(result, theirs(inputs, **kwargs))
        assert isinstance(result, dict) == isinstance(inputs, str)  # one text: a dict; a list: a list of dicts


def test_result_fields(pipes):
    _, ours = pipes
    single = ours(TEXT, candidate_labels=LABELS)
    assert single["sequence"] == TEXT and sorted(single["labels"]) == sorted(LABELS)
    assert single["scores"] == sorted(single["scores"], reverse=True)
    assert sum(single["scores"]) == pytest.approx(1, abs=1e-5)
    multi = ours(TEXT, candidate_labels=LABELS, multi_label=True)["scores"]
    assert all(0 < score < 1 for score in multi) and sum(multi) != pytest.approx(1, abs=1e-3)


def test_labels_as_second_positional_argument(pipes):
    theirs, ours = pipes
    assert_same_result(ours(TEXTS, LABELS[:2]), theirs(TEXTS, LABELS[:2]))
    assert_same_result(ours(TEXT, "robot, sea", multi_label=True), theirs(TEXT, "robot, sea", multi_label=True))


def test_a_stream_gives_an_iterator_of_results(pipes):
    theirs, ours = pipes
    results = ours(iter(TEXTS), candidate_labels=LABELS)
    assert not isinstance(results, list)
    assert_same_result(list(results), theirs(TEXTS, candidate_labels=LABELS))


def test_entailment_label_found_by_name(pipes, folders):
    _, ours = pipes
    expected = 2 if ours.model.config.id2label[2] == "entailment" else 0
    assert ours.entailment_id == expected


def test_call_defaults_given_when_built(folders):
    theirs, ours = both(folders["bert"], candidate_labels="sea, dog, robot", hypothesis_template="about {}",
                        multi_label=True)
    assert_same_result(ours(TEXTS), theirs(TEXTS))
    # the call's own options win over the defaults
    assert_same_result(ours(TEXT, multi_label=False), theirs(TEXT, multi_label=False))


def test_no_entailment_label_uses_the_last_logit_as_transformers(folders, caplog):
    with caplog.at_level(logging.WARNING, logger="leanformers"):
        theirs, ours = both(folders["bert-no-entailment"])
    assert ours.entailment_id == -1 == theirs.entailment_id
    assert "Failed to determine 'entailment' label id" in caplog.text
    for kwargs in (dict(candidate_labels=LABELS), dict(candidate_labels=LABELS, multi_label=True)):
        assert_same_result(ours(TEXTS, **kwargs), theirs(TEXTS, **kwargs))


def test_hypothesis_too_long_to_cut_the_premise_is_kept_whole(folders):
    """With model_max_length 14, no premise can make room for a hypothesis of 13 tokens: transformers then tokenizes
    that pair without truncation (the model takes 64 positions); the long premise's pair with "dog" is still cut."""
    theirs, ours = both(folders["bert"])
    for pipe in (theirs, ours):
        pipe.tokenizer.model_max_length = 14
    kwargs = dict(candidate_labels=["dog", "paris is the capital of france and berlin is the capital of germany"],
                  hypothesis_template="{}")  # "dog" alone: 1 token, so the long premise is cut for it
    encoded = ours._encode([TEXTS[1]] * 2, kwargs["candidate_labels"])
    assert [len(ids) for ids in encoded["input_ids"]] == [14, 35]  # cut; kept whole
    for inputs in (["the robot", TEXTS[1]], TEXTS[1]):
        assert_same_result(ours(inputs, **kwargs), theirs(inputs, **kwargs))
        assert_same_result(ours(inputs, batch_size=2, **kwargs), theirs(inputs, batch_size=2, **kwargs))


def test_default_model_is_transformers(folders):
    from transformers.pipelines import SUPPORTED_TASKS

    default = SUPPORTED_TASKS["zero-shot-classification"]["default"]["model"]
    assert (TASKS["zero-shot-classification"].default_model, TASKS["zero-shot-classification"].default_revision) \
        == default == ("facebook/bart-large-mnli", "d7645e1")
    assert "zero-shot-classification" in leanformers.pipelines.supported_tasks()
    assert leanformers.ZeroShotClassificationPipeline.__name__ == "ZeroShotClassificationPipeline"


# (inputs, call kwargs, our error pattern, transformers' exception type or None where it does not raise)
BAD = {
    "no-candidate-labels": (TEXT, {}, r"needs candidate labels; pass candidate_labels \(e\.g\.", TypeError),
    "empty-label-list": (TEXT, dict(candidate_labels=[]), r"at least one candidate label.*candidate_labels",
                         ValueError),
    "empty-label-string": (TEXT, dict(candidate_labels=" , ,"), r"at least one candidate label", ValueError),
    "labels-not-strings": (TEXT, dict(candidate_labels=5), r"candidate_labels must be a string .* got int 5",
                           TypeError),
    "template-without-braces": (TEXT, dict(candidate_labels=LABELS, hypothesis_template="This example."),
                                r"hypothesis_template 'This example\.' has no \{\} for the label.*put \{\}",
                                ValueError),
    "template-two-fields": (TEXT, dict(candidate_labels=LABELS, hypothesis_template="{} or {}"),
                            r"hypothesis_template '\{\} or \{\}' cannot be formatted with a label \(IndexError",
                            IndexError),
    "template-named-field": (TEXT, dict(candidate_labels=LABELS, hypothesis_template="about {topic}"),
                             r"cannot be formatted with a label \(KeyError: 'topic'\).*one \{\}", KeyError),
    "template-lone-brace": (TEXT, dict(candidate_labels=LABELS, hypothesis_template="about {"),
                            r"cannot be formatted.*literal braces as \{\{ \}\}", ValueError),
    "template-not-string": (TEXT, dict(candidate_labels=LABELS, hypothesis_template=None),
                            r"hypothesis_template must be a string", AttributeError),
    "empty-sequence-list": ([], dict(candidate_labels=LABELS), r"sequences is an empty list: pass at least one text",
                            IndexError),
    "empty-sequence": ("", dict(candidate_labels=LABELS), r"sequences is an empty string", ValueError),
    "empty-sequence-in-list": ([TEXT, ""], dict(candidate_labels=LABELS), r"sequences\[1\] is an empty string",
                               ValueError),
    "sequence-not-string": ([TEXT, 3], dict(candidate_labels=LABELS), r"sequences\[1\] is int 3", None),
    "multi-label-not-bool": (TEXT, dict(candidate_labels=LABELS, multi_label="no"),
                             r"multi_label must be True or False, got str 'no'", None),
    "batch-size-zero": (TEXT, dict(candidate_labels=LABELS, batch_size=0), r"batch_size must be a positive integer",
                        None),
    "unknown-option": (TEXT, dict(candidate_labels=LABELS, multilabel=True),
                       r"unknown keyword arguments \['multilabel'\]; it takes candidate_labels, hypothesis_template, "
                       r"multi_label", None),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_a_clear_error(pipes, case):
    theirs, ours = pipes
    inputs, kwargs, pattern, their_error = BAD[case]
    error = TypeError if case == "unknown-option" else ValueError
    with pytest.raises(error, match=pattern):
        ours(inputs, **kwargs)
    if their_error is not None:
        with pytest.raises(their_error):
            theirs(inputs, **kwargs)


def test_extra_positional_arguments(pipes):
    theirs, ours = pipes
    with pytest.raises(ValueError, match=r"got 2 more.*Pass the others by name"):
        ours(TEXT, LABELS, "This is {}.")
    with pytest.raises(ValueError, match="Unable to understand extra arguments"):
        theirs(TEXT, LABELS, "This is {}.")


def test_bad_option_when_built(folders):
    with pytest.raises(ValueError, match="hypothesis_template must be a string"):
        leanformers.pipeline("zero-shot-classification", model=str(folders["bert"]), hypothesis_template=3)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        leanformers.pipeline("zero-shot-classification", model=str(folders["bert"]), batch_size=0)
