"""The `leanformers` parser: every option and command explains itself, and help needs no torch."""

import argparse
import subprocess
import sys

from leanformers.cli import build_parser


def all_actions(parser):
    for action in parser._actions:
        yield parser.prog, action
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from all_actions(sub)


def test_every_option_argument_and_command_has_help_text():
    actions = list(all_actions(build_parser()))
    missing = [f"{prog} {action.dest}" for prog, action in actions if not (action.help or "").strip()]
    assert missing == []
    options = {(prog, option) for prog, action in actions for option in action.option_strings}
    for command in ("sentiment", "classify"):  # so the test covers the new options too
        assert {(f"leanformers {command}", "--threads"), (f"leanformers {command}", "--model")} <= options
    threads = next(a for prog, a in actions if "--threads" in a.option_strings)
    assert "default" in threads.help and "physical cores" in threads.help


def test_help_imports_no_torch():
    code = ("import sys\nfrom leanformers.cli import main\n"
            "for command in ([], ['sentiment'], ['classify'], ['download']):\n"
            "    try:\n        main([*command, '--help'])\n    except SystemExit:\n        pass\n"
            "assert 'torch' not in sys.modules, 'help imported torch'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "--threads N" in done.stdout and "--text-column NAME" in done.stdout
