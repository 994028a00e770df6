"""Compare two result files: per-benchmark ratios with bootstrap CIs, per-family summaries.

Pure functions over the tidy table of :func:`commbench.results.tidy` (one row per
benchmark per file). Benchmarks are matched across files by (family, name); a run is
identified by its ``file`` value. Times are in seconds; ratios are ``other / baseline``
and dimensionless (< 1 means ``other`` is faster). The statistics are those of
:mod:`commbench.stats`; printing them is :mod:`commbench.compare_print`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from commbench import stats
from commbench.errors import UserError
from commbench.results import flat, param_names
from commbench.sorted_samples import SortedSample, sorted_sample

KEY = ["family", "name"]
"""Columns that identify one benchmark across files."""

SUBJECT_PARAMS = ("wire_format", "library_version")
"""Params of the subject (codec), not of the workload: :func:`normalised` ignores them."""

VOLATILE_FINGERPRINT_KEYS = frozenset({"python_executable"})
"""Fingerprint keys that differ between checkouts without changing any timing."""

N_RESAMPLES = 2000  # resamples of the per-family geometric-mean CI
NO_SAMPLES = "no raw samples"
NO_DIFFERENCE = "no significant difference"


def benchmark_key(row: Mapping[str, Any]) -> tuple[str, str]:
    """``(family, name)``: what matches a benchmark of one file with one of another."""
    return (str(row["family"]), str(row["name"]))


def run_labels(table: pd.DataFrame, files: Sequence[str]) -> dict[str, str]:
    """Display label per file: the machine, plus the short file name if machines repeat."""
    return label_runs({f: str(table.loc[table["file"] == f, "machine"].iloc[0]) for f in files})


def label_runs(machines: Mapping[str, str]) -> dict[str, str]:
    """File -> machine as file -> label: the machine, plus the file's stem if machines repeat."""
    repeated = len(set(machines.values())) < len(machines)
    return {f: f"{m} ({Path(f).stem})" if repeated else m for f, m in machines.items()}


def param_columns(table: pd.DataFrame) -> list[str]:
    """The params recorded for the rows of *table* (by the bench modules, through
    :func:`commbench.results.label`), in order of first appearance."""
    return param_names(table)


def _side(table: pd.DataFrame, file: str) -> pd.DataFrame:
    """The rows of one file, indexed by the benchmark key."""
    rows = table[table["file"] == file]
    if rows.empty:
        known = ", ".join(sorted(table["file"].unique()))
        raise UserError(f"{file}: not among the loaded result files ({known})")
    duplicated = rows.duplicated(KEY)
    if duplicated.any():
        first = benchmark_key(rows[duplicated].iloc[0])
        raise UserError(f"{file}: benchmark {first} appears more than once")
    return rows.set_index(KEY)


def _samples(value: Any) -> np.ndarray | None:
    """Raw per-call seconds as an array, or None when the file was saved without them."""
    if isinstance(value, list | tuple | np.ndarray) and len(value) > 0:
        return np.asarray(value, dtype=np.float64)
    return None


def _noise(
    a: np.ndarray | None, b: np.ndarray | None, noise_a: Any = None, noise_b: Any = None
) -> str:
    """The stability warnings of either side, named by side and joined with "; ".

    ``noise_a`` / ``noise_b``: the sides' warnings when already known (the tidy table's
    ``noise`` column); computed from the samples otherwise.
    """
    warned = [
        (side, known if isinstance(known, list | tuple) else stats.stability_warnings(x))
        for side, x, known in (("baseline", a, noise_a), ("other", b, noise_b))
        if x is not None
    ]
    return "; ".join(f"{side}: {', '.join(w)}" for side, w in warned if w)


def _tests(
    pairs: Sequence[tuple[np.ndarray | None, np.ndarray | None, Any, Any]],
    alpha: float,
    prepared: Sequence[SortedSample | ValueError | None] | None = None,
) -> list[tuple[Any, ...]]:
    """``(ci_low, ci_high, p_value, verdict, noise)`` per ``(a, b, noise_a, noise_b)``: other
    samples ``b`` against baseline ``a`` (:func:`commbench.stats.compare_sample_pairs`).
    *prepared*: the baselines' samples already validated and sorted (or their error), in
    the order of *pairs*."""
    noises: list[str | ValueError] = []
    for a, b, noise_a, noise_b in pairs:
        try:
            noises.append(_noise(a, b, noise_a, noise_b))
        except ValueError as exc:  # a non-finite sample
            noises.append(exc)
    sides = prepared if prepared is not None else [a for a, *_ in pairs]
    failed: dict[int, ValueError] = {}
    tested: list[int] = []
    for i, ((a, b, *_), side_a, noise) in enumerate(zip(pairs, sides, noises, strict=True)):
        if isinstance(noise, ValueError):
            failed[i] = noise
        elif isinstance(side_a, ValueError) and b is not None:
            failed[i] = side_a
        elif a is not None and b is not None:
            tested.append(i)
    # one computation: the CI shown is the one the verdict was decided on
    results = stats.compare_sample_pairs([(sides[i], pairs[i][1]) for i in tested], alpha=alpha)
    done: dict[int, stats.SampleComparison | ValueError] = {**failed, **dict(zip(tested, results))}
    out: list[tuple[Any, ...]] = []
    for i, noise in enumerate(noises):
        result = done.get(i)
        if isinstance(result, ValueError):
            out.append((np.nan, np.nan, np.nan, f"not comparable: {result}", ""))
        elif result is None:
            out.append((np.nan, np.nan, np.nan, NO_SAMPLES, noise))
        else:
            out.append((result.ci_low, result.ci_high, result.p_value, result.verdict, noise))
    return out


def _labels_and_params(rows: pd.DataFrame) -> pd.DataFrame:
    """family, subject, name and the params of *rows*: the columns of
    ``flat(rows)[["family", "subject", "name", *param_columns(rows)]]``, without expanding
    the metrics (hundreds of columns) that ``flat`` adds too."""
    names = param_columns(rows)
    params = pd.DataFrame.from_records(rows["params"].tolist(), index=rows.index, columns=names)
    for name in names:
        if name in rows.columns:  # as in flat: a param named like a column of the table is it
            params[name] = rows[name]
    return pd.concat([rows[["family", "subject", "name"]], params], axis=1)


@dataclass(frozen=True)
class PreparedBaseline:
    """One file's rows (indexed by :data:`KEY`) and samples, validated and sorted once
    (:func:`prepare_baseline`): the part of :func:`compare_runs` that is the same for every
    run compared with this baseline."""

    file: str
    rows: pd.DataFrame
    samples: tuple[SortedSample | ValueError | None, ...]
    labels: pd.DataFrame
    """family, subject, name and the params of every row (the first columns of
    :func:`compare_runs` when the other file has every benchmark of this one)."""


def prepare_baseline(table: pd.DataFrame, baseline: str) -> PreparedBaseline:
    """The baseline side of :func:`compare_runs`, for comparing several runs with it."""
    rows = _side(table, baseline)
    samples: list[SortedSample | ValueError | None] = []
    for value in rows["samples"]:
        x = _samples(value)
        try:
            sample = None if x is None else sorted_sample(x, "a")
        except ValueError as exc:  # empty, NaN or infinite samples
            samples.append(exc)
            continue
        if sample is not None:
            sample.lookup()  # what every comparison looks the other's values up in
        samples.append(sample)
    return PreparedBaseline(baseline, rows, tuple(samples), _labels_and_params(rows.reset_index()))


def compare_runs(
    table: pd.DataFrame,
    baseline: str,
    other: str,
    *,
    alpha: float = 0.05,
    workers: int | None = None,
    prepared: PreparedBaseline | None = None,
) -> pd.DataFrame:
    """One row per benchmark present in both files ``baseline`` and ``other`` (``file`` values).

    Columns: family, subject, name, the params (payload, op, ...), baseline_median_s,
    other_median_s, ratio (other / baseline median; < 1 means other is faster), ci_low and
    ci_high (the ``1 - alpha`` bootstrap CI of the ratio, 2000 resamples of the raw samples),
    p_value (two-sided Mann-Whitney U), verdict (:func:`commbench.stats.verdict`: "faster",
    "slower", "no significant difference", or "no raw samples" with NaN CI and p) and noise
    (the stability warnings of either side, joined with "; ").

    The benchmarks are tested together (:func:`commbench.stats.compare_sample_pairs`), in
    ``workers`` threads (default 1) each taking an equal share of them; every test is
    seeded, so results do not depend on it. (The tests are many small numpy calls that
    hold the GIL: threads barely help, processes do: see :mod:`commbench.parallel`.)
    ``prepared``: :func:`prepare_baseline` of ``baseline`` (the same table), when several
    runs are compared with it: its samples are then validated and sorted once.
    """
    if baseline == other:
        raise UserError(f"{baseline}: compared with itself")
    if prepared is not None and prepared.file != baseline:
        raise ValueError(f"prepared for {prepared.file}, not for the baseline {baseline}")
    base = prepared.rows if prepared is not None else _side(table, baseline)
    oth = _side(table, other)
    common = base.index.intersection(oth.index, sort=False)
    at = base.index.get_indexer(common)
    base, oth = base.iloc[at], oth.loc[common]
    none = [None] * len(base)
    pairs = [
        (_samples(a), _samples(b), noise_a, noise_b)
        for a, b, noise_a, noise_b in zip(
            base["samples"], oth["samples"], base.get("noise", none), oth.get("noise", none)
        )
    ]
    sides = [prepared.samples[i] for i in at] if prepared is not None else None
    workers = max(1, min(workers or 1, len(pairs)))
    if workers == 1:
        tests = _tests(pairs, alpha, sides)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            done = list(
                pool.map(
                    lambda i: _tests(pairs[i::workers], alpha, sides and sides[i::workers]),
                    range(workers),
                )
            )
        tests = [done[i % workers][i // workers] for i in range(len(pairs))]

    if prepared is not None and np.array_equal(at, np.arange(len(prepared.rows))):
        out = prepared.labels.copy()
    else:
        out = _labels_and_params(base.reset_index())
    out["baseline_median_s"] = base["median"].to_numpy(dtype=np.float64)
    out["other_median_s"] = oth["median"].to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ratio"] = out["other_median_s"] / out["baseline_median_s"]
    tested = pd.DataFrame(tests, columns=["ci_low", "ci_high", "p_value", "verdict", "noise"])
    tested = tested.astype({"ci_low": float, "ci_high": float, "p_value": float})
    return pd.concat([out, tested.set_axis(out.index)], axis=1)


def only_on_one_side(
    table: pd.DataFrame, baseline: str, other: str, *, prepared: PreparedBaseline | None = None
) -> pd.DataFrame:
    """Benchmarks present in just one of the two files: family, subject, name, side, file.

    ``prepared``: :func:`prepare_baseline` of ``baseline``, when already made.
    """
    if prepared is not None and prepared.file != baseline:
        raise ValueError(f"prepared for {prepared.file}, not for the baseline {baseline}")
    base = prepared.rows if prepared is not None else _side(table, baseline)
    oth = _side(table, other)
    parts = []
    for side, file, rows, against in (
        ("baseline", baseline, base, oth),
        ("other", other, oth, base),
    ):
        alone = rows.loc[rows.index.difference(against.index, sort=False)].reset_index()
        parts.append(alone[["family", "subject", "name"]].assign(side=side, file=file))
    return pd.concat(parts, ignore_index=True)


def _geometric_mean_axis(x: np.ndarray, axis: int | None = None) -> Any:
    return np.exp(np.mean(np.log(x), axis=axis))


def _exp_mean_axis(logs: np.ndarray, axis: int | None = None) -> Any:
    """:func:`_geometric_mean_axis` of ``exp(logs)``, given the logarithms: the same
    numbers, since a resample of the logarithms is the logarithm of the resample."""
    return np.exp(np.mean(logs, axis=axis))


def family_summary(
    comparison: pd.DataFrame, *, confidence: float = 0.95, seed: int = 0
) -> pd.DataFrame:
    """Per family: geometric mean of the ratios, its bootstrap CI, and verdict counts.

    The CI resamples benchmarks (not samples) 2000 times, seeded. Columns: family,
    benchmarks, geomean_ratio, ci_low, ci_high, faster, slower, no_difference, no_samples.
    """
    rows = []
    for family, group in comparison.groupby("family", sort=True):
        ratios = group["ratio"].to_numpy(dtype=np.float64)
        ratios = ratios[np.isfinite(ratios) & (ratios > 0)]
        gm = low = high = np.nan
        if ratios.size:
            gm = stats.geometric_mean(ratios)
            # stats has a two-sample ratio bootstrap only; against a = [1.0] (every resample
            # of a is 1) it is the one-sample bootstrap of the geometric mean of the ratios.
            # It runs on the logarithms (a = [log 1]), taken once rather than per resample.
            _, low, high = stats.bootstrap_ratio_ci(
                [0.0], np.log(ratios), stat=_exp_mean_axis, n_resamples=N_RESAMPLES,
                confidence=confidence, seed=seed,
            )  # fmt: skip
        count = group["verdict"].value_counts().get
        counts = [int(count(v, 0)) for v in ("faster", "slower", NO_DIFFERENCE, NO_SAMPLES)]
        rows.append([family, len(group), gm, low, high, *counts])
    columns = ["family", "benchmarks", "geomean_ratio", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=[*columns, "faster", "slower", "no_difference", "no_samples"])


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in d.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _show(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return "-" if value is None else str(value)


def fingerprint_diff(
    fp_a: Mapping[str, Any],
    fp_b: Mapping[str, Any],
    *,
    ignore: frozenset[str] = VOLATILE_FINGERPRINT_KEYS,
) -> list[tuple[str, str, str, bool]]:
    """Side by side ``(key, a, b, differs)`` of two machine fingerprints.

    Nested dicts are flattened to dotted keys (``libraries.orjson``); keys in ``ignore``
    are left out; a key missing on one side shows as ``"(absent)"``. Keys follow ``fp_a``'s
    order, then those only in ``fp_b``.
    """
    flat_a, flat_b = _flatten(fp_a), _flatten(fp_b)
    absent = object()
    rows = []
    for key in [*flat_a, *(k for k in flat_b if k not in flat_a)]:
        if key in ignore or key.rsplit(".", 1)[-1] in ignore:
            continue
        a, b = flat_a.get(key, absent), flat_b.get(key, absent)
        shown = ["(absent)" if v is absent else _show(v) for v in (a, b)]
        rows.append((key, shown[0], shown[1], a is absent or b is absent or a != b))
    return rows


def normalised(table: pd.DataFrame, baseline: Mapping[str, str]) -> pd.DataFrame:
    """Each median divided by the median of its family's baseline subject in the same file.

    ``baseline`` maps a family to its baseline subject, e.g. ``{"marshalling": "json"}``
    (:func:`commbench.families.baselines`): every codec's median over stdlib json's on the
    same payload and op. The baseline is
    matched on every param except :data:`SUBJECT_PARAMS`. Dimensionless, so machines of
    different speed compare on shape. Columns: file, machine, family, subject, name, the
    params, median_s, baseline_median_s, normalised (NaN when the file lacks the baseline).
    Families not in ``baseline`` are left out.
    """
    parts = []
    for family, subject in baseline.items():
        rows = flat(table[table["family"] == family])
        match = [c for c in param_columns(rows) if c not in SUBJECT_PARAMS]
        refs = rows.loc[rows["subject"] == subject, ["file", *match, "median"]]
        refs = refs.rename(columns={"median": "baseline_median_s"})
        part = rows[["file", "machine", "family", "subject", "name", *match, "median"]]
        part = part.rename(columns={"median": "median_s"}).merge(
            refs, on=["file", *match], how="left"
        )
        part["normalised"] = part["median_s"] / part["baseline_median_s"]
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def compare_normalised(norm: pd.DataFrame, baseline: str, other: str) -> pd.DataFrame:
    """Per benchmark in both files: baseline_normalised, other_normalised and their ratio.

    ``norm`` is the output of :func:`normalised`. ``normalised_ratio`` = other / baseline;
    1.0 means the subject stands in the same relation to the baseline on both machines.
    Empty when either file has no row of a family with a baseline.
    """
    files = set(norm["file"]) if "file" in norm else set()
    if baseline not in files or other not in files:
        columns = [*KEY, "subject", "baseline_normalised", "other_normalised"]
        return pd.DataFrame(columns=[*dict.fromkeys(columns), "normalised_ratio"])
    base, oth = _side(norm, baseline), _side(norm, other)
    common = base.index.intersection(oth.index, sort=False)
    out = base.loc[common, ["subject", "normalised"]].rename(
        columns={"normalised": "baseline_normalised"}
    )
    out["other_normalised"] = oth.loc[common, "normalised"]
    out["normalised_ratio"] = out["other_normalised"] / out["baseline_normalised"]
    return out.reset_index()


def shape_summary(shape: pd.DataFrame) -> pd.DataFrame:
    """Per family and subject: geometric mean and median of ``normalised_ratio`` and the
    share of benchmarks within 5% of 1 (the same shape on both sides)."""
    rows = []
    for (family, subject), group in shape.groupby(["family", "subject"]):
        ratios = group["normalised_ratio"].to_numpy(dtype=np.float64)
        ratios = ratios[np.isfinite(ratios) & (ratios > 0)]
        if ratios.size:
            within = float(np.mean(np.abs(ratios - 1.0) <= 0.05))
            gm, median = stats.geometric_mean(ratios), float(np.median(ratios))
            rows.append([family, subject, ratios.size, gm, median, within])
    columns = ["family", "subject", "benchmarks", "geomean_normalised_ratio"]
    columns += ["median_normalised_ratio", "within_5pct"]
    return pd.DataFrame(rows, columns=columns)
