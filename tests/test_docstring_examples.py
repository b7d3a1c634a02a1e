"""The examples in the docstrings of the entry points users call help() on run as shown (doctest)."""

import doctest

import pytest

from leanformers import AutoConfig, PretrainedConfig, PreTrainedModel, PreTrainedTokenizer
from leanformers.pipelines.text_classification import TextClassificationPipeline

DOCUMENTED = {"PreTrainedModel": PreTrainedModel, "PreTrainedModel.from_pretrained": PreTrainedModel.from_pretrained,
              "PreTrainedModel.save_pretrained": PreTrainedModel.save_pretrained,
              "PreTrainedTokenizer.__call__": PreTrainedTokenizer.__call__,
              "PreTrainedTokenizer.pad": PreTrainedTokenizer.pad, "PretrainedConfig": PretrainedConfig,
              "AutoConfig.from_pretrained": AutoConfig.from_pretrained,
              "TextClassificationPipeline.__call__": TextClassificationPipeline.__call__}


@pytest.mark.parametrize("name", DOCUMENTED)
def test_docstring_example_runs(name, hf_home):
    (example,) = doctest.DocTestFinder(recurse=False).find(DOCUMENTED[name], name, globs={})
    assert example.examples, f"{name} has no example in its docstring"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(example)
    assert runner.summarize(verbose=False).failed == 0
