"""`leanformers sentiment` and `leanformers classify`: the text classification pipeline on the command line.

`add_commands(subparsers)` registers both on the `leanformers` parser (cli.py); each command's
function returns the exit code. Input is read and results are written as a stream, so a file of
any length runs in bounded memory, and the output file appears (atomically) only when complete.
"""

import contextlib
import json
import os
import sys
from collections import deque
from itertools import chain, islice

from ..utils.files import atomic_files

PEEK_LINES = 1000  # lines checked before the model loads, so a bad file fails in a moment


class BadLine(ValueError):
    """An input line that is not a text or a JSON object with a string "text"."""

    def __init__(self, source, number, reason):
        super().__init__(f"line {number} of {source}: {reason}")


def add_commands(subparsers):
    sentiment = subparsers.add_parser(
        "sentiment", help="classify the sentiment of texts given as arguments",
        description="Print one JSON result per text: the default sentiment model unless --model is given.")
    sentiment.add_argument("texts", nargs="+", metavar="TEXT", help="a text to classify (quote it)")
    sentiment.add_argument("--model", default=None, help="hub name or folder (default: the task's default model)")
    sentiment.set_defaults(func=run_sentiment)

    classify = subparsers.add_parser(
        "classify", help="classify a file of texts (one per line, or JSONL with a \"text\" field)",
        description="Read one text per line, or JSON objects with a \"text\" (and optional \"text_pair\") field, "
                    "and write one JSON object per input line, in input order: the input's fields plus "
                    "\"label\" and \"score\" (or \"labels\" with --top-k). Blank lines are skipped.")
    classify.add_argument("--model", required=True, help="hub name or folder of a text classification model")
    classify.add_argument("--input", default="-", metavar="FILE", help="input file, or - for stdin (default)")
    classify.add_argument("--output", default=None, metavar="FILE", help="output JSONL file (default: stdout)")
    classify.add_argument("--batch-size", type=_positive_int, default=None, metavar="N")
    classify.add_argument("--num-workers", type=_non_negative_int, default=None, metavar="N",
                          help="tokenizer workers running while the model runs, 0 for none "
                               "(default: one worker thread on a GPU, none on the CPU)")
    classify.add_argument("--max-batch-tokens", type=_positive_int, default=None, metavar="N",
                          help="most padded tokens in a batch (default: 16384 on a GPU, no limit on the CPU)")
    classify.add_argument("--top-k", type=_positive_int, default=None, metavar="K",
                          help="write the K best labels of each text, sorted by score")
    classify.set_defaults(func=run_classify)


def run_sentiment(args):
    from leanformers.pipelines import pipeline

    classifier = pipeline("sentiment-analysis", model=args.model)
    for text, result in zip(args.texts, classifier(args.texts)):
        print(json.dumps({"text": text, **result}, ensure_ascii=False))
    return 0


def run_classify(args):
    from leanformers.pipelines import pipeline

    source = "stdin" if args.input == "-" else args.input
    if args.input != "-" and not os.path.isfile(args.input):
        print(f"leanformers classify: error: --input {args.input!r} is not a file.", file=sys.stderr)
        return 1
    call_kwargs = {} if args.top_k is None else {"top_k": args.top_k}
    stream = sys.stdin.buffer if args.input == "-" else open(args.input, "rb")
    try:
        with stream:
            records = _read_records(stream, source)
            head = list(islice(records, PEEK_LINES))  # a bad line near the top fails before the model loads
            classifier = pipeline("text-classification", model=args.model, batch_size=args.batch_size,
                                  num_workers=args.num_workers, max_batch_tokens=args.max_batch_tokens)
            with _output(args.output) as out:
                pending = deque()  # records read but not yet answered; bounded by the pipeline's windows
                results = classifier(_inputs(chain(head, records), pending), **call_kwargs)
                for result in _progress(results):
                    record = pending.popleft()
                    if args.top_k is None:
                        record.update(result)
                    else:
                        record["labels"] = result
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
    except BadLine as err:
        print(f"leanformers classify: error: {err}", file=sys.stderr)
        return 1
    return 0


def _read_records(stream, source):
    """Yield a dict per non-blank line: {"text": line}, or the line's JSON object in JSONL files.

    The first non-blank line decides: a JSON object makes the file JSONL, and then every line must
    be one; otherwise every line is a text.
    """
    jsonl = None
    for number, raw in enumerate(stream, start=1):
        try:
            line = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as err:
            raise BadLine(source, number, f"not valid UTF-8 ({err.reason} at byte {err.start})") from None
        if not line.strip():
            continue
        if jsonl is None:
            jsonl = line.lstrip().startswith("{") and isinstance(_json_or_none(line), dict)
        yield _json_record(line, source, number) if jsonl else {"text": line}


def _json_record(line, source, number):
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise BadLine(source, number, f"not valid JSON ({err.msg} at column {err.colno}); "
                                      "in a JSONL file every line must be a JSON object") from None
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise BadLine(source, number, 'expected a JSON object with a string "text" field, e.g. {"text": "I love it"}')
    if not isinstance(record.get("text_pair", ""), str):
        raise BadLine(source, number, 'the "text_pair" field must be a string')
    return record


def _json_or_none(line):
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None


def _inputs(records, pending):
    """The pipeline's inputs from the records, remembering each record until its result comes back."""
    for record in records:
        pending.append(record)
        pair = record.get("text_pair")
        yield record["text"] if pair is None else {"text": record["text"], "text_pair": pair}


def _progress(results):
    if not sys.stderr.isatty():
        return results
    from tqdm import tqdm

    return tqdm(results, unit=" texts", file=sys.stderr)


@contextlib.contextmanager
def _output(path):
    """stdout, or a file that appears under its name only once it is complete (utils/files.atomic_files: written
    under a temporary name, renamed when the command succeeds, removed when it fails)."""
    if path is None:
        try:
            yield sys.stdout
        finally:
            sys.stdout.flush()
        return
    folder, name = os.path.split(os.path.abspath(path))
    with atomic_files(folder) as stage, open(stage(name), "w", encoding="utf-8") as file:
        yield file


def _int_at_least(least, kind):
    def parse(value):
        import argparse

        try:
            number = int(value)
        except ValueError:
            number = least - 1
        if number < least:
            raise argparse.ArgumentTypeError(f"expected {kind}, got {value!r}")
        return number

    return parse


_positive_int = _int_at_least(1, "a positive integer")
_non_negative_int = _int_at_least(0, "0 or a positive integer")
