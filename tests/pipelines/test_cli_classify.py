"""`leanformers classify`: the installed entry point, run as a subprocess on files and stdin.

Results are checked against transformers' pipeline on the same checkpoint; bad lines must be
reported by their number, with nothing written to --output. stderr names the model once; a status
line covers its loading on a terminal only.
"""

import csv
import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
import transformers

from support.sst2_checkpoint import (QUICKTOUR_TEXT, SST2, one_torch_thread, save_sst2_checkpoint,  # noqa: F401
                                     sentences, sst2_hub, sst2_repo)

ENTRY_POINT = Path(sys.executable).with_name("leanformers")
TEXTS = [QUICKTOUR_TEXT, "We hope you don't hate it.", *sentences(12, seed=7), "ok"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return str(save_sst2_checkpoint(tmp_path_factory.mktemp("sst2")))


@pytest.fixture(scope="module")
def reference(folder):
    return transformers.pipeline("text-classification", model=folder)


def leanformers_cli(*args, stdin=None, **kwargs):
    if not ENTRY_POINT.is_file():
        pytest.skip(f"the leanformers entry point is not installed beside {sys.executable} (pip install -e .)")
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    return subprocess.run([str(ENTRY_POINT), *args], input=stdin, timeout=300, **kwargs)


def read_jsonl(data):
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def assert_matches(records, texts, expected):
    assert [r["text"] for r in records] == texts
    for record, ref in zip(records, expected):
        assert record["label"] == ref["label"] and abs(record["score"] - ref["score"]) <= 1e-5


def test_text_file_to_jsonl_in_input_order(tmp_path, folder, reference):
    source = tmp_path / "texts.txt"
    source.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    done = leanformers_cli("classify", "--model", folder, "--input", str(source), "--output", str(out),
                           "--batch-size", "4")
    assert done.returncode == 0, done.stderr
    assert_matches(read_jsonl(out.read_bytes()), TEXTS, reference(TEXTS))
    assert done.stdout == b"" and b"it/s" not in done.stderr  # no progress bar when stderr is no terminal
    assert done.stderr.decode().splitlines() == [f"model: {folder}"]  # and no status line either
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # an ordinary file, though written via a temp file


def test_stdin_to_stdout_with_blank_lines_skipped(folder, reference):
    stdin = ("\n".join(TEXTS[:5]) + "\n\n  \n" + TEXTS[5] + "\r\n").encode()
    done = leanformers_cli("classify", "--model", folder, "--input", "-", stdin=stdin)
    assert done.returncode == 0, done.stderr
    assert_matches(read_jsonl(done.stdout), TEXTS[:6], reference(TEXTS[:6]))


def test_jsonl_keeps_fields_and_reads_pairs(tmp_path, folder, reference):
    rows = [{"id": 1, "text": TEXTS[0]}, {"id": 2, "text": TEXTS[1], "text_pair": TEXTS[2]}, {"text": TEXTS[3]}]
    source = tmp_path / "rows.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    done = leanformers_cli("classify", "--model", folder, "--input", str(source))
    assert done.returncode == 0, done.stderr
    records = read_jsonl(done.stdout)
    expected = reference([TEXTS[0], {"text": TEXTS[1], "text_pair": TEXTS[2]}, TEXTS[3]])
    for record, row, ref in zip(records, rows, expected):
        assert {k: record[k] for k in row} == row
        assert record["label"] == ref["label"] and abs(record["score"] - ref["score"]) <= 1e-5


def test_top_k_writes_sorted_labels(tmp_path, folder, reference):
    done = leanformers_cli("classify", "--model", folder, "--top-k", "2", stdin="\n".join(TEXTS[:4]).encode())
    assert done.returncode == 0, done.stderr
    for record, ref in zip(read_jsonl(done.stdout), reference(TEXTS[:4], top_k=2)):
        assert [x["label"] for x in record["labels"]] == [x["label"] for x in ref]
        assert all(abs(x["score"] - y["score"]) <= 1e-5 for x, y in zip(record["labels"], ref))


@pytest.mark.parametrize("content, line, reason", [
    (b'{"text": "fine"}\n{"text": "also fine"}\n{"text": broken\n{"text": "never read"}\n', 3, "not valid JSON"),
    (b'{"text": "fine"}\n\n{"title": "no text field"}\n', 3, 'expected a JSON object with a string "text" field'),
    (b"fine\nalso fine\nbad \xff\xfe bytes\n", 3, "not valid UTF-8"),
], ids=["broken JSON", "missing text", "invalid UTF-8"])
def test_bad_line_is_reported_by_number(tmp_path, folder, content, line, reason):
    source = tmp_path / "input.jsonl"
    source.write_bytes(content)
    out = tmp_path / "out.jsonl"
    done = leanformers_cli("classify", "--model", folder, "--input", str(source), "--output", str(out))
    assert done.returncode == 1
    assert f"error: line {line} of {source}: {reason}" in done.stderr.decode()
    assert not out.exists() and os.listdir(tmp_path) == ["input.jsonl"]  # no half-written output


def test_empty_file_gives_empty_output(tmp_path, folder):
    source, out = tmp_path / "empty.txt", tmp_path / "out.jsonl"
    source.write_bytes(b"")
    done = leanformers_cli("classify", "--model", folder, "--input", str(source), "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == b""


def test_missing_input_file_and_bad_batch_size(tmp_path, folder):
    done = leanformers_cli("classify", "--model", folder, "--input", str(tmp_path / "nope.txt"))
    assert done.returncode == 1 and b"is not a file" in done.stderr
    done = leanformers_cli("classify", "--model", folder, "--batch-size", "0", stdin=b"x\n")
    assert done.returncode == 2 and b"expected a positive integer, got '0'" in done.stderr


def test_progress_bar_on_a_terminal(tmp_path, folder):
    source = tmp_path / "texts.txt"
    source.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))  # tqdm sizes its bar by it
    try:
        done = leanformers_cli("classify", "--model", folder, "--input", str(source), stderr=terminal)
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal's other end is closed and drained
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(controller)
    assert done.returncode == 0
    assert f"{len(TEXTS)} texts".encode() in shown
    # the status line, erased (carriage return, erase line) before the model's name and the results
    status = shown.index(b"loading model \xe2\x80\xa6")
    assert shown.index(b"\r\x1b[K", status) < shown.index(f"model: {folder}".encode()) < shown.index(b"texts")
    assert len(read_jsonl(done.stdout)) == len(TEXTS)


def test_without_a_model_the_default_sentiment_model_answers(sst2_hub):
    done = leanformers_cli("classify", stdin="\n".join(TEXTS[:3]).encode())  # HF_ENDPOINT: the test hub
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr.decode().count(f"model: {SST2}\n") == 1
    reference = transformers.pipeline("sentiment-analysis")  # same hub, same pinned commit
    assert_matches(read_jsonl(done.stdout), TEXTS[:3], reference(TEXTS[:3]))


def test_csv_column_by_header_name_in_input_order(tmp_path, folder, reference):
    texts = [TEXTS[0], 'a "quoted", comma\nand a line break', *TEXTS[2:9]]
    rows = [["id", "review"], *([str(i), text] for i, text in enumerate(texts))]
    source = tmp_path / "reviews.csv"
    with open(source, "w", encoding="utf-8-sig", newline="") as file:  # with the BOM spreadsheets write
        csv.writer(file).writerows(rows)
    done = leanformers_cli("classify", "--model", folder, "--input", str(source), "--text-column", "review",
                           "--batch-size", "2")
    assert done.returncode == 0, done.stderr.decode()
    records = read_jsonl(done.stdout)
    assert [(r["id"], r["review"]) for r in records] == [tuple(row) for row in rows[1:]]
    for record, ref in zip(records, reference(texts)):
        assert record["label"] == ref["label"] and abs(record["score"] - ref["score"]) <= 1e-5


def test_tsv_from_stdin_reads_the_text_column_by_default(folder, reference):
    stdin = "".join(f"{i}\t{text}\n" for i, text in [("n", "text"), *enumerate(TEXTS[:4])]).encode()
    done = leanformers_cli("classify", "--model", folder, "--format", "tsv", stdin=stdin)
    assert done.returncode == 0, done.stderr.decode()
    records = read_jsonl(done.stdout)
    assert [r["n"] for r in records] == ["0", "1", "2", "3"]
    assert_matches(records, TEXTS[:4], reference(TEXTS[:4]))


def test_text_column_of_jsonl_objects(folder, reference):
    stdin = "".join(json.dumps({"body": text}) + "\n" for text in TEXTS[:3]).encode()
    done = leanformers_cli("classify", "--model", folder, "--text-column", "body", stdin=stdin)
    assert done.returncode == 0, done.stderr.decode()
    for record, text, ref in zip(read_jsonl(done.stdout), TEXTS, reference(TEXTS[:3])):
        assert record["body"] == text and record["label"] == ref["label"]


@pytest.mark.parametrize("name, content, args, message", [
    ("reviews.csv", "id,review\n1,fine\n", (),
     "has no column 'text': its header names 'id', 'review'. Pass --text-column"),
    ("reviews.csv", "id,text\n1,fine\n2,two,fields too many\n", (),
     "line 3 of {source}: 3 fields, but the header has 2"),
    ("reviews.tsv", "id\ttext\n1\tfine\n", ("--text-column", "body"), "has no column 'body'"),
    ("texts.txt", "just a text\n", ("--text-column", "body"),
     "--text-column 'body' needs CSV, TSV or JSONL input, but line 1 of {source} is plain text"),
], ids=["missing column", "row too long", "tsv by name", "plain text"])
def test_table_errors_name_the_problem(tmp_path, name, content, args, message):
    source = tmp_path / name
    source.write_text(content, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    done = leanformers_cli("classify", "--model", str(tmp_path / "no-model-needed"), "--input", str(source),
                           "--output", str(out), *args)
    assert done.returncode == 1
    assert message.format(source=source) in done.stderr.decode()
    assert not out.exists()  # the input was refused before any model was looked for
    assert "Traceback" not in done.stderr.decode()
