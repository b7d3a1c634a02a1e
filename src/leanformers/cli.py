"""The `leanformers` command: one argparse subcommand per task.

A module adds commands by defining `add_commands(subparsers)`, which calls
`subparsers.add_parser(...)` and sets `func` (taking the parsed arguments, returning
the exit code) with `set_defaults`; list the module in COMMAND_MODULES. Modules are
imported when the parser is built, so they must keep heavy imports inside `func`.
This module's own command is `download`.
"""

import argparse
import os
import sys
from importlib import import_module

from . import __version__

COMMAND_MODULES = ("leanformers.pipelines.cli_commands",)


def add_commands(subparsers):
    download = subparsers.add_parser(
        "download", help="prefetch a model's config, tokenizer and weights into the Hugging Face cache",
        description="Download the files that from_pretrained needs (config, tokenizer files, weights) into "
                    "the Hugging Face cache, so later loads work offline. Prints the local folder.")
    download.add_argument("name", metavar="NAME", help="Hub repository id, e.g. distilbert/distilbert-base-uncased")
    download.add_argument("--revision", default=None, help="branch, tag or commit hash (default: main)")
    download.add_argument("--cache-dir", default=None, metavar="DIR",
                          help="cache folder (default: HF_HUB_CACHE, else HF_HOME/hub)")
    download.add_argument("--token", default=None, help="Hub token for gated or private repositories")
    download.add_argument("--force-download", action="store_true", help="download again even if cached")
    download.set_defaults(func=run_download)


def run_download(args):
    from .hub import download

    paths = download(args.name, revision=args.revision, cache_dir=args.cache_dir, token=args.token,
                     force_download=args.force_download)
    print(os.path.dirname(paths[0]))
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="leanformers", description="The Transformers quicktour, with less waiting.")
    parser.add_argument("--version", action="version", version=f"leanformers {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    add_commands(subparsers)
    for module in COMMAND_MODULES:
        import_module(module).add_commands(subparsers)
    return parser


def main(argv=None):
    """Run the command line `argv` (default: sys.argv[1:]); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (OSError, ValueError) as error:  # bad names, paths and files: the message says what to do
        print(f"leanformers: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
