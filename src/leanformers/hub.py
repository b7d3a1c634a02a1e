"""Finding a file of a model: in a local folder or, by name, on the Hugging Face Hub.

Every `from_pretrained` goes through `resolve_file`, so the folder/hub decision,
the cache and the error messages live in one place.
"""

import os

# keyword arguments of from_pretrained that belong to file resolution
HUB_KWARGS = ("revision", "cache_dir", "force_download", "local_files_only", "token")


def pop_hub_kwargs(kwargs):
    """Remove and return the file-resolution keyword arguments from `kwargs`."""
    return {key: kwargs.pop(key) for key in HUB_KWARGS if key in kwargs}


def resolve_file(name_or_path, filename, *, required=True, revision=None, cache_dir=None,
                 force_download=False, local_files_only=False, token=None):
    """Return the local path of `filename` from a folder or hub repository.

    Returns None when the file does not exist there and `required` is False;
    raises an error that names the file and the folder or repository otherwise.
    """
    name_or_path = os.fspath(name_or_path)
    if os.path.isdir(name_or_path):
        path = os.path.join(name_or_path, filename)
        if os.path.isfile(path):
            return path
        if not required:
            return None
        raise FileNotFoundError(
            f"{filename!r} was not found in the folder {name_or_path!r}. "
            "Check that the folder holds a saved model or tokenizer (save_pretrained writes it)."
        )
    raise OSError(
        f"{name_or_path!r} is not a folder. Loading by Hub name is not available in this build; "
        "pass the path of a folder written by save_pretrained."
    )
