"""Independent CPU-bound pieces of work, run in forked worker processes.

A report of many big result files spends its time parsing JSON, testing samples and
drawing with matplotlib: all CPU-bound, and all holding the GIL, so threads do not help.
On Linux the pieces run in worker processes made by ``fork``: a worker sees the parent's
memory as it was when forked (loaded results, the tidy table), so a task is a plain
closure and only its result travels back, pickled. Without ``fork``, with one usable
CPU or with one task, the tasks run here, in order. Either way the results come back in
task order and an exception raised by a task is raised by :func:`run_all`.

Workers are children of this process, stopped when the pool closes; a worker whose
parent dies sees its pipe close and exits, so none is left behind.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

_TASKS: Sequence[Callable[[], Any]] = ()
"""The tasks of the pool being run; workers inherit them when forked."""


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _run(index: int) -> Any:
    return _TASKS[index]()


_SPOOL: str | None = None
"""Where workers of the pool being run write big results (see ``spool`` of run_all)."""


def _run_spooled(index: int) -> str:
    """Run task *index* and pickle its result into a file of the spool; return its path."""
    assert _SPOOL is not None
    result = _TASKS[index]()
    path = os.path.join(_SPOOL, f"{index}.pickle")
    with open(path, "wb") as out:
        pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _read_spooled(path: str) -> Any:
    with open(path, "rb") as spooled:
        result = pickle.load(spooled)
    os.unlink(path)
    return result


def run_all(
    tasks: Sequence[Callable[[], T]],
    *,
    workers: int | None = None,
    meanwhile: Callable[[], object] | None = None,
    spool: bool = False,
) -> list[T]:
    """``[task() for task in tasks]``, spread over up to *workers* forked processes.

    *workers* defaults to the usable CPUs. Tasks must not rely on side effects in this
    process (a forked worker's changes stay in the worker) and must return picklable
    values. *meanwhile* runs in this process once the workers are forked (first, when the
    tasks run here): work this process needs next, done while it would only wait, such as
    importing the modules of the next step. ``spool``: each result comes back through a
    file in memory (``/dev/shm``, else the temporary directory) instead of the pool's
    pipe, for results of tens of MB (a loaded result file): through a 64 KiB pipe such a
    result takes hundreds of reads, each a switch between processes, and on a busy
    2-core machine that cost more than loading the files one by one here.
    """
    global _TASKS, _SPOOL
    count = min(workers or usable_cpus(), len(tasks))
    if count < 2 or "fork" not in multiprocessing.get_all_start_methods():
        if meanwhile is not None:
            meanwhile()
        return [task() for task in tasks]
    _TASKS = tasks
    spool_dir = _spool_dir() if spool else None
    _SPOOL = spool_dir
    # Objects made so far move to a generation the collector never visits: a worker's
    # collections then neither scan them nor copy the pages their headers sit on.
    gc.freeze()
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
            work = _run_spooled if spool_dir else _run
            results = pool.map(work, range(len(tasks)))  # forks every worker first
            if meanwhile is not None:
                meanwhile()
            # a spooled result is read as soon as it is there, while the workers go on
            return [_read_spooled(path) for path in results] if spool_dir else list(results)
    finally:
        _TASKS = ()
        _SPOOL = None
        gc.unfreeze()
        if spool_dir is not None:
            shutil.rmtree(spool_dir, ignore_errors=True)


def _spool_dir() -> str:
    """A private directory for spooled results: in ``/dev/shm`` (memory) when it exists."""
    shm = "/dev/shm"
    usable = os.path.isdir(shm) and os.access(shm, os.W_OK)
    return tempfile.mkdtemp(prefix="commbench-spool-", dir=shm if usable else None)
