"""Compare two result files: per-benchmark ratios with bootstrap CIs, per-family summaries.

Pure functions over the tidy table of :func:`commbench.results.tidy` (one row per
benchmark per file). Benchmarks are matched across files by (family, name); a run is
identified by its ``file`` value. Times are in seconds; ratios are ``other / baseline``
and dimensionless (< 1 means ``other`` is faster). The statistics are those of
:mod:`commbench.stats`; printing them is :mod:`commbench.compare_print`'s job.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from commbench import stats
from commbench.errors import UserError
from commbench.results import flat, param_names

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


def _test(
    a: np.ndarray | None,
    b: np.ndarray | None,
    alpha: float,
    noise_a: Any = None,
    noise_b: Any = None,
) -> tuple[Any, ...]:
    """``(ci_low, ci_high, p_value, verdict, noise)`` of other samples ``b`` vs baseline ``a``.

    ``noise_a`` / ``noise_b``: the sides' stability warnings when already known (the tidy
    table's ``noise`` column); computed from the samples otherwise.
    """
    try:
        sides = [
            (side, x, known)
            for side, x, known in (("baseline", a, noise_a), ("other", b, noise_b))
            if x is not None
        ]
        warned = [
            (side, known if isinstance(known, list | tuple) else stats.stability_warnings(x))
            for side, x, known in sides
        ]
        noise = "; ".join(f"{side}: {', '.join(w)}" for side, w in warned if w)
        if a is None or b is None:
            return np.nan, np.nan, np.nan, NO_SAMPLES, noise
        # one computation: the CI shown is the one the verdict was decided on
        result = stats.compare_samples(a, b, alpha=alpha)
        return result.ci_low, result.ci_high, result.p_value, result.verdict, noise
    except ValueError as exc:  # a zero median or a non-finite sample
        return np.nan, np.nan, np.nan, f"not comparable: {exc}", ""


def compare_runs(
    table: pd.DataFrame,
    baseline: str,
    other: str,
    *,
    alpha: float = 0.05,
    workers: int | None = None,
) -> pd.DataFrame:
    """One row per benchmark present in both files ``baseline`` and ``other`` (``file`` values).

    Columns: family, subject, name, the params (payload, op, ...), baseline_median_s,
    other_median_s, ratio (other / baseline median; < 1 means other is faster), ci_low and
    ci_high (the ``1 - alpha`` bootstrap CI of the ratio, 2000 resamples of the raw samples),
    p_value (two-sided Mann-Whitney U), verdict (:func:`commbench.stats.verdict`: "faster",
    "slower", "no significant difference", or "no raw samples" with NaN CI and p) and noise
    (the stability warnings of either side, joined with "; ").

    Benchmarks are tested in ``workers`` threads (default: one per CPU, at most 8); numpy
    releases the GIL in the bootstrap and every test is seeded, so results do not depend
    on it.
    """
    if baseline == other:
        raise UserError(f"{baseline}: compared with itself")
    base, oth = _side(table, baseline), _side(table, other)
    common = base.index.intersection(oth.index, sort=False)
    base, oth = base.loc[common], oth.loc[common]
    none = [None] * len(base)
    pairs = [
        (_samples(a), _samples(b), alpha, noise_a, noise_b)
        for a, b, noise_a, noise_b in zip(
            base["samples"], oth["samples"], base.get("noise", none), oth.get("noise", none)
        )
    ]
    workers = workers or min(os.cpu_count() or 1, 8)
    if workers == 1:
        tests = [_test(*args) for args in pairs]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            tests = list(pool.map(lambda args: _test(*args), pairs))

    out = flat(base.reset_index())
    out = out[["family", "subject", "name", *param_columns(out)]]
    out["baseline_median_s"] = base["median"].to_numpy(dtype=np.float64)
    out["other_median_s"] = oth["median"].to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ratio"] = out["other_median_s"] / out["baseline_median_s"]
    tested = pd.DataFrame(tests, columns=["ci_low", "ci_high", "p_value", "verdict", "noise"])
    tested = tested.astype({"ci_low": float, "ci_high": float, "p_value": float})
    return pd.concat([out, tested.set_axis(out.index)], axis=1)


def only_on_one_side(table: pd.DataFrame, baseline: str, other: str) -> pd.DataFrame:
    """Benchmarks present in just one of the two files: family, subject, name, side, file."""
    base, oth = _side(table, baseline), _side(table, other)
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
            _, low, high = stats.bootstrap_ratio_ci(
                [1.0], ratios, stat=_geometric_mean_axis, n_resamples=N_RESAMPLES,
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
