"""The top-level names of leanformers where an optional backend is missing: everything can be listed and
documented, and a name that needs the missing backend is a placeholder that says what to install when used.

Each case runs in a fresh interpreter where the backend cannot be imported (`sys.modules[name] = None`, as for a
package that is not installed), so the probes see what a user without it sees.
"""

import importlib.util
import json

import pytest

BLOCK = "import sys\nfor name in {blocked!r}:\n    sys.modules[name] = None\n"

# what a new user does to look around, then each use of every name that cannot be read as a real object
PROBE = """
import contextlib, inspect, io, json, pydoc
import leanformers

namespace = {}
exec("from leanformers import *", namespace)
members = dict(inspect.getmembers(leanformers))
rendered = pydoc.render_doc(leanformers, renderer=pydoc.plaintext)
with contextlib.redirect_stdout(io.StringIO()) as shown:
    help(leanformers)

def error(use):
    try:
        use()
    except ImportError as err:
        return str(err)
    except Exception:  # a real class called without its arguments
        return None

uses = {"call": lambda cls: cls(), "from_pretrained": lambda cls: cls.from_pretrained("some/model"),
        "attribute": lambda cls: cls.config_class}
placeholders = {}
for name in leanformers.__all__:
    value = getattr(leanformers, name)
    if isinstance(value, type) and error(lambda: value()) is not None:
        placeholders[name] = {use: error(lambda: probe(value)) for use, probe in uses.items()}
        placeholders[name]["doc"] = pydoc.render_doc(value, renderer=pydoc.plaintext)
print(json.dumps({"all": leanformers.__all__, "star": sorted(n for n in namespace if not n.startswith("__")),
                  "members": sorted(members), "rendered": rendered, "help": shown.getvalue(),
                  "placeholders": placeholders}))
"""


def probe(run_python, blocked):
    return json.loads(run_python(BLOCK.format(blocked=blocked) + PROBE, timeout=300).stdout)


def assert_listed_and_documented(seen):
    assert seen["star"] == sorted(seen["all"])
    assert set(seen["all"]) <= set(seen["members"])
    body = seen["rendered"].partition("\n")[2]  # after the title, which help() words differently
    assert "NAME\n    leanformers" in body and body.strip() in seen["help"]
    for name in seen["placeholders"]:
        assert name in seen["rendered"]


def assert_says_what_to_install(placeholders, backend, extra):
    for name, uses in placeholders.items():
        for use in ("call", "from_pretrained", "attribute"):
            message = uses[use]
            assert message and message.startswith(f"{name} needs {backend}"), (name, use, message)
            assert f"pip install 'leanformers[{extra}]'" in message, (name, use, message)
        assert uses["call"] in uses["doc"]  # help(leanformers.TFBertModel) says it too


def test_without_tensorflow_the_tf_names_are_placeholders(run_python):
    seen = probe(run_python, ["tensorflow"])
    assert_listed_and_documented(seen)
    tf_names = {name for name in seen["all"] if name.startswith("TF")}
    assert tf_names and set(seen["placeholders"]) == tf_names
    assert_says_what_to_install(seen["placeholders"], "TensorFlow", "tf")


def test_without_torch_the_names_transformers_makes_dummies_are_placeholders(run_python):
    """transformers, also without torch, is the oracle: each of its dummy objects (a class whose call raises
    ImportError) that leanformers also exports is a placeholder here. (leanformers' configs live in the modules
    of its torch models, so without torch they are placeholders too, where transformers' are real.)"""
    seen = probe(run_python, ["torch"])
    assert_listed_and_documented(seen)
    oracle = run_python(BLOCK.format(blocked=["torch"]) + """
import json, transformers
def is_dummy(name):
    value = getattr(transformers, name)
    try:
        value()
    except ImportError:
        return True
    except Exception:
        return False
print(json.dumps(sorted(name for name in dir(transformers) if name[0].isupper() and is_dummy(name))))
""", timeout=300)
    dummies = set(json.loads(oracle.stdout.strip().splitlines()[-1])) & set(seen["all"])
    assert dummies and dummies <= set(seen["placeholders"])
    if importlib.util.find_spec("tensorflow") is None:  # the TF names also say that TensorFlow is missing
        seen["placeholders"] = {name: uses for name, uses in seen["placeholders"].items() if not name.startswith("TF")}
    assert_says_what_to_install(seen["placeholders"], "PyTorch", "torch")


def test_without_either_the_tf_names_ask_for_both(run_python):
    seen = probe(run_python, ["torch", "tensorflow"])
    assert_listed_and_documented(seen)
    tf_names = {name: uses for name, uses in seen["placeholders"].items() if name.startswith("TF")}
    assert tf_names and set(tf_names) == {name for name in seen["all"] if name.startswith("TF")}
    assert_says_what_to_install(tf_names, "PyTorch and TensorFlow", "torch,tf")


def test_with_tensorflow_the_real_classes_come_back(run_python):
    pytest.importorskip("tensorflow", reason="the real TF classes need TensorFlow")
    done = run_python("""
import leanformers
from leanformers.tf.auto import TFAutoModel
from leanformers.tf.bert import TFBertModel
assert leanformers.TFBertModel is TFBertModel and leanformers.TFAutoModel is TFAutoModel
print(leanformers.TFBertModel.__module__)
""", timeout=300)
    assert done.stdout.strip() == "leanformers.tf.bert"


def test_logging_is_the_verbosity_module():
    import leanformers
    import leanformers.logging as verbosity

    assert leanformers.logging is verbosity and "logging" in leanformers.__all__


def test_without_torch_the_data_collators_are_real_and_ask_for_torch_when_they_make_tensors(run_python):
    """As in transformers (where they are no dummies), the collators and set_seed can be made without torch; a
    batch of PyTorch tensors then says what to install."""
    done = run_python(BLOCK.format(blocked=["torch"]) + """
import leanformers
tok = leanformers.BertTokenizer(vocab={w: i for i, w in enumerate(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'])})
names = ["DataCollatorWithPadding", "DataCollatorForTokenClassification", "DataCollatorForLanguageModeling",
         "DataCollatorForSeq2Seq", "DefaultDataCollator", "default_data_collator", "set_seed"]
assert set(names) <= set(leanformers.__all__)
leanformers.set_seed(0)
collator = leanformers.DataCollatorForLanguageModeling(tok)
print(leanformers.DataCollatorWithPadding(tok, return_tensors="np")([{"input_ids": [2, 3]}])["input_ids"].tolist())
try:
    collator([{"input_ids": [2, 3]}])
except ImportError as err:
    print(err)
""", timeout=300)
    shown, message = done.stdout.strip().splitlines()
    assert shown == "[[2, 3]]"
    assert message.startswith("DataCollatorForLanguageModeling needs PyTorch") and "leanformers[torch]" in message


def test_without_torch_training_arguments_are_real_and_the_trainer_a_placeholder(run_python):
    """As in transformers: TrainingArguments can be made and read without torch; Trainer says what to install."""
    code = BLOCK.format(blocked=["torch"]) + """
import json, {lib} as lib
args = lib.TrainingArguments(output_dir="out", learning_rate=2e-5, eval_strategy="epoch")
try:
    lib.Trainer()
    trainer = "made"
except ImportError as err:
    trainer = "ImportError"
print(json.dumps([args.learning_rate, args.eval_strategy, trainer]))
"""
    for lib in ("transformers", "leanformers"):
        done = run_python(code.format(lib=lib), timeout=300)
        assert json.loads(done.stdout.strip().splitlines()[-1]) == [2e-5, "epoch", "ImportError"], lib
