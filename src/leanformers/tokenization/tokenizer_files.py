"""The files of a saved tokenizer: tokenizer_config.json, special_tokens_map.json,
tokenizer.json and the family's vocabulary files (vocab.txt, vocab.json + merges.txt).

`constructor_arguments` reads a folder into the keyword arguments of a tokenizer class;
`save` writes a tokenizer into a folder as one atomic save (utils/files.py): a failure
while writing leaves no file behind and the files of an earlier save as they were.
"""

import os

from .. import hub
from ..utils.files import atomic_files, json_text, make_save_directory, read_json
from .added_tokens import as_added_token

# tokenizer_config.json keys that describe the file rather than configure the tokenizer
_CONFIG_ONLY_KEYS = ("tokenizer_class", "auto_map", "added_tokens_decoder", "name_or_path", "is_local",
                     "local_files_only", "backend", "processor_class", "files_loaded", "model_type")


def constructor_arguments(cls, path, hub_kwargs):
    """The keyword arguments of tokenizer class `cls` for the saved tokenizer at `path` (a folder or a
    hub repository): the settings of tokenizer_config.json and special_tokens_map.json, its added
    tokens, and the paths of the class's vocabulary files and of tokenizer.json (`tokenizer_file`). A path to
    a file is that file, for a class with one vocabulary file (BertTokenizer's vocab.txt), as in transformers."""
    if os.path.isfile(path):
        if len(cls.vocab_files_names) != 1:
            needed = sorted(cls.vocab_files_names.values()) or ["tokenizer.json"]
            raise ValueError(f"{cls.__name__}.from_pretrained({os.fspath(path)!r}): the path is a file, but this "
                             f"tokenizer needs the files {needed}; pass the folder that holds them.")
        return {next(iter(cls.vocab_files_names)): os.fspath(path)}
    config = _read(hub.resolve_file(path, "tokenizer_config.json", required=False, **hub_kwargs))
    special_map = _read(hub.resolve_file(path, "special_tokens_map.json", required=False, **hub_kwargs))
    # file names in the config ("vocab_file", "tokenizer_file": often an absolute path on the machine that saved
    # it) are never followed: the files are the ones of this folder, under the class's names, as found below
    arguments = {k: v for k, v in config.items() if k not in _CONFIG_ONLY_KEYS and not k.endswith("_file")}
    for key, value in special_map.items():
        arguments.setdefault(key, value)
    if "added_tokens_decoder" in config:
        arguments["added_tokens_decoder"] = {int(i): as_added_token(t)
                                             for i, t in config["added_tokens_decoder"].items()}
    files = {arg: hub.resolve_file(path, filename, required=False, **hub_kwargs)
             for arg, filename in cls.vocab_files_names.items()}
    files["tokenizer_file"] = hub.resolve_file(path, "tokenizer.json", required=False, **hub_kwargs)
    if not any(files.values()):
        wanted = sorted(set(cls.vocab_files_names.values()) | {"tokenizer.json"})
        raise FileNotFoundError(f"{cls.__name__}.from_pretrained({str(path)!r}): none of the files {wanted} "
                                "was found there; point it at a folder written by save_pretrained.")
    arguments.update(files)
    return arguments


def _read(path):
    if path is None:
        return {}
    return read_json(path, "the file must be UTF-8 JSON holding one object; re-save it with save_pretrained.")


def save(tokenizer, folder, filename_prefix=None):
    """Write every file of `tokenizer` into `folder`; returns their paths."""
    from .tokenizer_json import tokenizer_to_json  # loads every stage kind; tokenizing from vocab.txt needs none

    texts = {"tokenizer_config.json": json_text(config_dict(tokenizer), ensure_ascii=False),
             "special_tokens_map.json": json_text(tokenizer.special_tokens_map, ensure_ascii=False),
             "tokenizer.json": json_text(tokenizer_to_json(tokenizer.backend_tokenizer), sort_keys=False,
                                         ensure_ascii=False),
             **tokenizer._vocabulary_files()}
    return write_texts(folder, texts, filename_prefix)


def write_texts(folder, texts, filename_prefix=None):
    """Write {file name: text} into `folder` (created if missing) as one atomic save, each name
    after "PREFIX-" when `filename_prefix` is given; returns the paths, in the order of `texts`."""
    make_save_directory(folder)
    prefix = f"{filename_prefix}-" if filename_prefix else ""
    with atomic_files(folder) as stage:
        for name, text in texts.items():
            with open(stage(prefix + name), "w", encoding="utf-8") as f:
                f.write(text)
    return tuple(os.path.join(folder, prefix + name) for name in texts)


def config_dict(tokenizer):
    """The tokenizer_config.json object of `tokenizer`."""
    config = {k: v for k, v in tokenizer.init_kwargs.items() if k not in tokenizer.vocab_files_names
              and k != "tokenizer_file" and _jsonable(v)}
    config.update({key: str(value) for key, value in tokenizer._special.items() if value is not None})
    if tokenizer._extra_special:
        config["extra_special_tokens"] = tokenizer.additional_special_tokens
    config.update(tokenizer_class=type(tokenizer).__name__, model_max_length=tokenizer.model_max_length,
                  clean_up_tokenization_spaces=tokenizer.clean_up_tokenization_spaces,
                  padding_side=tokenizer.padding_side, truncation_side=tokenizer.truncation_side,
                  added_tokens_decoder={str(i): t.to_dict() for i, t in tokenizer.added_tokens_decoder.items()})
    return config


def _jsonable(value):
    return value is None or isinstance(value, (str, int, float, bool, list, dict))
