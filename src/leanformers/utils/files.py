"""The one JSON reader and the one atomic writer of leanformers (no torch, no TensorFlow).

Every file leanformers writes goes through `atomic_files`: each file is written under a temporary
name in its final folder (`.NAME.PID.tmp`, hidden and unique to the process) and renamed over
the old file only after every file of the save is complete. A failure while writing (a value
that cannot be serialised, a full disk, Ctrl-C) removes the temporary files and leaves the old
files as they were, so a reader never sees a half-written or mixed save. Each saved file gets
the permissions a plain `open(path, "w")` gives (0644 under umask 022), whichever writer made it.
"""

import contextlib
import json
import os

JSON_KINDS = {dict: "object", list: "list", str: "string", int: "number", float: "number", bool: "boolean",
              type(None): "null"}


def read_json(path, fix, error=ValueError, expect=dict, parse_float=None):
    """The JSON value in `path`, which must be a `expect` (None: anything); `parse_float` as in `json.load`.

    A file that is not UTF-8 JSON, or holds the wrong kind of value, raises `error` with a message
    naming the file, what is wrong and `fix` (what the user should do). A file that cannot be
    opened raises the OSError of `open`, which names it."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f, parse_float=parse_float)
    except ValueError as err:  # also UnicodeDecodeError, json.JSONDecodeError and parse_float's errors
        raise error(f"{os.fspath(path)!r} is not valid JSON ({err}); {fix}") from None
    if expect is not None and not isinstance(data, expect):
        raise error(f"{os.fspath(path)!r} is a JSON {JSON_KINDS[type(data)]}, not {_kind_name(expect)}; {fix}")
    return data


def _kind_name(expect):
    kinds = expect if isinstance(expect, tuple) else (expect,)
    return " or ".join(("an " if JSON_KINDS[k] == "object" else "a ") + JSON_KINDS[k] for k in kinds)


def json_text(value, sort_keys=True, ensure_ascii=True):
    """`value` as transformers writes its JSON files: indented by 2, a final newline. (Configs keep
    ensure_ascii; tokenizer files are written with ensure_ascii=False, as transformers does.)"""
    return json.dumps(value, indent=2, sort_keys=sort_keys, ensure_ascii=ensure_ascii) + "\n"


def make_save_directory(save_directory):
    """The folder a save_pretrained writes to, made if missing; a file in its place is the caller's mistake."""
    if os.path.isfile(save_directory):
        raise ValueError(f"save_directory {os.fspath(save_directory)!r} is a file; pass the path of a folder.")
    os.makedirs(save_directory, exist_ok=True)


def temporary_name(path):
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.{os.getpid()}.tmp")


@contextlib.contextmanager
def atomic_files(folder):
    """Stage the files of one save in `folder`: `stage(name)` returns the temporary path to write
    `name` to. When the block ends normally every staged file replaces its final name; when it
    raises, every staged file is removed and the exception goes on."""
    staged = {}  # final name -> (temporary path, the mode a plain write gives there)

    def stage(name):
        tmp = temporary_name(os.path.join(folder, name))
        # created here by open(), so it has the mode a plain write gets (umask, default ACLs); some writers
        # replace it with a file of their own (safetensors' save_file writes a 0600 temporary file)
        with open(tmp, "wb"):
            pass
        staged[name] = (tmp, os.stat(tmp).st_mode & 0o7777)
        return tmp

    try:
        yield stage
    except BaseException:
        for tmp, _ in staged.values():
            with contextlib.suppress(FileNotFoundError):
                os.remove(tmp)
        raise
    for name, (tmp, mode) in staged.items():
        os.chmod(tmp, mode)
        os.replace(tmp, os.path.join(folder, name))


def write_atomic(path, content):
    """Write `content` (str, bytes, or a function that writes to the temporary path it is given) to `path`."""
    folder, name = os.path.split(os.path.abspath(path))
    with atomic_files(folder) as stage:
        tmp = stage(name)
        if callable(content):
            content(tmp)
        elif isinstance(content, bytes):
            with open(tmp, "wb") as f:
                f.write(content)
        else:
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(content)
    return path
