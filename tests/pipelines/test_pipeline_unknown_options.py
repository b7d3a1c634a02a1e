"""A keyword argument a pipeline does not take is reported as the pipeline's, naming the ones it takes, for the
pipelines whose options are a fixed list (token classification and question answering; text classification is
covered in test_pipeline_sequence_inputs.py), while the options it does take still work (for token classification
as transformers' pipeline answers them; transformers 5 has no question-answering pipeline, whose outputs
test_pipeline_transformers4x.py compares with transformers 4's)."""

import inspect

import pytest

import leanformers
from leanformers.pipelines.question_answering import QuestionAnsweringPipeline
from leanformers.pipelines.token_classification import TokenClassificationPipeline
from support.generative_models import CORPUS, wordpiece_checkpoint

transformers = pytest.importorskip("transformers")
CONTEXT, QUESTION = CORPUS[4], "Where does he live?"


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    labels = ["O", "B-PER", "I-PER"]
    ner = wordpiece_checkpoint(tmp_path_factory.mktemp("ner"), "BertForTokenClassification",
                               id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)})
    qa = wordpiece_checkpoint(tmp_path_factory.mktemp("qa"), "BertForQuestionAnswering")
    return {"ner": str(ner), "question-answering": str(qa)}


def accepted(check):
    return ", ".join(name for name in inspect.signature(check).parameters if name != "self")


def test_token_classification_names_its_options(folders):
    ours = leanformers.pipeline("ner", model=folders["ner"])
    names = accepted(TokenClassificationPipeline._check)
    with pytest.raises(TypeError, match=r"The token-classification pipeline got unknown keyword arguments "
                                        r"\['colour'\]; it takes " + names + r"\.$"):
        ours(CONTEXT, colour="red")
    with pytest.raises(TypeError, match=r"unknown keyword arguments \['colour'\]"):
        leanformers.pipeline("ner", model=folders["ner"], colour="red")
    theirs = transformers.pipeline("ner", model=folders["ner"])
    assert [e["entity"] for e in ours(CONTEXT, ignore_labels=[])] == \
        [e["entity"] for e in theirs(CONTEXT, ignore_labels=[])]


def test_question_answering_names_its_options(folders):
    ours = leanformers.pipeline("question-answering", model=folders["question-answering"])
    names = accepted(QuestionAnsweringPipeline._settings)
    with pytest.raises(TypeError, match=r"The question-answering pipeline got unknown keyword arguments "
                                        r"\['colour'\]; it takes " + names + r"\.$"):
        ours(question=QUESTION, context=CONTEXT, colour="red")
    assert len(ours(question=QUESTION, context=CONTEXT, top_k=2)) == 2
