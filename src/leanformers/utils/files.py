"""The one JSON reader and the one atomic writer of leanformers (no torch, no TensorFlow).

Every file leanformers writes goes through `atomic_files`, and a save of several files (config.json,
generation_config.json and the weights of a model; the files of a tokenizer or an adapter) is
all-or-nothing as a later load sees it, even when the saving process is killed at any instant:

1. each file is written under a temporary name in its final folder (`.NAME.PID.tmp`, hidden and
   unique to the process); a failure here (a value that cannot be serialised, a full disk, Ctrl-C,
   SIGKILL) leaves the old files as they were;
2. a journal, `.leanformers-save.PID.json`, naming every rename and removal still to do, appears
   in one rename: from that instant the save is done, whoever finishes it;
3. the files are renamed over the old ones, stale files removed, and the journal deleted.

A process killed during step 3 leaves a folder that mixes old and new files, with its journal
beside them; `finish_interrupted_saves`, which every load from a folder calls first (hub.py), and
every later save, carry the journal out. (It guards against processes that die, not against a
power cut: the files are not fsync'ed.) Each saved file gets the permissions a plain
`open(path, "w")` gives (0644 under umask 022), whichever writer made it.
"""

import contextlib
import json
import os
import re

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


JOURNAL_PATTERN = re.compile(r"\.leanformers-save\.\d+\.json")


def temporary_name(path):
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.{os.getpid()}.tmp")


@contextlib.contextmanager
def atomic_files(folder, remove=()):
    """Stage the files of one save in `folder`: `stage(name)` returns the temporary path to write
    `name` to. When the block ends normally every staged file replaces its final name and the files
    named in `remove` (stale ones the new files would be read with) are deleted, all or nothing (see
    the module's docstring); when it raises, every staged file is removed and the exception goes on."""
    finish_interrupted_saves(folder)  # an older interrupted save is completed before this one starts
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
    journal = {"replace": {name: [os.path.basename(tmp), mode] for name, (tmp, mode) in staged.items()},
               "remove": sorted(set(remove) - set(staged))}
    journal_path = os.path.join(folder, f".leanformers-save.{os.getpid()}.json")
    if len(staged) + len(journal["remove"]) > 1:  # one rename alone is atomic already: no journal needed
        with open(journal_path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(journal, f)
        os.replace(journal_path + ".tmp", journal_path)  # the switch: from here on the save counts as done
    _carry_out(folder, journal, journal_path)


def finish_interrupted_saves(folder):
    """Complete in `folder` any save whose process died after its switch (step 3 of the module's docstring),
    so that a load reads the new files only, never a mix of old and new."""
    try:
        names = os.listdir(folder)
    except OSError:
        return  # not a folder (yet): nothing to finish
    for name in names:
        if not JOURNAL_PATTERN.fullmatch(name):
            continue
        journal_path = os.path.join(folder, name)
        fix = "it is the journal of an interrupted save_pretrained; delete it and save the model again."
        journal = read_json(journal_path, fix, error=OSError)
        if not _names_only_files_inside(journal):  # a folder is data from anyone: its journal may be crafted
            raise OSError(f"{journal_path!r} is damaged or names a file outside its folder; {fix}")
        try:
            _carry_out(folder, journal, journal_path)
        except PermissionError as err:
            raise OSError(f"The folder {os.fspath(folder)!r} holds a save that was interrupted before its files "
                          f"were all renamed ({name}), and this process may not finish it ({err}). Load it once "
                          "with write permission, which completes the save, or save the model again.") from None


def _names_only_files_inside(journal):
    try:
        named = [*journal["replace"], *journal["remove"], *(tmp for tmp, _ in journal["replace"].values())]
        modes_are_ints = all(isinstance(mode, int) for _, mode in journal["replace"].values())
    except (KeyError, TypeError, ValueError, AttributeError):
        return False
    return modes_are_ints and all(isinstance(name, str) and name not in ("", ".", "..")
                                  and "\0" not in name and os.path.basename(name) == name for name in named)


def _carry_out(folder, journal, journal_path):
    for name, (tmp, mode) in journal["replace"].items():
        tmp = os.path.join(folder, tmp)
        try:
            os.chmod(tmp, mode)
            os.replace(tmp, os.path.join(folder, name))
        except FileNotFoundError:
            pass  # renamed already, by the saving process or by a load that finished its save first
    for name in journal["remove"]:
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(folder, name))
    with contextlib.suppress(FileNotFoundError):
        os.remove(journal_path)


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
