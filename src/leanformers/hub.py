"""Finding a file of a model: in a local folder or, by name, on the Hugging Face Hub.

Every `from_pretrained` goes through `resolve_file`, so the folder/hub decision,
the cache and the error messages live in one place.

Hub names go through huggingface_hub, so the cache is the Hugging Face cache
(HF_HOME, HF_HUB_CACHE or `cache_dir`) and is shared with transformers both ways.
Offline (HF_HUB_OFFLINE=1 or `local_files_only=True`) the cache is read directly
from disk: no request at all, not even the ones huggingface_hub makes to build headers.
huggingface_hub is imported only when a hub name is resolved, so loading from a
folder costs nothing extra.
Online, HF_HUB_ETAG_TIMEOUT and HF_HUB_DOWNLOAD_TIMEOUT are read at each call and bound
every wait, so a Hub that stops answering gives the cached copy or a clear error, not a
hang; a weights file that a killed process left half-downloaded is resumed.
"""

import functools
import os
import re

from . import __version__
from .utils import are_progress_bars_disabled
from .utils.files import finish_interrupted_saves, read_json

# keyword arguments of from_pretrained that belong to file resolution
HUB_KWARGS = ("revision", "cache_dir", "force_download", "local_files_only", "token")

# in the order a model's weights are looked for: one safetensors file, its shards, then the same for torch pickles
WEIGHTS_FILES = ("model.safetensors", "model.safetensors.index.json",
                 "pytorch_model.bin", "pytorch_model.bin.index.json")

# what `download` fetches besides the weights: config and every tokenizer file a model may ship
PREFETCH_FILES = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                  "special_tokens_map.json", "added_tokens.json", "vocab.txt", "vocab.json", "merges.txt",
                  "spiece.model", "sentencepiece.bpe.model")

_TRUE = {"1", "ON", "YES", "TRUE"}
_COMMIT_HASH = re.compile(r"[0-9a-f]{40}")


def pop_hub_kwargs(kwargs):
    """Remove and return the file-resolution keyword arguments from `kwargs`."""
    return {key: kwargs.pop(key) for key in HUB_KWARGS if key in kwargs}


def resolve_file(name_or_path, filename, *, required=True, revision=None, cache_dir=None,
                 force_download=False, local_files_only=False, token=None):
    """Return the local path of `filename` from a folder or hub repository.

    A name that is not an existing folder is a Hub repository id ("bert-base-cased",
    "facebook/bart-large"): its file comes from the Hugging Face cache, downloaded into
    it first when missing (or always, with `force_download`). With `local_files_only`
    or HF_HUB_OFFLINE=1, only the cache is read. Returns None when the file does not
    exist there and `required` is False; otherwise raises an error that names the file
    and the folder or repository and says what to do.
    """
    name_or_path = os.fspath(name_or_path)
    if os.path.isdir(name_or_path):
        return _folder_file(name_or_path, filename, required)
    _check_hub_name(name_or_path)
    if cache_dir is not None:
        cache_dir = os.path.expanduser(os.fspath(cache_dir))
    offline = _offline_reason(local_files_only)
    if offline is not None:
        if force_download:
            raise ValueError(f"force_download=True needs the network, but {offline[0]}.")
        return _cached_file(name_or_path, filename, revision, cache_dir, required, offline)
    if not required and not force_download and _known_missing(name_or_path, filename, revision, cache_dir):
        return None  # an earlier look-up at this commit found no such file: ask nobody
    return _download(name_or_path, filename, required=required, revision=revision, cache_dir=cache_dir,
                     force_download=force_download, token=token)


def resolve_weights(name_or_path, **hub_kwargs):
    """Local paths of a model's weights files, fetching only the ones the model needs.

    Looks for model.safetensors, then model.safetensors.index.json (and returns the
    shards it lists, in order), then pytorch_model.bin and its index. `hub_kwargs` are
    those of `resolve_file`.
    """
    for filename in WEIGHTS_FILES:
        path = resolve_file(name_or_path, filename, required=False, **hub_kwargs)
        if path is None:
            continue
        if not filename.endswith(".index.json"):
            return [path]
        weight_map = read_json(path, "the index file is damaged; download or save the model again.")
        weight_map = weight_map.get("weight_map")
        if not isinstance(weight_map, dict) or not weight_map:
            raise ValueError(f"{path} has no 'weight_map' naming the shards; the index file is damaged.")
        shards = dict.fromkeys(weight_map.values())  # each shard once, in the index's order
        for shard in shards:
            check_inside(shard, f"{path}'s weight_map")
        return [resolve_file(name_or_path, shard, **hub_kwargs) for shard in shards]
    where = (f"the folder {os.fspath(name_or_path)!r}" if os.path.isdir(name_or_path)
             else f"the Hub repository {os.fspath(name_or_path)!r}")
    offline = _offline_reason(hub_kwargs.get("local_files_only", False))
    if offline is not None and not os.path.isdir(name_or_path):
        where += f" as cached (only the cache was searched because {offline[0]})"
    raise FileNotFoundError(
        f"No weights found in {where}: looked for {', '.join(WEIGHTS_FILES)}. "
        "save_pretrained writes model.safetensors; check that this is a model and not only a tokenizer."
    )


def check_inside(filename, named_by):
    """Refuse a file name, read from a checkpoint (`named_by` says where), that would leave its folder or repository.

    A checkpoint is data from anyone: an index naming "../x.safetensors" or "/etc/x" must not make a load read
    (or ask the Hub for) a file outside the checkpoint. The check is on the name, not on where symbolic links
    lead, because a snapshot of the Hugging Face cache is itself links into its blobs folder."""
    if not isinstance(filename, str) or not filename or "\0" in filename:
        raise ValueError(f"{named_by} names the file {filename!r}; a file name must be a non-empty string "
                         "without NUL characters. The checkpoint is damaged; save or download it again.")
    parts = re.split(r"[/\\]", filename)
    if filename.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", filename) or ".." in parts:
        raise ValueError(f"{named_by} names the file {filename!r}, which lies outside the checkpoint (an absolute "
                         "path or one through '..'). Only files inside the checkpoint's folder or repository are "
                         "read; this checkpoint is damaged or crafted: do not use it, or fix the name.")
    return filename


def download(name, *, revision=None, cache_dir=None, token=None, force_download=False):
    """Fetch a repository's config, tokenizer and weights files into the cache; return their local paths."""
    hub_kwargs = dict(revision=revision, cache_dir=cache_dir, token=token, force_download=force_download)
    paths = [resolve_file(name, filename, required=False, **hub_kwargs) for filename in PREFETCH_FILES]
    paths = [path for path in paths if path is not None]
    try:
        paths += resolve_weights(name, **hub_kwargs)
    except FileNotFoundError:
        if not paths:
            raise  # neither a model nor a tokenizer: say so
    return paths


def _folder_file(folder, filename, required):
    finish_interrupted_saves(folder)  # a save killed half-way is completed first: never a mix of old and new files
    path = os.path.join(folder, filename)
    if os.path.isfile(path):
        return path
    if not required:
        return None
    raise FileNotFoundError(
        f"{filename!r} was not found in the folder {folder!r}. "
        "Check that the folder holds a saved model or tokenizer (save_pretrained writes it)."
    )


def _check_hub_name(name):
    """A name that cannot be a Hub repository id was meant as a folder: say that folder is missing."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(name)
    except HFValidationError:
        if os.path.isfile(name):
            raise FileNotFoundError(f"{name!r} is a file, but a folder (or a Hub repository id) is needed here: pass "
                                    "the folder that holds it and the other files save_pretrained wrote.") from None
        raise FileNotFoundError(
            f"{name!r} was taken as a folder path (it cannot be a Hub name such as 'org/model'), "
            f"but no such folder exists (relative paths start at {os.getcwd()!r}). "
            "Check the path, or pass the folder that save_pretrained wrote."
        ) from None


def _offline_reason(local_files_only):
    """None when online; else (why we are offline, what to do to go online)."""
    if local_files_only:
        return "local_files_only=True", "pass local_files_only=False"
    for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        value = os.environ.get(variable)
        if value is not None and value.strip().upper() in _TRUE:
            return f"offline mode is on ({variable}={value})", f"unset {variable}"
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return ("offline mode is on (HF_HUB_OFFLINE was set when huggingface_hub was imported)",
                "unset HF_HUB_OFFLINE and restart Python")
    return None


def _cache_root(cache_dir):
    from huggingface_hub import constants

    return cache_dir if cache_dir is not None else constants.HF_HUB_CACHE


def _cached_snapshot(repo_id, revision, cache_dir):
    """The cached snapshot folder of `repo_id` at `revision`, or None if the cache has none."""
    from huggingface_hub.file_download import repo_folder_name

    repo_folder = os.path.join(_cache_root(cache_dir), repo_folder_name(repo_id=repo_id, repo_type="model"))
    revision = revision or "main"
    ref = os.path.join(repo_folder, "refs", revision)
    if os.path.isfile(ref):
        with open(ref, encoding="utf-8") as f:
            revision = f.read().strip()
    snapshot = os.path.join(repo_folder, "snapshots", revision)
    return snapshot if _COMMIT_HASH.fullmatch(revision) and os.path.isdir(snapshot) else None


def _known_missing(repo_id, filename, revision, cache_dir):
    """True when the cache recorded that the repository has no `filename` at `revision`'s commit."""
    from huggingface_hub import _CACHED_NO_EXIST, try_to_load_from_cache

    return try_to_load_from_cache(repo_id, filename, cache_dir=cache_dir, revision=revision) is _CACHED_NO_EXIST


def _cached_file(repo_id, filename, revision, cache_dir, required, offline):
    """`filename` of `repo_id` from the cache alone (offline, or the Hub is out of reach)."""
    from huggingface_hub import _CACHED_NO_EXIST, try_to_load_from_cache

    cached = try_to_load_from_cache(repo_id, filename, cache_dir=cache_dir, revision=revision)
    if isinstance(cached, str):
        return cached
    why, fix = offline
    at = f"revision {revision!r}" if revision else "its main branch"
    if cached is _CACHED_NO_EXIST and required:
        raise FileNotFoundError(f"The repository {repo_id!r} ({at}) has no file {filename!r}, as the Hub "
                                "answered when it was last asked (the cache recorded it).")
    if _cached_snapshot(repo_id, revision, cache_dir) is None:
        raise OSError(
            f"{repo_id!r} is not a local folder, and the Hugging Face cache at {_cache_root(cache_dir)!r} "
            f"holds no copy of it ({at}); the cache was the only place looked at because {why}. "
            f"To download it, {fix}. If it is meant to be a folder, check the path "
            f"(relative paths start at {os.getcwd()!r})."
        )
    if not required:
        return None  # the repository is cached; this optional file is not part of it (or was never fetched)
    raise FileNotFoundError(
        f"{filename!r} of {repo_id!r} ({at}) is not in the Hugging Face cache at "
        f"{_cache_root(cache_dir)!r}, and only the cache was looked at because {why}. To download it, {fix}."
    )


def _download(repo_id, filename, *, required, revision, cache_dir, force_download, token):
    """hf_hub_download, with its errors turned into one message saying what to do."""
    import httpx2
    from huggingface_hub import constants, hf_hub_download, try_to_load_from_cache
    from huggingface_hub.errors import (GatedRepoError, LocalEntryNotFoundError, RemoteEntryNotFoundError,
                                        RepositoryNotFoundError, RevisionNotFoundError)

    endpoint = constants.ENDPOINT
    etag_timeout, download_timeout = _hub_timeouts()
    try:
        cached = try_to_load_from_cache(repo_id, filename, cache_dir=cache_dir, revision=revision)
        if not force_download and not isinstance(cached, str):
            metadata = _file_metadata(repo_id, filename, revision, token, etag_timeout)
            if metadata is not None:
                _resume_partial(repo_id, filename, cache_dir, metadata, token)
        return hf_hub_download(repo_id, filename, revision=revision, cache_dir=cache_dir,
                               force_download=force_download, token=token, etag_timeout=etag_timeout,
                               library_name="leanformers", library_version=__version__,
                               tqdm_class=_download_bar())
    except GatedRepoError:
        error = OSError(
            f"{repo_id!r} is a gated repository on {endpoint}: request access at {endpoint}/{repo_id}, "
            "then pass token=... (or set HF_TOKEN, or log in with `hf auth login`)."
        )
    except RepositoryNotFoundError:
        error = OSError(
            f"{repo_id!r} is neither a local folder (relative paths start at {os.getcwd()!r}) nor a "
            f"repository on the Hub at {endpoint}. Check the spelling of the name ('org/model'); if the "
            "repository is private, pass token=... (or set HF_TOKEN, or log in with `hf auth login`)."
        )
    except RevisionNotFoundError:
        error = OSError(
            f"Revision {revision!r} does not exist in the repository {repo_id!r} on {endpoint}: "
            "pass a branch name, a tag or a commit hash of that repository as revision=..."
        )
    except RemoteEntryNotFoundError:
        if not required:
            return None
        error = FileNotFoundError(
            f"The repository {repo_id!r} on {endpoint} has no file {filename!r}"
            f"{f' at revision {revision!r}' if revision else ''}. "
            "Check that it holds a model or tokenizer of the kind being loaded."
        )
    except LocalEntryNotFoundError as exc:  # the Hub was out of reach and the file is not cached
        cause = exc.__cause__ or exc.__context__ or exc
        if isinstance(cause, httpx2.TimeoutException):
            reach = (f"the Hub at {endpoint} did not answer the request for {filename!r} within "
                     f"{etag_timeout:g} s (HF_HUB_ETAG_TIMEOUT)",
                     "check the network connection and HF_ENDPOINT, or give a slow Hub more time: "
                     "set HF_HUB_ETAG_TIMEOUT=60")
        else:
            reach = (f"the Hub at {endpoint} could not be reached ({cause})",
                     "check the network connection and HF_ENDPOINT")
        try:
            return _cached_file(repo_id, filename, revision, cache_dir, required, reach)
        except OSError as cache_error:
            error = cache_error
    except ValueError as exc:  # force_download=True while the Hub is out of reach
        if not force_download:
            raise
        error = OSError(f"force_download=True, but the Hub at {endpoint} could not be reached: "
                        f"{exc.__cause__ or exc}. Check the network connection and HF_ENDPOINT.")
    except httpx2.TimeoutException:  # the file's bytes stopped coming, and kept stopping when retried
        error = OSError(
            f"Downloading {filename!r} of {repo_id!r} from {endpoint} stalled: no data came for "
            f"{download_timeout:g} s (HF_HUB_DOWNLOAD_TIMEOUT), also when retried. Check the network "
            "connection, or give a slow connection more time: set HF_HUB_DOWNLOAD_TIMEOUT=60; "
            "the same call again retries the download."
        )
    except (httpx2.TransportError, OSError) as exc:  # the transfer itself failed
        error = OSError(
            f"Downloading {filename!r} of {repo_id!r} from {endpoint} failed: {exc}. "
            "Check the network connection; the same call again retries the download."
        )
    raise error from None  # the message says it all; HTTP internals would only hide it


def _hub_timeouts():
    """(etag, download) timeouts in seconds, from HF_HUB_ETAG_TIMEOUT and HF_HUB_DOWNLOAD_TIMEOUT as set now.

    huggingface_hub reads both once, when it is imported, so a later setting would go unnoticed. A variable
    that is set is copied into huggingface_hub's settings at each call: its own requests (the file's HEAD and
    GET; the GET takes no timeout argument) then wait as long as ours. Each bounds the connection and every
    read, so a Hub that accepts the connection and never answers fails after that long.
    """
    from huggingface_hub import constants

    for variable in ("HF_HUB_ETAG_TIMEOUT", "HF_HUB_DOWNLOAD_TIMEOUT"):
        value = os.environ.get(variable, "").strip()
        if not value:
            continue
        try:
            seconds = float(value)
        except ValueError:
            seconds = 0
        if not seconds > 0:
            raise ValueError(f"{variable}={value!r} is not a number of seconds; set it to one such as 60.")
        setattr(constants, variable, seconds)
    return constants.HF_HUB_ETAG_TIMEOUT, constants.HF_HUB_DOWNLOAD_TIMEOUT


def _file_metadata(repo_id, filename, revision, token, timeout):
    """The Hub's metadata of a file not yet in the cache: one HEAD request, waiting at most `timeout` seconds.

    Raises LocalEntryNotFoundError at once when no answer came (refused, cut, or nothing within `timeout`):
    with nothing cached to fall back on, huggingface_hub would try six more times with a 60 s timeout, waiting
    up to 8 s between tries (6.5 minutes), for a name that may just be a mistyped folder. When the Hub answered
    with an error, returns None: hf_hub_download asks again and the error is reported from there.
    """
    import httpx2
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return get_hf_file_metadata(hf_hub_url(repo_id, filename, revision=revision), token=token,
                                    timeout=timeout, library_name="leanformers", library_version=__version__)
    except httpx2.TransportError as error:
        raise LocalEntryNotFoundError(str(error) or type(error).__name__) from error
    except (HfHubHTTPError, httpx2.HTTPError):
        return None


def _resume_partial(repo_id, filename, cache_dir, metadata, token):
    """Complete a weights file that a killed download left half-written in the cache.

    huggingface_hub downloads into `<sha256>.<random>.incomplete` beside the blob and deletes it on failure,
    but a killed process leaves it behind, and the next call would start again from zero. The largest such
    part is completed with a Range request for the rest, checked against the sha256 the Hub gives for Git LFS
    files (weights), and moved into place; other parts are removed. This happens under huggingface_hub's
    lock for the blob, which a live download holds, so a part still being written is never taken.
    """
    import glob
    import hashlib
    from urllib.parse import urlsplit

    from huggingface_hub import constants
    from huggingface_hub.file_download import http_get, repo_folder_name
    from huggingface_hub.utils import WeakFileLock, build_hf_headers

    sha256 = metadata.etag or ""
    if metadata.xet_file_data is not None or not re.fullmatch(r"[0-9a-f]{64}", sha256):
        return  # Xet keeps its own partial chunks; other files are small and have no sha256 to check
    folder = repo_folder_name(repo_id=repo_id, repo_type="model")
    blob = os.path.join(_cache_root(cache_dir), folder, "blobs", sha256)
    pattern = glob.escape(blob) + "*.incomplete"
    if not glob.glob(pattern):
        return
    lock = os.path.join(_cache_root(cache_dir), ".locks", folder, f"{sha256}.lock")
    os.makedirs(os.path.dirname(lock), exist_ok=True)
    with WeakFileLock(lock):
        parts = sorted(glob.glob(pattern), key=os.path.getsize)
        part = parts.pop() if parts and not os.path.exists(blob) else None
        for leftover in parts:
            os.remove(leftover)
        if part is None:
            return
        headers = build_hf_headers(token=token, library_name="leanformers", library_version=__version__)
        if urlsplit(metadata.location).netloc != urlsplit(constants.ENDPOINT).netloc:
            headers.pop("authorization", None)  # a CDN's signed address: the token stays with the Hub
        with open(part, "r+b") as f:
            f.seek(0, os.SEEK_END)
            http_get(metadata.location, f, resume_size=f.tell(), headers=headers, expected_size=metadata.size,
                     displayed_filename=filename, tqdm_class=_download_bar())
        with open(part, "rb") as f:
            complete = hashlib.file_digest(f, "sha256").hexdigest() == sha256
        if complete:
            os.replace(part, blob)
        else:
            os.remove(part)  # not what the Hub holds: hf_hub_download fetches it afresh


@functools.cache
def _download_bar():
    """huggingface_hub's download bar, also hidden by leanformers.utils.disable_progress_bars()."""
    from huggingface_hub.utils import tqdm

    class DownloadBar(tqdm):
        def __init__(self, *args, **kwargs):
            if are_progress_bars_disabled():
                kwargs["disable"] = True
            super().__init__(*args, **kwargs)

    return DownloadBar
