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


def run_all(
    tasks: Sequence[Callable[[], T]],
    *,
    workers: int | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> list[T]:
    """``[task() for task in tasks]``, spread over up to *workers* forked processes.

    *workers* defaults to the usable CPUs. Tasks must not rely on side effects in this
    process (a forked worker's changes stay in the worker) and must return picklable
    values. *meanwhile* runs in this process once the workers are forked (first, when the
    tasks run here): work this process needs next, done while it would only wait, such as
    importing the modules of the next step.
    """
    global _TASKS
    count = min(workers or usable_cpus(), len(tasks))
    if count < 2 or "fork" not in multiprocessing.get_all_start_methods():
        if meanwhile is not None:
            meanwhile()
        return [task() for task in tasks]
    _TASKS = tasks
    # Objects made so far move to a generation the collector never visits: a worker's
    # collections then neither scan them nor copy the pages their headers sit on.
    gc.freeze()
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
            results = pool.map(_run, range(len(tasks)))  # forks every worker first
            if meanwhile is not None:
                meanwhile()
            return list(results)
    finally:
        _TASKS = ()
        gc.unfreeze()
