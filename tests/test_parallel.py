"""commbench.parallel and the parallel paths of loading and reporting."""

from __future__ import annotations

import functools
import multiprocessing
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from commbench.errors import UserError
from commbench.parallel import run_all, usable_cpus
from commbench.report import render_html
from commbench.results import load_results

DATA = Path(__file__).parent / "data"
FILES = [DATA / "run_a.json", DATA / "transports_small.json", DATA / "dissemination_small.json"]


def _pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def _fail(message: str) -> None:
    raise UserError(message)


def test_results_come_back_in_task_order_from_worker_processes() -> None:
    tasks = [functools.partial(_pid_and_square, x) for x in range(12)]
    got = run_all(tasks, workers=2)
    assert [square for _, square in got] == [x * x for x in range(12)]
    assert os.getpid() not in {pid for pid, _ in got}
    assert not multiprocessing.active_children()  # the pool's workers are gone


def test_one_worker_runs_the_tasks_here() -> None:
    got = run_all([functools.partial(_pid_and_square, 3)] * 2, workers=1)
    assert got == [(os.getpid(), 9)] * 2


def test_a_task_error_is_raised_here() -> None:
    with pytest.raises(UserError, match="boom"):
        run_all(
            [functools.partial(_pid_and_square, 1), functools.partial(_fail, "boom")], workers=2
        )


def _spools() -> set[str]:
    import glob
    import tempfile

    return set(glob.glob("/dev/shm/commbench-spool-*")) | set(
        glob.glob(os.path.join(tempfile.gettempdir(), "commbench-spool-*"))
    )


def _spool_seen() -> tuple[str | None, bool]:
    from commbench import parallel

    spool = parallel._SPOOL
    return spool, spool is not None and os.path.isdir(spool)


def test_spooled_results_come_back_through_files_that_are_then_removed() -> None:
    before = _spools()
    [(spool, existed)] = {*run_all([_spool_seen] * 2, workers=2, spool=True)}
    assert existed and spool not in before and not os.path.exists(spool)
    tasks = [functools.partial(np.arange, n) for n in (5, 200_000, 0, 3)]
    got = run_all(tasks, workers=2, spool=True)
    assert [a.tolist() for a in got] == [np.arange(n).tolist() for n in (5, 200_000, 0, 3)]
    assert _spools() == before
    with pytest.raises(UserError, match="boom"):
        run_all([functools.partial(np.arange, 9), functools.partial(_fail, "boom")], workers=2,
                spool=True)  # fmt: skip
    assert _spools() == before


def test_usable_cpus_is_the_affinity_mask() -> None:
    assert usable_cpus() == len(os.sched_getaffinity(0))


def test_parallel_loading_builds_the_same_table(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    serial = load_results([*FILES, bad])
    parallel = load_results([*FILES, bad], parallel=True)
    assert [r.path for r in parallel.runs] == [r.path for r in serial.runs]
    assert [p for p, _ in parallel.rejected] == [bad] and "not valid JSON" in parallel.rejected[0][
        1
    ]
    a, b = serial.table(), parallel.table()
    pd.testing.assert_frame_equal(a.drop(columns="samples"), b.drop(columns="samples"))
    for x, y in zip(a["samples"], b["samples"]):
        assert (x is None and y is None) or np.array_equal(x, y)


def test_a_parallel_report_is_the_same_page(tmp_path: Path) -> None:
    one = render_html(FILES, tmp_path / "serial.html").read_text()
    two = render_html(FILES, tmp_path / "parallel.html", parallel=True).read_text()
    strip = functools.partial(
        __import__("re").sub,
        r"Rendered [^<]* from|This page took [0-9.]+ s to build\.",
        "Rendered from",
    )
    assert strip(one) == strip(two)


def test_the_comparison_computed_with_the_page_is_the_same(tmp_path: Path) -> None:
    from commbench.report.page.comparison import comparison_html

    files = [DATA / "run_a.json", DATA / "run_b.json"]
    given = render_html(
        load_results(files),
        tmp_path / "a.html",
        comparison_html=comparison_html(load_results(files)),
    ).read_text()
    computed = render_html(files, tmp_path / "b.html", compare=True, parallel=True).read_text()
    strip = functools.partial(
        __import__("re").sub,
        r"Rendered [^<]* from|This page took [0-9.]+ s to build\.",
        "Rendered from",
    )
    assert strip(given) == strip(computed) and "<h2>Comparison</h2>" in computed


@pytest.mark.parametrize("workers", [1, 2])
def test_meanwhile_runs_here_once_while_the_workers_work(workers: int) -> None:
    calls: list[int] = []
    tasks = [functools.partial(_pid_and_square, x) for x in range(4)]
    got = run_all(tasks, workers=workers, meanwhile=lambda: calls.append(os.getpid()))
    assert calls == [os.getpid()]  # in this process (a worker's append would be lost)
    assert [square for _, square in got] == [0, 1, 4, 9]
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        assert os.getpid() not in {pid for pid, _ in got}
