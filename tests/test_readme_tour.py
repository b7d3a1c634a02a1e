"""README's "A short tour": its line that puts a 10-label head on the saved 2-label classifier does in leanformers
what it does in transformers 5, and without ignore_mismatched_sizes=True both refuse the checkpoint."""

import re

import pytest
import transformers

import leanformers
from support.paths import SRC
from support.tiny_models import build_transformers_model

README = SRC.parent / "README.md"


def tour_line():
    tour = README.read_text(encoding="utf-8").split("## A short tour", 1)[1].split("\n## ", 1)[0]
    (line,) = [line for line in tour.splitlines() if 'from_pretrained("my_model", num_labels=10' in line]
    return line


def outcome(library, line, folder):
    """What the README line gives with `library`: the classifier's shape, or the error's type."""
    try:
        model = eval(line, {"AutoModelForSequenceClassification": library.AutoModelForSequenceClassification,
                            "my_model": folder})
    except RuntimeError as err:
        return type(err).__name__
    return tuple(model.classifier.weight.shape), model.config.num_labels


@pytest.fixture
def two_label_folder(tmp_path):
    model = build_transformers_model("distilbert", "ForSequenceClassification", "h16-l1")
    assert model.config.num_labels == 2  # the tour's my_model: the SST-2 classifier, saved
    model.save_pretrained(tmp_path / "my_model")
    return str(tmp_path / "my_model")


def test_the_tour_line_works_as_in_transformers(two_label_folder):
    line = tour_line().split("#")[0].replace('"my_model"', "my_model")
    assert "ignore_mismatched_sizes=True" in line
    ours, theirs = outcome(leanformers, line, two_label_folder), outcome(transformers, line, two_label_folder)
    assert ours == theirs and theirs[1] == 10


def test_without_ignore_mismatched_sizes_both_raise(two_label_folder):
    line = re.sub(r",\s*ignore_mismatched_sizes=True", "", tour_line().split("#")[0]).replace('"my_model"', "my_model")
    assert outcome(leanformers, line, two_label_folder) == outcome(transformers, line, two_label_folder) \
        == "RuntimeError"
