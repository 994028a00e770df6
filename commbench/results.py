"""pytest-benchmark result files -> one tidy table: the only results model.

A result file is standard pytest-benchmark JSON. commbench adds, per benchmark,
``extra_info`` = {family, subject, params, metrics, schema} and, per file, a
``commbench`` block (schema, profile, unsupported combinations, the codec support
matrix, rejected payloads) and ``machine_info["commbench"]`` (the fingerprint).
Reports and comparisons read files only, never run a benchmark.
"""

from __future__ import annotations

import functools
import math
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from commbench import histograms, stats
from commbench.errors import UserError
from commbench.jsonfile import read_json
from commbench.parallel import run_all

SCHEMA_VERSION = 2
"""Version of the result layout, authoritative in the file's ``commbench`` block (each
benchmark's ``extra_info["schema"]`` is a copy). Bump it when the layout changes shape, and
add the step that upgrades the previous version to :data:`MIGRATIONS`.

Changelog:
  1: extra_info = {family, subject, params, metrics, schema}; the commbench block holds
     schema, profile, unsupported, rejected_payloads, support, peer, peer_machine.
  2: latency distributions may be stored as an HdrHistogram (extra_info["histogram"])
     instead of stats.data; the block adds user_errors (a run's user errors, which decide
     its exit status) and unsupported rows may carry missing=True (a component not here).
"""


def _from_1(doc: dict[str, Any]) -> dict[str, Any]:
    """1 -> 2: nothing moves; the new keys get their empty values."""
    block = doc.setdefault("commbench", {})
    block.setdefault("user_errors", [])
    block["schema"] = 2
    for bench in doc.get("benchmarks", []):
        extra = bench.get("extra_info")
        if isinstance(extra, dict) and "schema" in extra:
            extra["schema"] = 2
    return doc


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _from_1}
"""Version -> the step that upgrades a document of that version to the next one."""


def migrate(doc: dict[str, Any], schema: Any) -> dict[str, Any]:
    """*doc* (a result file of version *schema*) upgraded to :data:`SCHEMA_VERSION`, step by
    step; ValueError when no path leads there (a newer file, or an unknown version)."""
    while schema != SCHEMA_VERSION:
        step = MIGRATIONS.get(schema) if isinstance(schema, int) else None
        if step is None:
            raise ValueError(
                f"results schema {schema!r} is not supported by this commbench "
                f"(reads schema {SCHEMA_VERSION} and upgrades older ones)"
            )
        doc = step(doc)
        schema = doc["commbench"]["schema"]
    return doc


DEFAULT_STORAGE = Path(".benchmarks")


def label(
    benchmark: Any,
    *,
    family: str,
    subject: str,
    params: dict[str, Any],
    metrics: dict[str, Any] | None = None,
) -> None:
    """Label one benchmark for the result file: the one writer every bench module calls.

    *family* is a row family of :mod:`commbench.families`, *subject* the thing compared
    (codec, transport, framework, broker, store), *params* the scenario in full (every
    condition that tells this benchmark from its neighbours) and *metrics* the measured
    non-time quantities (units in their names: ``encoded_bytes``, ``p99_ns``).
    """
    if not family or not subject:
        raise ValueError("a benchmark needs a family and a subject")
    benchmark.extra_info.update(
        family=family,
        subject=subject,
        params=dict(params),
        metrics=dict(metrics or {}),
        schema=SCHEMA_VERSION,
    )


STAT_COLUMNS = ("min", "max", "mean", "stddev", "median", "iqr", "rounds", "iterations")


@dataclass(frozen=True)
class RunFile:
    """One validated result file."""

    path: Path
    machine_info: dict[str, Any]
    datetime: str
    benchmarks: list[dict[str, Any]]
    commbench: dict[str, Any]

    @property
    def machine(self) -> str:
        """A short name for the machine that produced this file."""
        fingerprint = self.machine_info.get("commbench", {})
        return str(fingerprint.get("hostname") or self.machine_info.get("node") or "unknown")


@dataclass
class Results:
    """Everything a report or a comparison needs, from one or more files."""

    runs: list[RunFile] = field(default_factory=list)
    rejected: list[tuple[Path, str]] = field(default_factory=list)

    _table: tuple[tuple[int, ...], pd.DataFrame] | None = field(default=None, repr=False)

    def table(self) -> pd.DataFrame:
        """One row per benchmark per file; see :func:`tidy`. Built once per set of runs.

        Callers share the frame: filter or copy it, do not modify it in place.
        """
        key = tuple(id(run) for run in self.runs)
        if self._table is None or self._table[0] != key:
            self._table = (key, tidy(self.runs))
        return self._table[1]


SAMPLE_ARRAYS = ("benchmarks", "*", "stats", "data")
"""Where a result file keeps its raw samples: read as float64 arrays, not lists."""


def load_run(path: Path | str, *, samples: bool = True) -> RunFile:
    """Read and validate one result file; raises UserError with a one-line reason.

    ``samples=False``: the raw samples (``stats.data``) are left out while reading, for
    readers of labels, params and metrics only (``commbench claims``); a big file with
    raw samples then reads several times faster.
    """
    path = Path(path)
    doc = read_json(
        path,
        str(path),
        hint=" (truncated or corrupt?)",
        number_array=SAMPLE_ARRAYS,
        drop=not samples,
    )
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        raise UserError(f"{path}: JSON, but not a pytest-benchmark result (no 'benchmarks' list)")
    block = doc.get("commbench")
    if block is None:
        block = {"schema": _schema_of_benchmarks(path, doc["benchmarks"])}
    schema = block.get("schema") if isinstance(block, dict) else None
    doc["commbench"] = block if isinstance(block, dict) else {}
    try:
        doc = migrate(doc, schema)
    except ValueError as exc:
        raise UserError(f"{path}: {exc}") from None
    block = doc["commbench"]
    for i, bench in enumerate(doc["benchmarks"]):
        if not isinstance(bench, dict) or not isinstance(bench.get("stats"), dict):
            raise UserError(f"{path}: benchmark #{i} has no 'stats': not a pytest-benchmark result")
        if "median" not in bench["stats"]:
            raise UserError(f"{path}: benchmark #{i} ({bench.get('name')}) has no median")
    return RunFile(
        path=path,
        machine_info=doc.get("machine_info") or {},
        datetime=str(doc.get("datetime", "")),
        benchmarks=doc["benchmarks"],
        commbench=block,
    )


def _schema_of_benchmarks(path: Path, benchmarks: list[Any]) -> Any:
    """A plain pytest-benchmark file (not written by commbench) has no schema block."""
    for bench in benchmarks:
        extra = bench.get("extra_info") if isinstance(bench, dict) else None
        if isinstance(extra, dict) and "schema" in extra:
            return extra["schema"]
    raise UserError(f"{path}: a pytest-benchmark result, but not written by commbench (no schema)")


def load_results(
    paths: list[Path | str],
    *,
    parallel: bool = False,
    meanwhile: Callable[[], object] | None = None,
) -> Results:
    """Load every file that validates; the others are listed in ``rejected``.

    Each file is parsed and tidied on its own and the table is built from the parts;
    ``parallel``: in worker processes (:mod:`commbench.parallel`). The runs keep no raw
    samples in ``benchmarks`` (the table holds them), which halves a big file's memory.
    ``meanwhile``: what this process does while the workers load (see
    :func:`commbench.parallel.run_all`).
    """
    results = Results()
    tasks = [functools.partial(_load_and_tidy, path) for path in paths]
    parts = run_all(tasks, workers=None if parallel else 1, meanwhile=meanwhile, spool=True)
    frames = []
    for path, (run, frame, reason) in zip(paths, parts):
        if run is None:
            results.rejected.append((Path(path), reason))
        else:
            results.runs.append(run)
            frames.append(frame)
    if results.runs:
        table = pd.concat(frames, ignore_index=True)
        results._table = (tuple(id(run) for run in results.runs), table)
    return results


def _load_and_tidy(path: Path | str) -> tuple[RunFile | None, pd.DataFrame | None, str]:
    """One file loaded and tidied, its runs stripped of the raw samples (now in the frame)."""
    try:
        run = load_run(path)
    except UserError as exc:
        return None, None, str(exc)
    frame = tidy([run])
    for bench in run.benchmarks:
        bench["stats"].pop("data", None)
    return run, frame, ""


def newest_result(storage: Path = DEFAULT_STORAGE) -> Path:
    """The most recent result file that pytest-benchmark autosaved under *storage*."""
    files = (
        sorted(storage.glob("*/*.json"), key=lambda p: p.stat().st_mtime)
        if storage.is_dir()
        else []
    )
    if not files:
        raise UserError(f"{storage}/: no result files yet; run `commbench run` first")
    return files[-1]


LABEL_COLUMNS = ("file", "machine", "datetime", "name", "group", "family", "subject")


def tidy(runs: list[RunFile], *, samples: bool = True) -> pd.DataFrame:
    """One row per benchmark: labels, its params and metrics as recorded, stats in seconds.

    Narrow whatever the families: file, machine, datetime, name, group, family, subject,
    ``params`` and ``metrics`` (the dicts the bench module recorded with :func:`label`),
    ``min`` .. ``iterations`` (seconds, rounds), and ``samples`` (the per-round times in
    seconds as a float64 array sorted ascending, or None when the file was saved without
    them). Sorted once here because every consumer (ranks, medians, CDFs, the bootstrap)
    sorts, and a comparison of N runs would otherwise sort the baseline N - 1 times.
    ``noise``: the samples' stability warnings (:func:`noise_flags`), computed once for the
    tables and the comparisons that show them. :func:`flat` spreads one family's params and
    metrics into columns. ``samples=False``: without the ``samples`` and ``noise``
    columns (what reads only labels, params, metrics and stats: the claims' verdicts).
    """
    rows = []
    for run in runs:
        for bench in run.benchmarks:
            extra = bench.get("extra_info") or {}
            stats = bench["stats"]
            row: dict[str, Any] = {
                "file": str(run.path),
                "machine": run.machine,
                "datetime": run.datetime,
                "name": bench.get("name"),
                "group": bench.get("group"),
                "family": extra.get("family", "unknown"),
                "subject": extra.get("subject", bench.get("name")),
                "params": extra.get("params") or {},
                "metrics": extra.get("metrics") or {},
            }
            row.update({k: stats.get(k) for k in STAT_COLUMNS})
            if samples:
                row["samples"] = samples_of(bench)
                row["noise"] = _summary_noise(stats, row["samples"])
            rows.append(row)
    columns = [*LABEL_COLUMNS, "params", "metrics", *STAT_COLUMNS]
    columns += ["samples", "noise"] if samples else []
    return pd.DataFrame(rows, columns=columns)


def flat(rows: pd.DataFrame) -> pd.DataFrame:
    """*rows* (usually one family's) with every recorded param as a column of its own and
    every metric as ``metric.<name>``, between the labels and the stats; the ``params``
    and ``metrics`` dicts stay, so :func:`param_names` reads what was recorded. A frame
    that is already flat is returned as is."""
    if "params" not in rows or "metrics" not in rows or rows.attrs.get("flat"):
        return rows
    params = pd.DataFrame.from_records(rows["params"].tolist(), index=rows.index)
    metrics = pd.DataFrame.from_records(rows["metrics"].tolist(), index=rows.index)
    # a param named like a column of the table (``samples``) must not shadow it
    params = params.rename(columns=lambda c: f"param.{c}" if c in rows.columns else c)
    labels = [c for c in LABEL_COLUMNS if c in rows]
    rest = [c for c in rows.columns if c not in labels]
    out = pd.concat([rows[labels], params, metrics.add_prefix("metric."), rows[rest]], axis=1)
    out.attrs["flat"] = True
    return out


_FAMILY_ROWS: dict[
    int, tuple[weakref.ref[pd.DataFrame], dict[tuple[str, str | None], pd.DataFrame]]
]
_FAMILY_ROWS = {}


def family_rows(table: pd.DataFrame, family: str, file: str | None = None) -> pd.DataFrame:
    """``flat`` of *table*'s rows of *family* (and of result file *file*), kept while
    *table* lives: a report reads the same family's rows in many builders, and the filter
    and the spread of params and metrics over a table of ten runs cost milliseconds each.
    Treat the frame returned as read-only (``.copy()`` it to change it)."""
    key = id(table)
    held = _FAMILY_ROWS.get(key)
    if held is None or held[0]() is not table:
        for stale in [k for k, (ref, _) in _FAMILY_ROWS.items() if ref() is None]:
            del _FAMILY_ROWS[stale]
        held = (weakref.ref(table), {})
        _FAMILY_ROWS[key] = held
    cache = held[1]
    if (family, file) not in cache:
        if file is None:
            cache[family, None] = flat(table[table["family"] == family])
        else:
            rows = family_rows(table, family)
            cache[family, file] = rows[rows["file"] == file]
    return cache[family, file]


def param_names(rows: pd.DataFrame) -> list[str]:
    """The params recorded for *rows*, in order of first appearance."""
    if "params" not in rows:
        return []
    return list(dict.fromkeys(k for params in rows["params"] for k in params))


def samples_of(bench: dict[str, Any]) -> np.ndarray | None:
    """One benchmark's samples in seconds, sorted ascending: the raw ``stats.data`` when the
    file has them (older files, ``--keep-raw-samples``, the families that keep raw samples),
    else the HdrHistogram in ``extra_info["histogram"]`` decoded (each sample at its
    bucket's median-equivalent value, within 0.05%: :mod:`commbench.histograms`); None
    when the file has neither, or they cannot be read."""
    raw = _sorted_samples(bench["stats"].get("data"))
    if raw is not None:
        return raw
    encoded = (bench.get("extra_info") or {}).get("histogram")
    if not isinstance(encoded, str):
        return None
    try:
        return histograms.decode(encoded)
    except ValueError:
        return None


def _sorted_samples(data: Any) -> np.ndarray | None:
    """The raw samples as a sorted float64 array; None when absent or not all numbers."""
    if not isinstance(data, list | np.ndarray) or len(data) == 0:
        return None
    try:
        return np.sort(np.asarray(data, dtype=np.float64))  # one copy: sorted
    except (TypeError, ValueError):
        return None


def _summary_noise(summary: dict[str, Any], samples: object) -> list[str]:
    """The stability warnings of a benchmark with samples, from pytest-benchmark's exact
    ``stats`` when they are complete (the same checks, without a pass over the samples,
    and exact where the samples are a histogram's), else from the samples."""
    if samples is None or isinstance(samples, float):
        return []
    try:
        values = [float(summary[k]) for k in ("mean", "stddev", "median", "min", "max")]
        rounds = int(summary["rounds"])
    except (KeyError, TypeError, ValueError):
        return noise_flags(samples)
    if rounds != len(samples) or not all(map(math.isfinite, values)):  # type: ignore[arg-type]
        return noise_flags(samples)
    return stats.summary_warnings(rounds, *values)


def noise_flags(samples: object) -> list[str]:
    """Stability warnings of one benchmark's raw samples (pyperf-style checks, see
    :func:`commbench.stats.stability_warnings`); none when the samples were not saved
    (None, or the NaN a frame holds in their place)."""
    if samples is None or isinstance(samples, float):
        return []
    try:
        return stats.stability_warnings(samples)
    except ValueError:  # non-finite samples: say so rather than crash a report
        return ["raw samples missing or not finite"]
