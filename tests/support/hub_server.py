"""A small Hugging Face Hub look-alike for tests: standard-library HTTP on 127.0.0.1.

It answers what huggingface_hub (and so transformers) asks a Hub for:
- HEAD/GET /{repo}/resolve/{revision}/{file}, with X-Repo-Commit, ETag, Content-Length
  and Range; weights files are served like Git LFS files (X-Linked-Etag = sha256,
  X-Linked-Size), so their cache blobs are named after their sha256;
- GET /api/models/{repo}[/revision/{revision}] and /api/models/{repo}/tree/{revision}[/{path}];
- legacy names redirect to their canonical repository (307), as on the Hub;
- errors carry the X-Error-Code header that huggingface_hub turns into typed errors.

Every request is recorded, so tests can prove that a load made no request at all.
Faults: `drop_connection` cuts a file's body half-way, `slow_down` streams it slowly
(to make concurrent downloads overlap), `stall_body` sends the headers and the first bytes
and then nothing more, `stop` takes the whole server down. `SilentServer` accepts
connections and never answers at all.
"""

import hashlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

# files the Hub stores with Git LFS in a transformers repository (see its .gitattributes)
LFS_SUFFIXES = (".safetensors", ".bin", ".pt", ".h5", ".msgpack", ".onnx")


def git_blob_sha(data):
    """The object id git gives a file's content: the Hub's ETag for regular files."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def is_lfs(filename):
    return filename.endswith(LFS_SUFFIXES)


@dataclass
class HubRepo:
    """A model repository: commits of whole file trees, and refs (branches, tags) naming them."""

    repo_id: str
    private: bool = False  # invisible without the hub's token, like a private repo
    gated: bool = False  # visible, but files need the hub's token, like a gated repo
    commits: dict = field(default_factory=dict)  # commit sha -> {filename: bytes}
    refs: dict = field(default_factory=dict)  # branch or tag -> commit sha

    def commit(self, files, *, ref="main", prefix=""):
        """Record `files` ({name: bytes}, or a folder) as a new commit that `ref` points to.

        `prefix` sets the start of the commit hash, to match a short hash that code pins.
        """
        if not isinstance(files, dict):
            folder = Path(files)
            files = {p.relative_to(folder).as_posix(): p.read_bytes()
                     for p in sorted(folder.rglob("*")) if p.is_file()}
        digest = hashlib.sha1(self.repo_id.encode())
        digest.update(str(len(self.commits)).encode())  # same files twice are still two commits
        for name in sorted(files):
            digest.update(name.encode() + b"\0" + files[name])
        sha = prefix + digest.hexdigest()[len(prefix):]
        self.commits[sha] = dict(files)
        self.refs[ref] = sha
        return sha

    def resolve(self, revision):
        """The commit sha of a branch, tag, full or short (7+ characters) commit hash; None if unknown."""
        if revision in self.refs:
            return self.refs[revision]
        matches = [sha for sha in self.commits if len(revision) >= 7 and sha.startswith(revision)]
        return matches[0] if len(matches) == 1 else None


@dataclass
class Request:
    method: str
    path: str
    range: str | None


class TestHub:
    """The server. `url` is what HF_ENDPOINT should be; `requests` lists every request served."""

    __test__ = False  # not a pytest test class despite its name
    token = "hf_test_token"

    def __init__(self, repos=(), aliases=None):
        self.repos = {repo.repo_id: repo for repo in repos}
        self.aliases = dict(aliases or {})  # legacy name -> canonical repo id
        self.requests = []
        self._drops = {}  # filename -> how many more GETs of it to cut half-way
        self._slow = {}  # filename -> seconds to spread the body over
        self._stalls = {}  # filename -> body bytes sent before the GETs of it stop sending
        self._stopped = threading.Event()  # stalled answers wait for it
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.hub = self
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        # a short poll interval makes `stop` quick
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    # -- control ---------------------------------------------------------------------------

    def stop(self):
        """Take the server down: from now on connections to `url` are refused."""
        if self._thread is not None:
            self._stopped.set()
            self._server.shutdown()
            self._server.server_close()
            self._thread = None

    def count(self, path_part=""):
        """How many requests were served, optionally only those whose path contains `path_part`."""
        with self._lock:
            return sum(1 for r in self.requests if path_part in r.path)

    def downloads(self, filename=""):
        """GET requests for files (any repo), optionally only for paths ending in `filename`."""
        with self._lock:
            return sum(1 for r in self.requests
                       if r.method == "GET" and "/resolve/" in r.path and r.path.endswith(filename))

    def drop_connection(self, filename, *, times=1):
        """Cut the connection half-way through the body of the next `times` GETs of `filename`."""
        self._drops[filename] = times

    def slow_down(self, filename, seconds):
        """Stream `filename` over about `seconds`, so concurrent downloads overlap."""
        self._slow[filename] = seconds

    def stall_body(self, filename, after=0):
        """GETs of `filename` send the headers and `after` bytes of the body, then nothing until `stop`;
        `after=None` ends the fault for later GETs."""
        if after is None:
            self._stalls.pop(filename, None)
        else:
            self._stalls[filename] = after

    # -- serving ---------------------------------------------------------------------------

    def handle(self, req, method):
        path = urlsplit(req.path).path
        with self._lock:
            self.requests.append(Request(method, path, req.headers.get("Range")))
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts[:2] == ["api", "models"]:
            return self._api(req, parts[2:], path)
        if "resolve" in parts[1:3]:
            split = parts.index("resolve", 1)
            return self._resolve(req, method, "/".join(parts[:split]), parts[split + 1:], path)
        return _reply(req, 404, {"X-Error-Message": "Not found"}, method)

    def _repo(self, req, repo_id, path, method):
        """The repo `repo_id`, or None after answering the request (redirect or error) ourselves."""
        if repo_id in self.aliases:  # the Hub redirects renamed repositories
            new_path = (path + "/").replace(f"/{repo_id}/", f"/{self.aliases[repo_id]}/", 1)[:-1]
            query = urlsplit(req.path).query
            return _reply(req, 307, {"Location": new_path + (f"?{query}" if query else "")}, method)
        repo = self.repos.get(repo_id)
        authorized = req.headers.get("Authorization") == f"Bearer {self.token}"
        if repo is None or (repo.private and not authorized):
            # like the Hub: the same answer for "missing" and "private", 401 when anonymous
            return _reply(req, 401 if not authorized else 404,
                          {"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"}, method)
        if repo.gated and not authorized:
            message = f"Access to model {repo_id} is restricted. You must have access to it and be authenticated."
            return _reply(req, 401, {"X-Error-Code": "GatedRepo", "X-Error-Message": message}, method)
        return repo

    def _commit(self, req, repo, revision, method):
        sha = repo.resolve(revision)
        if sha is None:
            _reply(req, 404, {"X-Error-Code": "RevisionNotFound",
                              "X-Error-Message": f"Invalid rev id: {revision}"}, method)
        return sha

    def _resolve(self, req, method, repo_id, rest, path):
        repo = self._repo(req, repo_id, path, method)
        if repo is None:
            return None
        if len(rest) < 2:
            return _reply(req, 400, {"X-Error-Message": "Expected /resolve/<revision>/<file>"}, method)
        revision, filename = rest[0], "/".join(rest[1:])
        sha = self._commit(req, repo, revision, method)
        if sha is None:
            return None
        data = repo.commits[sha].get(filename)
        if data is None:
            return _reply(req, 404, {"X-Error-Code": "EntryNotFound", "X-Error-Message": "Entry not found",
                                     "X-Repo-Commit": sha}, method)
        headers = {"X-Repo-Commit": sha, "Accept-Ranges": "bytes",
                   "Content-Type": "application/octet-stream"}
        if is_lfs(filename):
            sha256 = hashlib.sha256(data).hexdigest()
            pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {len(data)}\n"
            headers.update({"ETag": f'"{git_blob_sha(pointer.encode())}"',
                            "X-Linked-Etag": f'"{sha256}"', "X-Linked-Size": str(len(data))})
        else:
            headers["ETag"] = f'"{git_blob_sha(data)}"'
        status, start, end = 200, 0, len(data)
        if req.headers.get("Range"):
            start, end = _parse_range(req.headers["Range"], len(data))
            if start is None:
                return _reply(req, 416, {"Content-Range": f"bytes */{len(data)}"}, method)
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(data)}"
        body = data[start:end]
        if method == "HEAD":
            return _reply(req, status, headers, method, length=len(body))
        cut = None
        with self._lock:
            if self._drops.get(filename, 0) > 0:
                self._drops[filename] -= 1
                cut = len(body) // 2
        stall = self._stalls.get(filename)
        if stall is not None:
            return _reply(req, status, headers, method, body=body, cut=stall, stall=self._stopped)
        return _reply(req, status, headers, method, body=body, cut=cut,
                      seconds=self._slow.get(filename, 0.0))

    def _api(self, req, parts, path):
        # /api/models/{repo}, .../revision/{rev}, .../tree/{rev}[/{path}]
        for split, word in enumerate(parts):
            if word in ("revision", "tree") and split in (1, 2):
                break
        else:
            split, word = len(parts), "revision"
        repo = self._repo(req, "/".join(parts[:split]), path, "GET")
        if repo is None:
            return None
        revision = parts[split + 1] if len(parts) > split + 1 else "main"
        sha = self._commit(req, repo, revision, "GET")
        if sha is None:
            return None
        files = repo.commits[sha]
        if word == "revision":
            info = {"id": repo.repo_id, "modelId": repo.repo_id, "sha": sha, "private": repo.private,
                    "gated": "manual" if repo.gated else False, "disabled": False, "tags": [],
                    "library_name": "transformers", "downloads": 0, "likes": 0,
                    "siblings": [{"rfilename": name} for name in sorted(files)]}
            return _reply_json(req, info)
        folder = "/".join(parts[split + 2:])
        prefix = folder + "/" if folder else ""
        recursive = "recursive=true" in (urlsplit(req.path).query or "").lower()
        entries, folders = [], set()
        for name in sorted(files):
            if not name.startswith(prefix):
                continue
            inner = name[len(prefix):]
            if "/" in inner and not recursive:
                folders.add(prefix + inner.split("/")[0])
                continue
            entries.append(_tree_entry(name, files[name]))
        if folder and not entries and not folders:
            return _reply(req, 404, {"X-Error-Code": "EntryNotFound", "X-Error-Message": "Entry not found"}, "GET")
        entries += [{"type": "directory", "oid": "0" * 40, "size": 0, "path": f} for f in sorted(folders)]
        return _reply_json(req, entries)


def _tree_entry(name, data):
    entry = {"type": "file", "oid": git_blob_sha(data), "size": len(data), "path": name}
    if is_lfs(name):
        entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
    return entry


def _parse_range(header, size):
    """(start, end) of a `bytes=a-b` / `bytes=a-` range, end exclusive; (None, None) if unsatisfiable."""
    unit, _, spec = header.partition("=")
    first, _, last = spec.partition("-")
    if unit.strip() != "bytes" or not first.strip().isdigit():
        return None, None
    start = int(first)
    end = min(int(last) + 1, size) if last.strip() else size
    return (start, end) if start < end else (None, None)


def _reply_json(req, payload):
    body = json.dumps(payload).encode()
    return _reply(req, 200, {"Content-Type": "application/json"}, "GET", body=body)


def _reply(req, status, headers, method, *, body=b"", length=None, cut=None, seconds=0.0, stall=None):
    """Send a response; `cut` stops after that many body bytes and drops the connection,
    or with `stall` (an Event) waits for it first, sending nothing more."""
    req.send_response(status)
    for key, value in headers.items():
        req.send_header(key, value)
    req.send_header("Content-Length", str(len(body) if length is None else length))
    req.end_headers()
    if method == "HEAD":
        return None
    sent = body if cut is None else body[:cut]
    pieces = 10 if seconds else 1
    step = max(1, -(-len(sent) // pieces))
    for i in range(0, len(sent), step):
        req.wfile.write(sent[i:i + step])
        req.wfile.flush()
        if seconds:
            time.sleep(seconds / pieces)
    if stall is not None:
        stall.wait()
    if cut is not None:
        req.connection.shutdown(socket.SHUT_RDWR)  # the client sees a body shorter than announced
    return None


class SilentServer:
    """Accepts connections on 127.0.0.1 and never answers (a Hub that hangs); `url` is its address."""

    def __init__(self):
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self.connections = []  # accepted and held open, unread
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.connections.append(self._socket.accept()[0])
            except OSError:  # stopped
                return

    def stop(self):
        try:
            self._socket.shutdown(socket.SHUT_RDWR)  # wakes the waiting accept
        except OSError:
            pass
        self._socket.close()
        for connection in self.connections:
            connection.close()


class _Handler(BaseHTTPRequestHandler):
    # one request per connection: once the hub is stopped, no pooled connection can still reach it
    protocol_version = "HTTP/1.0"

    def do_HEAD(self):
        self.server.hub.handle(self, "HEAD")

    def do_GET(self):
        self.server.hub.handle(self, "GET")

    def log_message(self, format, *args):
        pass  # keep test output clean; `TestHub.requests` is the log
