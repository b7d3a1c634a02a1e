"""leanformers.logging against transformers.logging: the same functions, the same levels, the same effect on what
the library's logger lets through. Each case runs in a fresh interpreter: the first call configures the logger
for the rest of the process, in both libraries."""

import json
import logging

import pytest

LEVELS = ["debug", "info", "warning", "error"]

# for the library named LIBRARY: the verbosity at start, then after each set_verbosity_*, which records of its
# logger reach stderr
PROBE = """
import contextlib, importlib, io, json, logging, sys
library = importlib.import_module(LIBRARY)
verbosity = library.logging
report = {"start": verbosity.get_verbosity(), "levels": {}}
for level in LEVELS:
    getattr(verbosity, "set_verbosity_" + level)()
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        for handler in logging.getLogger(LIBRARY).handlers:
            handler.setStream(sys.stderr)
        for record_level in LEVELS:
            logging.getLogger(LIBRARY + ".some_module").log(getattr(logging, record_level.upper()), record_level)
    shown = [line.rpartition("] ")[2] for line in stderr.getvalue().splitlines()]
    report["levels"][level] = {"verbosity": verbosity.get_verbosity(), "shown": shown}
verbosity.set_verbosity(verbosity.INFO)
report["set_verbosity"] = verbosity.get_verbosity()
report["constants"] = [getattr(verbosity, name) for name in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")]
print(json.dumps(report))
"""


def probe(run_python, library):
    code = f"LIBRARY = {library!r}\nLEVELS = {LEVELS!r}\n" + PROBE
    return json.loads(run_python(code, timeout=300).stdout.strip().splitlines()[-1])


def test_verbosity_helpers_work_as_in_transformers(run_python, monkeypatch):
    monkeypatch.delenv("TRANSFORMERS_VERBOSITY", raising=False)
    monkeypatch.delenv("CI", raising=False)  # on CI transformers passes its records up to the root logger as well
    ours, reference = probe(run_python, "leanformers"), probe(run_python, "transformers")
    assert ours == reference
    assert reference["levels"]["error"]["shown"] == ["error"]  # the probe sees what the levels let through


def test_the_module_names_its_logger_once_imported_without_torch(run_python):
    """`import leanformers.logging` stays light, and inside it `logging` is still the standard library."""
    done = run_python("import sys; sys.modules['torch'] = None\n"
                      "import leanformers.logging as verbosity, logging\n"
                      "verbosity.set_verbosity_error()\n"
                      "assert logging.getLogger('leanformers').level == logging.ERROR\n"
                      "assert verbosity.logging is logging and logging.getLogger.__module__ == 'logging'\n"
                      "print(verbosity.get_verbosity())")
    assert done.stdout.strip() == str(logging.ERROR)


@pytest.mark.parametrize("level", ["loud", 2.5])
def test_an_unknown_level_names_the_choices(run_python, level):
    done = run_python(f"import leanformers\nleanformers.logging.set_verbosity({level!r})", check=False)
    assert done.returncode != 0
    assert f"set_verbosity(verbosity={level!r}): not a level" in done.stderr and "WARNING" in done.stderr
