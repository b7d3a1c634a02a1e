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
    download.add_argument("--token", default=None,
                          help="Hub token for gated or private repositories; other users can read it in the process "
                               "list, so prefer HF_TOKEN (default: HF_TOKEN, else the token of `hf auth login`, "
                               "else, on a terminal, a hidden prompt when the repository turns out to need one)")
    download.add_argument("--force-download", action="store_true", help="download again even if cached")
    download.set_defaults(func=run_download)


def run_download(args):
    from .hub import download

    if args.token is not None:
        print("leanformers download: warning: a token on the command line is visible to other users in the "
              "process list (ps); set HF_TOKEN instead, or leave --token out to be asked for it.", file=sys.stderr)
    hub_kwargs = dict(revision=args.revision, cache_dir=args.cache_dir, force_download=args.force_download)
    try:
        paths = download(args.name, token=args.token, **hub_kwargs)
    except OSError:
        token = _ask_for_token(args)
        if token is None:
            raise
        paths = download(args.name, token=token, **hub_kwargs)
    print(os.path.dirname(paths[0]))
    return 0


def _ask_for_token(args):
    """A token typed at a hidden prompt, when a person is there, none was given and the Hub wants one; else None."""
    from huggingface_hub import get_hf_file_metadata, get_token, hf_hub_url
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    if args.token is not None or get_token() is not None or not sys.stdin.isatty():
        return None
    try:  # the download failed; ask the Hub whether it was for want of a token (401), as gated and private repos answer
        get_hf_file_metadata(hf_hub_url(args.name, "config.json", revision=args.revision), token=False)
    except (GatedRepoError, RepositoryNotFoundError):
        import getpass

        return getpass.getpass(f"{args.name} is gated or private (or does not exist); Hub token (hidden, "
                               "HF_TOKEN avoids this prompt; Enter to give up): ") or None
    except Exception:  # any other answer (no config.json, no Hub): a token would not help; the first error stands
        return None
    return None


def build_parser():
    parser = argparse.ArgumentParser(prog="leanformers", description="The Transformers quicktour, with less waiting.")
    parser.add_argument("--version", action="version", version=f"leanformers {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True,
                                       help="one of these; `leanformers COMMAND --help` lists its options")
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
