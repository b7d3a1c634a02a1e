"""The architecture manifest: every declaration reads, matches its module, and every public name resolves."""

import importlib
import subprocess
import sys

import pytest

import leanformers
from leanformers.manifest import HEADS, MANIFEST, architectures
from leanformers.models import auto


@pytest.mark.parametrize("arch", architectures(), ids=lambda a: a.model_type)
def test_declaration_read_from_source_equals_the_imported_one(arch):
    module = importlib.import_module(arch.module)
    declared = module.ARCHITECTURE
    assert arch.config == declared.get("config") and arch.heads == declared.get("heads", {})
    assert arch.tokenizers == declared["tokenizers"] and arch.tf_heads == declared.get("tf_heads", {})
    if arch.config is not None:
        assert getattr(module, arch.config).model_type == arch.model_type
    else:  # a tokenizer-only family, declared by its tokenizer module, which must import no torch
        assert arch.module.startswith("leanformers.tokenization.") and not arch.heads


def test_every_public_name_resolves():
    names = leanformers.__all__
    assert {"BertModel", "BertTokenizerFast", "AutoModelForSeq2SeqLM", "TFBertModel", "pipeline"} <= set(names)
    for name in names:
        assert getattr(leanformers, name) is not None, name


def test_every_auto_class_loads_a_declared_head():
    for head in HEADS:
        classes = [cls for cls in vars(auto).values() if isinstance(cls, type) and getattr(cls, "head", None) == head]
        assert len(classes) == 1, head


def test_auto_model_error_names_the_architectures_that_have_the_head():
    config = leanformers.AutoConfig.for_model("gpt2")
    with pytest.raises(ValueError, match=r"no model for model_type 'gpt2' \(known: ([a-z0-9, -]+)\)") as error:
        leanformers.AutoModelForTokenClassification.from_config(config)
    known = error.value.args[0].split("(known: ")[1].split(")")[0].split(", ")
    # every architecture the manifest lists with that head, and only those (a new one joins the list by itself)
    assert known == sorted(a.model_type for a in architectures() if "token-classification" in a.heads)
    assert {"bert", "distilbert", "roberta"} <= set(known) and "gpt2" not in known


def test_reading_the_manifest_imports_no_torch():
    code = ("import sys, leanformers; leanformers.__all__; leanformers.BertTokenizer; "
            f"assert len(leanformers.__all__) > {len(MANIFEST)}; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
