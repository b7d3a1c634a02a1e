"""Bad and edge inputs of the pipeline, the task registry, streaming and what the pipeline imports.

Where transformers raises an obscure error (IndexError for [], a tensor-size RuntimeError for a
long text) leanformers gives a result or a clear error naming the input and the fix.
"""

import subprocess
import sys

import pytest
import transformers

from leanformers import pipeline
from leanformers.pipelines import text_classification
from leanformers.quantization import Int8Linear
from support.sst2_checkpoint import QUICKTOUR_TEXT, one_torch_thread, save_sst2_checkpoint, sentences  # noqa: F401


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return str(save_sst2_checkpoint(tmp_path_factory.mktemp("sst2")))


@pytest.fixture(scope="module")
def classifier(folder):
    return pipeline("sentiment-analysis", model=folder)


@pytest.fixture(scope="module")
def reference(folder):
    return transformers.pipeline("sentiment-analysis", model=folder)


def test_none_is_a_clear_error(classifier):
    with pytest.raises(ValueError, match=r"inputs must be a string.*got None"):
        classifier(None)


def test_number_is_a_clear_error(classifier):
    with pytest.raises(ValueError, match=r"inputs must be a string.*got int 42"):
        classifier(42)


def test_empty_list_returns_empty_list(classifier):
    assert classifier([]) == []


def test_empty_string_is_classified(classifier, reference):
    ours, ref = classifier(""), reference("")
    assert [r["label"] for r in ours] == [r["label"] for r in ref]
    assert abs(ours[0]["score"] - ref[0]["score"]) <= 1e-5


def test_ten_thousand_words_truncated_to_the_model(classifier, reference):
    text = " ".join(["unhappy"] * 10_000)
    ours = classifier(text)
    ref = reference(text, truncation=True)  # transformers needs it, or fails inside the model
    assert ours[0]["label"] == ref[0]["label"] and abs(ours[0]["score"] - ref[0]["score"]) <= 1e-5
    # the same as the text cut to 510 words + [CLS] [SEP]: every word is one token
    assert classifier(" ".join(["unhappy"] * 510)) == ours


def test_dict_without_text_is_a_clear_error(classifier):
    with pytest.raises(ValueError, match=r"inputs is the dict \{'text_pair': 'b'\}: a dict input needs a string 'text'"):
        classifier({"text_pair": "b"})


def test_bad_item_in_a_list_is_named_by_index(classifier):
    with pytest.raises(ValueError, match=r"inputs\[2\] is None: each input must be a string or a dict"):
        classifier(["fine", "also fine", None])
    with pytest.raises(ValueError, match=r"inputs\[0\] is list \['a', 'b'\].*send text pairs as dicts"):
        classifier([["a", "b"]])


@pytest.mark.parametrize("options, message", [
    ({"top_k": "2"}, r"top_k must be 0 or a positive integer, got '2' \(or None: every label\)"),
    ({"function_to_apply": "max"}, r"function_to_apply must be one of \('softmax', 'sigmoid', 'none'\)"),
    ({"batch_size": 0}, "batch_size must be a positive integer"),
])
def test_bad_options_are_clear_errors(classifier, options, message):
    with pytest.raises(ValueError, match=message):
        classifier(QUICKTOUR_TEXT, **options)


def test_unknown_task_lists_the_known_ones(folder):
    with pytest.raises(KeyError, match=r"Unknown task 'sentiment-analyses', available tasks are \[") as error:
        pipeline("sentiment-analyses", model=folder)
    assert "'sentiment-analysis'" in str(error.value) and "'text-classification'" in str(error.value)


def test_no_task_no_model_and_tokenizer_without_model(folder):
    with pytest.raises(RuntimeError, match="without either a task or a model"):
        pipeline()
    with pytest.raises(RuntimeError, match="tokenizer specified but not the model"):
        pipeline("sentiment-analysis", tokenizer=folder)


def test_model_object_without_tokenizer_is_a_clear_error(folder):
    from leanformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(folder)
    with pytest.raises(ValueError, match="Impossible to guess which tokenizer.*Pass `tokenizer=`"):
        pipeline("sentiment-analysis", model=model)


def test_bad_quantize_and_device_are_clear_errors(folder):
    with pytest.raises(ValueError, match=r"quantize must be None or 'int8', got 'int4'"):
        pipeline("sentiment-analysis", model=folder, quantize="int4")
    with pytest.raises(ValueError, match="device must be 'cpu', 'cuda'"):
        pipeline("sentiment-analysis", model=folder, device=1.5)


def test_generator_is_read_a_window_at_a_time(classifier):
    """A stream is never read far ahead: memory stays bounded however long it is."""
    taken = []

    def endless():
        while True:
            taken.append(len(taken))
            yield f"text number {len(taken)}"

    results = classifier(endless(), batch_size=4)
    first = [next(results) for _ in range(5)]
    window = 4 * text_classification.WINDOW_BATCHES
    assert len(first) == 5 and all(r.keys() == {"label", "score"} for r in first)
    assert len(taken) <= 2 * window


def test_int8_quantization_keeps_labels(folder, classifier):
    """quantize='int8' swaps the encoder's Linear layers for int8 ones on a copy; labels barely move."""
    texts = sentences(200, seed=3)
    quantized = pipeline("sentiment-analysis", model=folder, quantize="int8")
    assert any(isinstance(m, Int8Linear) for m in quantized.model.modules())
    assert not any(isinstance(m, Int8Linear) for m in classifier.model.modules())
    same = sum(a["label"] == b["label"] for a, b in zip(quantized(texts), classifier(texts)))
    assert same >= 0.95 * len(texts)


def test_import_does_not_load_torch():
    code = ("import sys; from leanformers import pipeline; import leanformers.pipelines; "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
