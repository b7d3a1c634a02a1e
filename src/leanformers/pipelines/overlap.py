"""Keep the model busy while texts are tokenized: the machinery of the overlapped pipeline path.

Why it exists: our tokenizer is pure Python. Run one step after the other, a GPU that classifies a
batch in a few milliseconds spends most of its time waiting for the next batch to be tokenized
(transformers' pipeline waits ~94% of the time so). The overlapped path runs three things at once:
  1. workers tokenize the next windows of texts (`TokenizerPool`);
  2. the main thread sorts, batches and collates a window and launches the model on each batch
     (CUDA kernels run asynchronously: launching returns at once), with the inputs copied from
     pinned host memory without waiting (`to_device`);
  3. the device computes, then copies the scores back into pinned memory; the main thread waits
     on a batch's CUDA event only when later batches are queued behind it (`copy_back`).
Each stage takes a bounded number of items ahead of the next (`ahead`), so a stream of any length
runs in bounded memory; an error in any stage reaches the caller and `TokenizerPool.close` stops the
workers.

Threads or processes: the tokenizer holds the GIL, so two tokenizer threads are no faster than one,
but one thread still overlaps tokenization with the device. One process tokenizes 14-22k SST-2
sentences (5-60 words) a second on the loaded 2-core development machine, about the ~15k/s a GPU
pipeline aims at, and a thread shares the GIL with the main thread's own Python work (collating,
launching, formatting); so one worker is a thread (no start-up cost) and more are processes
(parallel tokenization, and the GIL left to the main thread). benchmarks/README.md has the figures.
Processes start by forkserver (spawn where there is none): forking a parent that has initialised
CUDA is unsafe. The fork server imports torch once (Python 3.11 does not preload `__main__` there,
so without it every worker whose main script imports torch would import it again, seconds each);
each worker gets the tokenizer once, pickled, when it starts. As with any forkserver/spawn
process, a worker imports the caller's main script first: scripts need `if __name__ == "__main__":`.

This module imports torch only inside the functions that need it: spawned workers import the
module to tokenize, and must not pay for torch.
"""

import contextlib
import copy
import multiprocessing
import multiprocessing.forkserver
import os
import pickle
from collections import deque
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from itertools import islice

MAX_DEFAULT_WORKERS = 8  # beyond this the main thread, not tokenization, limits the pipeline
MIN_PIECE = 32  # texts per worker task: smaller pieces cost more in messages than they gain in balance
START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def default_workers():
    """Workers for the machine: one core stays with the main thread, which feeds the device."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT_WORKERS, cores - 1))


def start_fork_server():
    """Start the fork server (once per process) without waiting for it: it imports torch meanwhile,
    so a pipeline that starts it when built finds it ready by its first call."""
    if START_METHOD == "forkserver":
        multiprocessing.set_forkserver_preload([__name__, "torch"])
        multiprocessing.forkserver.ensure_running()


def ahead(items, depth):
    """Iterate `items`, keeping `depth` further items already taken: taking an item starts its work."""
    queue = deque(islice(items, depth))
    for item in items:
        queue.append(item)
        yield queue.popleft()
    yield from queue


class TokenizerPool:
    """Tokenizer calls run by `workers` workers: a thread for one, processes for more."""

    def __init__(self, tokenizer, workers):
        self.workers = workers
        if workers == 1:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="leanformers-tokenize")
            self._encode = partial(encode, tokenizer)
        else:
            start_fork_server()
            self._executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(START_METHOD),
                                                 initializer=_install,
                                                 initargs=(pickle.dumps(_without_word_caches(tokenizer)),))
            self._encode = _encode_installed

    def encode(self, texts, pairs, tokenizer_kwargs, keys):
        """Start tokenizing `texts` (with `pairs`, or None) in pieces across the workers, keeping the
        columns in `keys` (None: all). Returns a function that waits and gives {key: [ids per text]}."""
        size = max(MIN_PIECE, -(-len(texts) // self.workers))
        with _explained_worker_failure():
            futures = [self._executor.submit(self._encode, texts[i:i + size], pairs and pairs[i:i + size],
                                             tokenizer_kwargs, keys)
                       for i in range(0, len(texts), size)]

        def result():
            columns = {}
            for future in futures:
                with _explained_worker_failure():
                    encoding = future.result()
                for key, values in encoding.items():
                    columns.setdefault(key, []).extend(values)
            return columns

        return result

    def close(self):
        """Drop the work not started, wait for the pieces running (a moment) and end the workers."""
        self._executor.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _explained_worker_failure():
    try:
        yield
    except (BrokenProcessPool, BrokenPipeError) as err:
        raise RuntimeError(
            f"A tokenizer worker process died ({type(err).__name__}: {err}). Worker processes import the main "
            "script first: guard the script's top level with `if __name__ == \"__main__\":`, or pass "
            "num_workers=1 (one thread) or num_workers=0 (no workers) to the pipeline.") from err


def _without_word_caches(tokenizer):
    """A shallow copy of `tokenizer` whose backend starts with empty word caches. The caches grow with
    every new word seen and can outweigh the vocabulary: after 10,000 SST-2 sentences they make the
    pickle 1.1 MB instead of 0.6 MB and starting two workers 1.0 s instead of 0.2 s."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if not hasattr(backend, "refresh"):
        return tokenizer
    fresh = copy.copy(backend)
    fresh.refresh()  # new empty caches; it also recompiles the added-token patterns it shares, to the same
    clone = copy.copy(tokenizer)
    vars(clone).update({name: fresh for name, value in vars(tokenizer).items() if value is backend})
    return clone


_worker_tokenizer = None  # a worker process's tokenizer, set once by _install when the process starts


def _install(pickled_tokenizer):
    global _worker_tokenizer
    _worker_tokenizer = pickle.loads(pickled_tokenizer)


def _encode_installed(texts, pairs, tokenizer_kwargs, keys):
    return encode(_worker_tokenizer, texts, pairs, tokenizer_kwargs, keys)


def encode(tokenizer, texts, pairs, tokenizer_kwargs, keys=None):
    """One tokenizer call (`pairs`: None, or the second texts) -> {key: [ids per text]} of the columns in `keys`."""
    encoding = tokenizer(texts, pairs, **tokenizer_kwargs) if pairs else tokenizer(texts, **tokenizer_kwargs)
    return {key: values for key, values in encoding.items() if keys is None or key in keys}


def to_device(arrays, device):
    """{key: numpy array} -> tensors on `device`; to CUDA through pinned memory, without waiting."""
    import torch

    tensors = {key: torch.from_numpy(array) for key, array in arrays.items()}
    if device.type != "cuda":
        return {key: tensor.to(device) for key, tensor in tensors.items()}
    # the pinned block stays reserved until its copy is done (torch records the copy on it)
    return {key: tensor.pin_memory().to(device, non_blocking=True) for key, tensor in tensors.items()}


def copy_back(tensor):
    """Start copying `tensor` to the host; returns a function that waits for it and gives it as lists."""
    import torch

    if tensor.device.type != "cuda":
        return tensor.cpu().tolist
    host = torch.empty(tensor.shape, dtype=tensor.dtype, pin_memory=True)
    host.copy_(tensor, non_blocking=True)
    done = torch.cuda.Event()
    done.record(torch.cuda.current_stream(tensor.device))

    def result():
        done.synchronize()
        return host.tolist()

    return result
