"""Pure statistics helpers for benchmark timings (numpy only).

Every function takes arrays of sample times. They are unit-agnostic: pass seconds,
nanoseconds or anything else, as long as both arguments of a comparison use the same unit.
Returned locations (percentiles, means) are in the input unit; ratios are dimensionless.
Non-finite or empty inputs are rejected with ``ValueError``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from commbench.sorted_samples import (
    MAX_EXACT_SAMPLES,
    SortedSample,
    mann_whitney_sorted,
    sorted_sample,
)

__all__ = [
    "bootstrap_ratio_ci",
    "compare_sample_pairs",
    "compare_samples",
    "geometric_mean",
    "mann_whitney_u",
    "median_ratio",
    "percentiles",
    "stability_warnings",
    "summary_warnings",
    "verdict",
]

# Upper bound on the number of elements materialised at once by the bootstrap
# (index array and resampled values each hold this many; 2**23 int64 ~ 64 MiB).
_MAX_CHUNK_ELEMENTS = 2**23

Stat = Callable[..., Any]


def _as_1d(samples: ArrayLike, name: str = "samples") -> np.ndarray:
    """Validate and flatten ``samples`` to a 1-D float64 array."""
    arr = np.asarray(samples, dtype=np.float64).ravel()
    if arr.size == 0:
        raise ValueError(f"{name} is empty: at least one sample time is required")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def percentiles(samples: ArrayLike, qs: Sequence[float] = (50, 90, 99, 99.9)) -> dict[str, float]:
    """Summarise sample times with percentiles and basic moments.

    Parameters
    ----------
    samples : array_like
        Sample times (any unit, e.g. s or ns).
    qs : sequence of float
        Percentiles in [0, 100], computed with linear interpolation (numpy default).

    Returns
    -------
    dict
        ``"p50"``, ``"p90"``, ``"p99"``, ``"p99.9"`` (one ``f"p{q:g}"`` key per q),
        ``"min"``, ``"max"``, ``"mean"`` in the input unit, and ``"n"`` (sample count).
    """
    arr = _as_1d(samples)
    q = np.asarray(qs, dtype=np.float64)
    if np.any((q < 0) | (q > 100)):
        raise ValueError(f"percentiles must lie in [0, 100], got {list(qs)}")
    out: dict[str, float] = {
        f"p{qi:g}": float(v) for qi, v in zip(qs, np.percentile(arr, q), strict=True)
    }
    out["max"] = float(arr.max())
    out["min"] = float(arr.min())
    out["mean"] = float(arr.mean())
    out["n"] = int(arr.size)
    return out


def median_ratio(a: ArrayLike, b: ArrayLike) -> float:
    """Return ``median(b) / median(a)`` (dimensionless; < 1 means b is faster).

    ``a`` and ``b`` are sample times in the same unit.
    """
    med_a = float(np.median(_as_1d(a, "a")))
    if med_a == 0.0:
        raise ValueError("median of a is 0: the ratio is undefined")
    return float(np.median(_as_1d(b, "b"))) / med_a


def _resampled_stat(
    x: np.ndarray, rng: np.random.Generator, n_resamples: int, stat: Stat, max_elements: int
) -> np.ndarray:
    """``stat`` of ``n_resamples`` bootstrap resamples of ``x``, in row chunks."""
    if stat is np.median and x.size > 2:
        if x.size % 2 == 0:  # the exact law below is for odd n: leave one sample out
            x = np.delete(x, rng.integers(x.size))
        return _bootstrap_medians(x, rng, n_resamples)
    n = x.size
    return _stat_of_resamples(
        x, lambda start, stop: rng.integers(0, n, size=(stop - start, n)), n_resamples, stat,
        max_elements,
    )  # fmt: skip


def _stat_of_resamples(
    x: np.ndarray,
    draw: Callable[[int, int], np.ndarray],
    n_resamples: int,
    stat: Stat,
    max_elements: int,
) -> np.ndarray:
    """``stat`` of the resamples ``x[draw(start, stop)]`` (rows start to stop), in chunks
    of at most ``max_elements`` values."""
    rows = max(1, max_elements // x.size)
    out = np.empty(n_resamples, dtype=np.float64)
    for start in range(0, n_resamples, rows):
        stop = min(start + rows, n_resamples)
        resamples = x[draw(start, stop)]
        try:
            values = np.asarray(stat(resamples, axis=1), dtype=np.float64)
        except TypeError:  # stat has no ``axis`` keyword: one call per resample
            values = np.array([stat(row) for row in resamples], dtype=np.float64)
        if values.shape != (stop - start,):
            raise ValueError("stat must reduce each resample to a single number")
        out[start:stop] = values
    return out


_MAX_CACHED_DRAWS = 2**20  # resample indices kept per (n, seed, stream): 8 MiB at most


def _resampled(x: np.ndarray, seed: int, child: int, n_resamples: int, stat: Stat) -> np.ndarray:
    """What ``_resampled_stat(x, rng, n_resamples, stat, _MAX_CHUNK_ELEMENTS)`` returns for
    the rng of child stream *child* of ``SeedSequence(seed)``, from draws cached per
    (n, seed, child) when they are few enough to keep (a family's geometric-mean CI draws
    the same indices for every run compared with one baseline)."""
    if stat is np.median and x.size > 2:
        return _median_resamples(sorted_sample(x), seed, child, n_resamples)
    if x.size * n_resamples > _MAX_CACHED_DRAWS:
        rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[child])
        return _resampled_stat(x, rng, n_resamples, stat, _MAX_CHUNK_ELEMENTS)
    index = _resample_index(x.size, seed, child, n_resamples)
    return _stat_of_resamples(
        x, lambda start, stop: index[start:stop], n_resamples, stat, _MAX_CHUNK_ELEMENTS
    )


@functools.lru_cache(maxsize=32)
def _resample_index(n: int, seed: int, child: int, n_resamples: int) -> np.ndarray:
    """The resample indices ``_resampled_stat`` draws for a sample of n (any stat but the
    median of more than 2): one draw gives what its chunks draw one after another."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[child])
    index = rng.integers(0, n, size=(n_resamples, n))
    index.flags.writeable = False
    return index


def _bootstrap_medians(x: np.ndarray, rng: np.random.Generator, n_resamples: int) -> np.ndarray:
    """Medians of bootstrap resamples of an odd-sized ``x``, drawn from their exact law.

    The median of a resample of size n (odd, m = (n + 1) / 2) is at most the j-th
    smallest value x(j) exactly when at least m of the n draws are <= x(j), which is
    Binomial(n, j/n) >= m. Inverting that CDF gives the same distribution as
    resampling and taking medians, in O(n + R log n) instead of O(R n).
    """
    xs = _ascending(x)
    n = xs.size
    index = np.searchsorted(_median_law(n), rng.random(n_resamples), side="left")
    return xs[np.minimum(index, n - 1)]


def _median_resamples(x: SortedSample, seed: int, child: int, n_resamples: int) -> np.ndarray:
    """What ``_resampled_stat(x, rng, n_resamples, np.median, ...)`` returns for the rng of
    child stream *child* of ``SeedSequence(seed)``, from the cached draws of that stream."""
    if x.is_sorted:  # one gather: the cached order statistics, shifted past the left-out one
        return x.values[_sorted_median_index(x.n, seed, child, n_resamples)]
    drop, index = _median_draws(x.n, seed, child, n_resamples)
    if drop is not None:  # the same value the unsorted deletion removes: one copy of x[drop]
        # order statistic i of xs without its element at `gone` is xs[i + (i >= gone)]
        gone = np.searchsorted(x.values, x.original[drop], side="left")
        index = index + (index >= gone)
    return x.values[index]


def _resampled_medians(x: SortedSample, seed: int, child: int, n_resamples: int) -> np.ndarray:
    """The medians of bootstrap resamples of *x* that :func:`bootstrap_ratio_ci` draws from
    child stream *child* of ``SeedSequence(seed)``: the cached law above 2 samples, else
    the medians of the cached resamples themselves."""
    if x.n > 2:
        return _median_resamples(x, seed, child, n_resamples)
    if x.n == 1:  # every resample is the one value, and so is its median
        return np.full(n_resamples, x.original[0])
    return _resampled(x.original, seed, child, n_resamples, np.median)


def _is_sorted(x: np.ndarray) -> bool:
    """Whether ``x`` is ascending (the tidy table's samples are): one linear pass."""
    return bool(np.all(x[1:] >= x[:-1]))


def _ascending(x: np.ndarray) -> np.ndarray:
    """``x`` sorted: ``x`` itself when it already is."""
    return x if _is_sorted(x) else np.sort(x, kind="stable")


def _median(x: np.ndarray) -> float:
    """``np.median(x)`` of finite ``x``, read off directly when ``x`` is already sorted."""
    if not _is_sorted(x):
        return float(np.median(x))
    mid = x.size // 2
    return float(x[mid]) if x.size % 2 else float((x[mid - 1] + x[mid]) / 2)


@functools.lru_cache(maxsize=1024)
def _median_draws(n: int, seed: int, child: int, n_resamples: int) -> tuple[int | None, np.ndarray]:
    """The random part of the bootstrap of a median of n samples: the sample left out when
    n is even (the exact law needs an odd count) and the order statistics drawn."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[child])
    drop = int(rng.integers(n)) if n % 2 == 0 else None
    m = n - 1 if drop is not None else n
    index = np.searchsorted(_median_law(m), rng.random(n_resamples), side="left")
    index = np.minimum(index, m - 1)
    index.flags.writeable = False
    return drop, index


@functools.lru_cache(maxsize=1024)
def _sorted_median_index(n: int, seed: int, child: int, n_resamples: int) -> np.ndarray:
    """``_median_draws``' order statistics for an already sorted sample: the one left out
    (n even) is at ``drop`` itself, and since every copy of its value sits next to it,
    leaving out the first copy (what the unsorted path does) leaves the same values."""
    drop, index = _median_draws(n, seed, child, n_resamples)
    if drop is None:
        return index
    shifted = index + (index >= drop)
    shifted.flags.writeable = False
    return shifted


@functools.lru_cache(maxsize=512)
def _median_law(n: int) -> np.ndarray:
    """P(bootstrap median <= x(j)) for j = 1..n: depends on n only, so computed once per n."""
    from scipy.special import bdtrc  # binom.sf, without scipy.stats' 0.6 s import

    cdf = bdtrc((n + 1) // 2 - 1, n, np.arange(1, n + 1) / n)
    cdf.flags.writeable = False
    return cdf


def bootstrap_ratio_ci(
    a: ArrayLike,
    b: ArrayLike,
    *,
    stat: Stat = np.median,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Point estimate and percentile-bootstrap CI of ``stat(b) / stat(a)``.

    Parameters
    ----------
    a, b : array_like
        Sample times in the same unit (any unit); each is resampled independently.
    stat : callable
        Location statistic. Vectorised when it accepts ``axis`` (``np.median``,
        ``np.mean``); otherwise it is called once per resample.
    n_resamples : int
        Number of bootstrap resamples.
    confidence : float
        Two-sided confidence level in (0, 1).
    seed : int
        Seed; the result is reproducible for a given seed and inputs.

    Returns
    -------
    tuple of float
        ``(ratio, low, high)``, dimensionless.
    """
    if stat is np.median:  # validated and sorted once, medians read off the sorted values
        sample_a, sample_b = sorted_sample(a, "a"), sorted_sample(b, "b")
        xa, xb = sample_a.original, sample_b.original
    else:
        xa, xb = _as_1d(a, "a"), _as_1d(b, "b")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    if stat is np.median:
        stat_a, stat_b = sample_a.median, sample_b.median
    else:
        stat_a, stat_b = float(stat(xa)), float(stat(xb))
    if stat_a == 0.0:
        raise ValueError("stat(a) is 0: the ratio is undefined")
    ratio = stat_b / stat_a

    if stat is np.median and xa.size > 2 and xb.size > 2:
        # the draws depend on (n, seed) only: cached, so comparing N runs with one baseline
        # draws them once per sample size instead of once per benchmark and run
        sa = _median_resamples(sample_a, seed, 0, n_resamples)
        sb = _median_resamples(sample_b, seed, 1, n_resamples)
    else:
        # Independent child streams keep a's and b's resamples independent of chunking.
        sa = _resampled(xa, seed, 0, n_resamples, stat)
        sb = _resampled(xb, seed, 1, n_resamples, stat)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = sb / sa
    tail = 100.0 * (1.0 - confidence) / 2.0
    low, high = _percentile_pair(ratios, tail)
    return ratio, low, high


def _percentile_pair(values: np.ndarray, tail: float) -> tuple[float, float]:
    """``np.percentile(values, [tail, 100 - tail])`` (linear method, 0 < tail < 50), from
    one partition: the same arithmetic as numpy's, without its overhead per call."""
    n = values.size
    if n < 2 or np.isnan(values).any():
        low, high = np.percentile(values, [tail, 100.0 - tail])
        return float(low), float(high)
    positions = [(n - 1) * (q / 100.0) for q in (tail, 100.0 - tail)]
    below = [math.floor(v) for v in positions]
    ordered = np.partition(values, sorted({*below, *(i + 1 for i in below)}))
    out = []
    for v, i in zip(positions, below, strict=True):
        a, b, t = float(ordered[i]), float(ordered[i + 1]), v - i
        out.append(b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t)  # numpy's _lerp
    return out[0], out[1]


def mann_whitney_u(a: ArrayLike, b: ArrayLike) -> tuple[float, float]:
    """Mann-Whitney U test with the normal approximation.

    Tie-corrected variance and continuity correction; matches
    ``scipy.stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic")``.

    Parameters
    ----------
    a, b : array_like
        Sample times in the same unit (any unit; only their ranks matter).

    Returns
    -------
    tuple of float
        ``(U, p)``: U statistic of ``a`` (number of pairs with a > b, ties counting 1/2)
        and the two-sided p-value. All-identical samples give ``p = 1.0``.
    """
    sample_a, sample_b = sorted_sample(a, "a"), sorted_sample(b, "b")
    if sample_a.n + sample_b.n <= MAX_EXACT_SAMPLES:
        return mann_whitney_sorted(sample_a, sample_b)
    return _mann_whitney_pooled(sample_a.original, sample_b.original)


def _mann_whitney_pooled(xa: np.ndarray, xb: np.ndarray) -> tuple[float, float]:
    """The reference computation of :func:`mann_whitney_u` on validated 1-D arrays in any
    order: pool, sort stably, rank. (:func:`mann_whitney_sorted` gives the same U and p
    from the runs of equal values; this is the path for more samples than it takes.)"""
    n1, n2 = xa.size, xb.size
    n = n1 + n2

    # Pool the samples. A stable sort puts a value of a before an equal value of b, and
    # merges in linear time when a and b are already sorted (as the tidy table holds them).
    x = np.concatenate([xa, xb])
    order = np.argsort(x, kind="stable")
    pooled = x[order]
    from_a = order < n1
    # The k-th value of a (k from 0) at pooled position p has p - k values of b below it.
    greater_pairs = int(np.sum(np.flatnonzero(from_a))) - n1 * (n1 - 1) // 2
    # Tie groups: t values in all, of which t_a from a, sharing t_a * (t - t_a) tied pairs.
    starts = np.flatnonzero(np.concatenate([[True], pooled[1:] != pooled[:-1]]))
    u1, tie_term = float(greater_pairs), 0.0
    if starts.size < n:  # some values tie
        bounds = np.append(starts, n)
        ties = np.diff(bounds).astype(np.float64)
        ties_a = np.diff(np.concatenate([[0], np.cumsum(from_a)])[bounds]).astype(np.float64)
        u1 += 0.5 * float(np.sum(ties_a * (ties - ties_a)))
        tie_term = float(np.sum(ties * ties * ties - ties))
    u = max(u1, n1 * n2 - u1)
    var = n1 * n2 / 12.0 * ((n + 1) - tie_term / (n * (n - 1)))
    if var <= 0.0:  # every value identical: no evidence of any difference
        return u1, 1.0
    z = (u - n1 * n2 / 2.0 - 0.5) / math.sqrt(var)
    p = 2.0 * 0.5 * math.erfc(z / math.sqrt(2.0))  # 2 * P(N(0,1) > z)
    return u1, min(max(p, 0.0), 1.0)


@dataclass(frozen=True)
class SampleComparison:
    """``b`` against baseline ``a``: median ratio with its CI, U and p, and the verdict."""

    ratio: float
    ci_low: float
    ci_high: float
    u: float
    p_value: float
    verdict: str


def compare_samples(
    a: ArrayLike, b: ArrayLike, *, alpha: float = 0.05, min_effect: float = 0.0, seed: int = 0
) -> SampleComparison:
    """Classify sample times ``b`` against baseline ``a`` (smaller times are faster).

    Rule: ``b`` is "faster" (resp. "slower") only if all of these hold:

    1. the two-sided Mann-Whitney U p-value (``mann_whitney_u``) is ``< alpha``;
    2. the ``1 - alpha`` percentile-bootstrap CI of ``median(b) / median(a)``
       (``bootstrap_ratio_ci``) lies entirely below (resp. above) 1.0;
    3. the rank statistic points the same way (U of ``a`` above resp. below ``n_a*n_b/2``);
    4. the point ratio differs from 1 by at least ``min_effect`` (relative, e.g. 0.02 = 2%).

    Otherwise the verdict is "no significant difference". Inputs may be in any unit
    (the same for both).
    """
    (result,) = compare_sample_pairs([(a, b)], alpha=alpha, min_effect=min_effect, seed=seed)
    if isinstance(result, ValueError):
        raise result
    return result


_BATCH_ROWS = 256  # benchmarks whose bootstrap ratios are held at once (256 x 2000 x 8 B = 4 MB)


def compare_sample_pairs(
    pairs: Iterable[tuple[ArrayLike, ArrayLike]],
    *,
    alpha: float = 0.05,
    min_effect: float = 0.0,
    seed: int = 0,
) -> list[SampleComparison | ValueError]:
    """:func:`compare_samples` of every ``(a, b)`` in *pairs*, in order, with the same
    results, at a fraction of the cost per pair: each side is validated and sorted once
    (not at all when it already is sorted, as the tidy table holds samples), U comes from
    the runs of equal values, and the bootstrap intervals of many pairs are read off one
    partition of their resampled ratios.

    A pair that cannot be compared (empty, NaN or infinite samples, a zero baseline median)
    gives the ``ValueError`` that :func:`compare_samples` raises, in its place in the list.
    A bad *alpha* or *min_effect* raises.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    if min_effect < 0.0:
        raise ValueError(f"min_effect must be >= 0, got {min_effect}")
    confidence = 1.0 - alpha
    results: list[SampleComparison | ValueError] = []
    pending: list[tuple[int, SortedSample, SortedSample, float, float, float]] = []
    for a, b in pairs:
        try:
            sample_a, sample_b = sorted_sample(a, "a"), sorted_sample(b, "b")
            if sample_a.n + sample_b.n <= MAX_EXACT_SAMPLES:
                u, p = mann_whitney_sorted(sample_a, sample_b)
            else:
                u, p = _mann_whitney_pooled(sample_a.original, sample_b.original)
            median_a = sample_a.median
            if median_a == 0.0:
                raise ValueError("stat(a) is 0: the ratio is undefined")
            pending.append((len(results), sample_a, sample_b, u, p, sample_b.median / median_a))
            results.append(ValueError("not compared"))  # replaced below
        except ValueError as exc:
            results.append(exc)
    tail = 100.0 * (1.0 - confidence) / 2.0
    for start in range(0, len(pending), _BATCH_ROWS):
        batch = pending[start : start + _BATCH_ROWS]
        lows, highs = _median_ratio_intervals([(sa, sb) for _, sa, sb, *_ in batch], seed, tail)
        for (at, sa, sb, u, p, ratio), low, high in zip(batch, lows, highs, strict=True):
            results[at] = _classified(sa.n * sb.n, ratio, low, high, u, p, alpha, min_effect)
    return results


def _classified(
    pairs: int, ratio: float, low: float, high: float, u: float, p: float, alpha: float,
    min_effect: float,
) -> SampleComparison:  # fmt: skip
    """The verdict of :func:`compare_samples` (``pairs`` = n_a * n_b)."""
    half = pairs / 2.0
    outcome = "no significant difference"
    if p < alpha and abs(ratio - 1.0) >= min_effect:
        if high < 1.0 and u > half:
            outcome = "faster"
        elif low > 1.0 and u < half:
            outcome = "slower"
    return SampleComparison(ratio, low, high, u, p, outcome)


def _median_ratio_intervals(
    sides: Sequence[tuple[SortedSample, SortedSample]],
    seed: int,
    tail: float,
    n_resamples: int = 2000,
) -> tuple[list[float], list[float]]:
    """Per ``(a, b)``: the bounds of what :func:`bootstrap_ratio_ci` (median,
    *n_resamples*, *seed*) returns, with the same arithmetic as its ``_percentile_pair``.

    Where :func:`_tail_candidates` applies (both sides sorted, of more than 2 samples,
    a's all > 0 and b's all >= 0), only the resamples that can hold a bound are divided,
    and the order statistics of all those rows come from one partition per tail; the
    other rows get the full bootstrap of :func:`bootstrap_ratio_ci`.
    """
    lows, highs = [math.nan] * len(sides), [math.nan] * len(sides)
    positions = [(n_resamples - 1) * (q / 100.0) for q in (tail, 100.0 - tail)]
    below = [math.floor(v) for v in positions]
    # the order statistics read: below[0] and below[0] + 1, so ranks up to below[0] + 1
    # from the bottom; below[1] and below[1] + 1, so up to n - 1 - below[1] from the top
    rank_low, rank_high = below[0] + 1, n_resamples - 1 - below[1]
    fast, slow = [], []
    for k, (a, b) in enumerate(sides):
        candidates = None
        if (
            a.is_sorted and b.is_sorted and a.n > 2 and b.n > 2 and n_resamples >= 2
            and a.values[0] > 0.0 and b.values[0] >= 0.0
        ):  # fmt: skip
            candidates = _tail_candidates(a.n, b.n, seed, n_resamples, rank_low, rank_high)
        (slow if candidates is None else fast).append((k, a, b, candidates))
    for k, a, b, _ in slow:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = _resampled_medians(b, seed, 1, n_resamples) / _resampled_medians(
                a, seed, 0, n_resamples
            )
        lows[k], highs[k] = _percentile_pair(ratios, tail)
    if not fast:
        return lows, highs
    width_low = max(c[4] for *_, c in fast)
    width_high = max(c[0].size - c[4] for *_, c in fast)
    low_rows = np.full((len(fast), width_low), np.inf)
    high_rows = np.full((len(fast), width_high), -np.inf)
    for row, (_, a, b, (index_a, index_b, _, _, split)) in enumerate(fast):
        ratios = np.divide(b.values.take(index_b), a.values.take(index_a))
        low_rows[row, :split] = ratios[:split]
        high_rows[row, width_high - (ratios.size - split) :] = ratios[split:]
    # +inf pads sort last and -inf pads first: they leave the candidates' order statistics
    low_at = [below[0], below[0] + 1]
    high_at = [width_high - 1 - (n_resamples - 1 - i) for i in (below[1], below[1] + 1)]
    low_rows.partition(low_at, axis=1)
    high_rows.partition(high_at, axis=1)
    bounds = []
    for v, i, rows, (lo, hi) in zip(
        positions, below, (low_rows, high_rows), (low_at, high_at), strict=True
    ):
        a, b, t = rows[:, lo], rows[:, hi], v - i
        bounds.append(b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t)  # numpy's _lerp
    for (k, *_), low, high in zip(fast, bounds[0].tolist(), bounds[1].tolist(), strict=True):
        lows[k], highs[k] = low, high
    return lows, highs


_MAX_GRID_CELLS = 2**22  # (range of a's drawn order statistics) x (range of b's)


@functools.lru_cache(maxsize=1024)
def _tail_candidates(
    n_a: int, n_b: int, seed: int, n_resamples: int, rank_low: int, rank_high: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int] | None:
    """The bootstrap resamples that can hold one of the order statistics of rank 0 to
    ``rank_low`` (from the bottom) or 0 to ``rank_high`` (from the top) of the median
    ratios, for sorted samples of sizes n_a and n_b with
    a's values > 0 and b's >= 0, whatever the values: ``(index_a, index_b, low, high,
    split)``, the order statistics of a and of b drawn by those resamples, the low tail's
    first (``split`` of them), then the high tail's; None when the grid would be too big.

    Resample r draws a's order statistic i_r and b's j_r (:func:`_sorted_median_index`),
    so its ratio is x_b[j_r] / x_a[i_r]. If resample s has j_s <= j_r and i_s >= i_r, its
    ratio is <= r's for any sorted values with a > 0 and b >= 0 (division is monotonic,
    rounding included). A resample with more than ``rank_low`` such others outside its
    own (i, j) cell is left out: by induction over those sets (each one's lies within
    the other's), at least ``rank_low + 1`` candidates have values no larger than its
    own, so the order statistics of rank up to ``rank_low`` of the candidates are those
    of all resamples (and alike at the top). It depends on n_a, n_b and the seed only:
    computed once per pair of sizes, from 2-D cumulative counts.
    """
    index_a = _sorted_median_index(n_a, seed, 0, n_resamples)
    index_b = _sorted_median_index(n_b, seed, 1, n_resamples)
    i, j = index_a - index_a.min(), index_b - index_b.min()
    shape = (int(i.max()) + 1, int(j.max()) + 1)
    if shape[0] * shape[1] > _MAX_GRID_CELLS:
        return None
    cells = np.bincount(i * shape[1] + j, minlength=shape[0] * shape[1]).reshape(shape)
    # corner[i, j]: resamples with i' <= i and j' <= j, with a zero row and column in front
    corner = np.zeros((shape[0] + 1, shape[1] + 1), dtype=np.int64)
    cells.cumsum(axis=0, out=corner[1:, 1:]).cumsum(axis=1, out=corner[1:, 1:])
    per_j, per_i = corner[-1], corner[:, -1]  # resamples with j' <= j, with i' <= i
    own = cells[i, j]
    # resamples with i' >= i and j' <= j (ratio no larger), and with i' <= i and j' >= j
    below = per_j[j + 1] - corner[i, j + 1] - own
    above = per_i[i + 1] - corner[i + 1, j] - own
    low = np.flatnonzero(below <= rank_low)
    high = np.flatnonzero(above <= rank_high)
    picked = np.concatenate([low, high])
    out = (index_a[picked], index_b[picked], low, high)
    for array in out:
        array.flags.writeable = False
    return (*out, int(low.size))


def verdict(a: ArrayLike, b: ArrayLike, *, alpha: float = 0.05, min_effect: float = 0.0) -> str:
    """ "faster", "slower" or "no significant difference": see :func:`compare_samples`."""
    return compare_samples(a, b, alpha=alpha, min_effect=min_effect).verdict


def geometric_mean(ratios: ArrayLike) -> float:
    """Geometric mean of positive values (e.g. dimensionless speed ratios).

    Raises ``ValueError`` if empty or if any value is <= 0.
    """
    arr = _as_1d(ratios, "ratios")
    if np.any(arr <= 0.0):
        raise ValueError("geometric_mean needs strictly positive values")
    return float(np.exp(np.mean(np.log(arr))))


def stability_warnings(samples: ArrayLike, *, rounds_min: int = 5) -> list[str]:
    """Warn about unstable timings, after ``pyperf check`` (pyperf/_cli.py, format_checks).

    Flags: fewer than ``rounds_min`` samples; sample std dev (ddof=1) >= 10% of the
    mean; minimum or maximum >= 50% away from the median. Times may be in any unit.

    Where this differs from pyperf, and why:

    - std dev >= 10% of the mean: the same rule.
    - min / max >= 50% away: pyperf measures from the **mean**, this from the **median**.
      A single long stall (a latency tail, a GC pause) drags the mean towards itself and
      can hide itself; the median is what every table here shows, so the warning says how
      far the extremes sit from the number printed.
    - pyperf warns when its own estimate of the samples needed exceeds the runs made;
      this warns below a fixed ``rounds_min`` (pytest-benchmark's calibration decides the
      rounds, and there is no per-process run structure to estimate from).
    - pyperf warns when the shortest raw value is under 1 ms (its values are loops of a
      timer); not here: pytest-benchmark calibrates iterations per round against the
      timer's resolution, and latency samples are single round trips of microseconds by
      design.

    Returns
    -------
    list of str
        Short human-readable warnings; empty when the samples look stable.
    """
    arr = _as_1d(samples)
    n = arr.size
    std = float(arr.std(ddof=1)) if n > 1 else 0.0
    median = _median(arr)
    return summary_warnings(
        n, float(arr.mean()), std, median, float(arr.min()), float(arr.max()),
        rounds_min=rounds_min,
    )  # fmt: skip


def summary_warnings(
    n: int,
    mean: float,
    stddev: float,
    median: float,
    minimum: float,
    maximum: float,
    *,
    rounds_min: int = 5,
) -> list[str]:
    """:func:`stability_warnings` from the summary of the samples (count, mean, sample std
    dev, median, min, max), as pytest-benchmark's ``stats`` hold it exactly: the same
    warnings without the samples."""
    warnings: list[str] = []
    if n < rounds_min:
        warnings.append(f"only {n} samples (fewer than {rounds_min})")
    if n > 1 and mean > 0.0:
        pct = stddev / mean * 100.0
        if pct >= 10.0:
            warnings.append(f"std dev is {pct:.0f}% of the mean")
    if median > 0.0:
        low = (median - minimum) / median * 100.0
        if low >= 50.0:
            warnings.append(f"min is {low:.0f}% below the median")
        high = (maximum - median) / median * 100.0
        if high >= 50.0:
            warnings.append(f"max is {high:.0f}% above the median")
    return warnings
