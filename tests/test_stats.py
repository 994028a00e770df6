"""Tests for commbench.stats, on hand-computed numbers (arithmetic in the comments)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats as scipy_stats
from hypothesis import given, settings
from hypothesis import strategies as st

from commbench import stats
from commbench.stats import (
    bootstrap_ratio_ci,
    geometric_mean,
    mann_whitney_u,
    median_ratio,
    percentiles,
    stability_warnings,
    verdict,
)

# --- percentiles -------------------------------------------------------------------------------


def test_percentiles_hand_computed():
    # Linear interpolation at position q/100 * (n - 1) over the sorted [1, 2, 3, 4]:
    # p50: 0.5 * 3 = 1.5 -> 2 + 0.5 * (3 - 2) = 2.5
    # p90: 0.9 * 3 = 2.7 -> 3 + 0.7 * (4 - 3) = 3.7
    # p99: 2.97 -> 3.97 ; p99.9: 2.997 -> 3.997
    # mean = 10 / 4 = 2.5
    got = percentiles([4, 1, 3, 2])
    assert got == pytest.approx(
        {
            "p50": 2.5,
            "p90": 3.7,
            "p99": 3.97,
            "p99.9": 3.997,
            "max": 4.0,
            "min": 1.0,
            "mean": 2.5,
            "n": 4,
        }
    )
    assert set(got) == {"p50", "p90", "p99", "p99.9", "max", "min", "mean", "n"}


def test_percentiles_custom_qs_and_keys():
    # [0, 10, 20, 30, 40]: p25 at position 0.25 * 4 = 1 -> 10; p75 at 3 -> 30; p99.99 at 3.9996
    # -> 30 + 0.9996 * 10 = 39.996
    got = percentiles([0, 10, 20, 30, 40], qs=(25, 75, 99.99))
    assert got["p25"] == pytest.approx(10.0)
    assert got["p75"] == pytest.approx(30.0)
    assert got["p99.99"] == pytest.approx(39.996)
    assert "p50" not in got


def test_percentiles_single_sample():
    # One value: every percentile, min, max and mean equal it.
    got = percentiles([7.0])
    assert got["p50"] == got["p99.9"] == got["min"] == got["max"] == got["mean"] == 7.0
    assert got["n"] == 1


@pytest.mark.parametrize("bad", [[], np.array([]), [1.0, float("nan")], [1.0, math.inf]])
def test_percentiles_rejects_empty_and_non_finite(bad):
    with pytest.raises(ValueError, match=r"empty|NaN"):
        percentiles(bad)


def test_percentiles_rejects_out_of_range_q():
    with pytest.raises(ValueError, match=r"\[0, 100\]"):
        percentiles([1, 2, 3], qs=(50, 101))


# --- median_ratio / geometric_mean -------------------------------------------------------------


def test_median_ratio_hand_computed():
    # median([1, 2, 3]) = 2 ; median([3, 4, 5, 6]) = (4 + 5) / 2 = 4.5 ; 4.5 / 2 = 2.25
    assert median_ratio([1, 2, 3], [3, 4, 5, 6]) == pytest.approx(2.25)
    assert median_ratio([3, 4, 5, 6], [1, 2, 3]) == pytest.approx(1 / 2.25)


def test_median_ratio_zero_baseline():
    with pytest.raises(ValueError, match="median of a is 0"):
        median_ratio([0, 0, 1], [1, 2, 3])


def test_geometric_mean_hand_computed():
    # sqrt(2 * 8) = sqrt(16) = 4 ; cbrt(1 * 10 * 100) = cbrt(1000) = 10
    assert geometric_mean([2, 8]) == pytest.approx(4.0)
    assert geometric_mean([1, 10, 100]) == pytest.approx(10.0)
    # not the arithmetic mean (5) of [2, 8]
    assert geometric_mean(np.array([0.5, 2.0])) == pytest.approx(1.0)


@pytest.mark.parametrize("bad", [[], [1.0, 0.0], [2.0, -1.0]])
def test_geometric_mean_rejects_non_positive(bad):
    with pytest.raises(ValueError):
        geometric_mean(bad)


# --- mann_whitney_u ----------------------------------------------------------------------------


def test_mann_whitney_u_no_ties_hand_computed():
    # a = [1, 2], b = [3, 4]: no a beats any b, so U_a = 0 (ranks of a: 1 + 2 = 3, 3 - 2*3/2 = 0).
    # mu = n1*n2/2 = 2 ; var = n1*n2/12 * (n + 1) = 4/12 * 5 = 5/3 (no ties)
    # two-sided uses max(U_a, U_b) = 4: z = (4 - 2 - 0.5) / sqrt(5/3) = 1.161895...
    # p = 2 * P(Z > z) = erfc(z / sqrt 2) = 0.245278...
    u, p = mann_whitney_u([1, 2], [3, 4])
    z = 1.5 / math.sqrt(5 / 3)
    assert u == 0.0
    assert p == pytest.approx(math.erfc(z / math.sqrt(2)), abs=1e-12)
    assert p == pytest.approx(0.2452781168, abs=1e-9)


def test_mann_whitney_u_ties_hand_computed():
    # a = [1, 2, 2], b = [2, 3]. Pooled sorted: 1, 2, 2, 2, 3 -> ranks 1, 3, 3, 3, 5
    # (the three 2s share (2 + 3 + 4) / 3 = 3). R_a = 1 + 3 + 3 = 7, U_a = 7 - 3*4/2 = 1
    # (by pairs: 1 beats nothing, each a=2 ties b=2 for 1/2 -> 0.5 + 0.5 = 1).
    # Tie group t = 3: t^3 - t = 24. var = 3*2/12 * ((5 + 1) - 24 / (5*4)) = 0.5 * 4.8 = 2.4
    # U = max(1, 6 - 1) = 5 ; z = (5 - 3 - 0.5) / sqrt(2.4) = 0.968245... ; p = 0.332921...
    u, p = mann_whitney_u([1, 2, 2], [2, 3])
    assert u == 1.0
    assert p == pytest.approx(math.erfc(1.5 / math.sqrt(2.4) / math.sqrt(2)), abs=1e-12)
    assert p == pytest.approx(0.3329216081, abs=1e-9)


def test_mann_whitney_u_all_identical():
    # Every one of the 3 * 2 = 6 pairs ties -> U_a = 6 * 0.5 = 3 ; zero variance -> p = 1.
    assert mann_whitney_u([5, 5, 5], [5, 5]) == (3.0, 1.0)


def test_mann_whitney_u_symmetry():
    # U_a + U_b = n1 * n2 and the two-sided p-value does not depend on the order.
    a, b = [3.0, 1.0, 4.0, 1.0, 5.0], [9.0, 2.0, 6.0]
    ua, pa = mann_whitney_u(a, b)
    ub, pb = mann_whitney_u(b, a)
    assert ua + ub == 15.0
    assert pa == pytest.approx(pb, abs=1e-15)


def test_mann_whitney_u_matches_scipy_on_random_ties():
    rng = np.random.default_rng(12345)
    for n1, n2 in [(1, 1), (3, 7), (20, 20), (50, 13), (400, 300)]:
        a = rng.integers(0, 6, n1).astype(float)  # few distinct values -> many ties
        b = rng.integers(1, 8, n2).astype(float)
        ref = scipy_stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic")
        u, p = mann_whitney_u(a, b)
        assert u == pytest.approx(float(ref.statistic), abs=1e-9)
        assert p == pytest.approx(float(ref.pvalue), abs=1e-9)


def test_mann_whitney_u_matches_scipy_continuous():
    rng = np.random.default_rng(7)
    a, b = rng.normal(10, 1, 500), rng.normal(10.2, 1, 600)
    ref = scipy_stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic")
    u, p = mann_whitney_u(a, b)
    assert u == pytest.approx(float(ref.statistic), abs=1e-9)
    assert p == pytest.approx(float(ref.pvalue), abs=1e-9)


small_ints = st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=15)


@settings(max_examples=300, deadline=None)
@given(a=small_ints, b=small_ints)
def test_mann_whitney_u_property_matches_scipy(a, b):
    ref = scipy_stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic")
    u, p = mann_whitney_u(a, b)
    assert u == pytest.approx(float(ref.statistic), abs=1e-9)
    assert p == pytest.approx(float(ref.pvalue), abs=1e-9)
    assert 0.0 <= p <= 1.0


# --- bootstrap_ratio_ci ------------------------------------------------------------------------


def test_bootstrap_constant_samples_is_degenerate():
    # Every resample of a constant array has the same median: 3 / 2 = 1.5 everywhere.
    assert bootstrap_ratio_ci([2.0] * 10, [3.0] * 7) == (1.5, 1.5, 1.5)


def test_bootstrap_two_point_hand_computed():
    # a is constant 2. A size-2 resample of b = [1, 3] has median 1 (p 1/4), 2 (p 1/2) or
    # 3 (p 1/4), so the ratio is 0.5, 1.0 or 1.5. About 500 of 2000 resamples sit at each
    # extreme, far more than the 2.5% (50) tails: the 95% CI is exactly (0.5, 1.5).
    # Point estimate: median(b) / median(a) = 2 / 2 = 1.
    assert bootstrap_ratio_ci([2.0] * 5, [1.0, 3.0]) == (1.0, 0.5, 1.5)
    # confidence 0.6 -> 20th/80th percentiles: still inside the ~25% point masses at 0.5, 1.5
    # (the share at 0.5 is 25% +- 1% for 2000 resamples, 5 sd away from 20%).
    assert bootstrap_ratio_ci([2.0] * 5, [1.0, 3.0], confidence=0.6) == (1.0, 0.5, 1.5)
    # confidence 0.4 -> 30th/70th percentiles: both inside the middle 50% mass at 1.0.
    assert bootstrap_ratio_ci([2.0] * 5, [1.0, 3.0], confidence=0.4) == (1.0, 1.0, 1.0)


def test_bootstrap_resamples_a_and_b_independently():
    # Comparing a sample with itself: the point ratio is exactly 1, but independent resamples
    # of the two sides give ratios on both sides of 1 (identical draws would give only 1.0).
    x = np.arange(1.0, 42.0)
    r, low, high = bootstrap_ratio_ci(x, x)
    assert r == 1.0
    assert low < 1.0 < high


def _lognormal_pair(n: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.lognormal(0.0, 0.2, n), 1.1 * rng.lognormal(0.0, 0.2, n)


def test_bootstrap_contains_point_estimate_and_is_reproducible():
    a, b = _lognormal_pair(200)
    r, low, high = bootstrap_ratio_ci(a, b, seed=42)
    assert r == pytest.approx(median_ratio(a, b))
    assert low < r < high
    assert bootstrap_ratio_ci(a, b, seed=42) == (r, low, high)
    assert bootstrap_ratio_ci(a, b, seed=43) != (r, low, high)


def test_bootstrap_narrows_with_more_data():
    a_small, b_small = _lognormal_pair(30)
    a_big, b_big = _lognormal_pair(3000)
    _, lo_s, hi_s = bootstrap_ratio_ci(a_small, b_small)
    _, lo_b, hi_b = bootstrap_ratio_ci(a_big, b_big)
    # the width shrinks roughly like 1/sqrt(n): 10x the data -> ~1/10 the width
    assert hi_b - lo_b < 0.5 * (hi_s - lo_s)
    assert lo_b < 1.1 < hi_b  # b is 1.1x a draw from a's distribution: true ratio is 1.1


def test_bootstrap_higher_confidence_is_wider():
    a, b = _lognormal_pair(100)
    _, lo90, hi90 = bootstrap_ratio_ci(a, b, confidence=0.90)
    _, lo99, hi99 = bootstrap_ratio_ci(a, b, confidence=0.99)
    assert lo99 < lo90 and hi90 < hi99


def test_bootstrap_chunking_does_not_change_result(monkeypatch):
    a, b = _lognormal_pair(97)
    whole = bootstrap_ratio_ci(a, b, n_resamples=500, seed=5)
    # 250 elements per chunk -> 2 resamples of 97 per chunk, 250 chunks
    monkeypatch.setattr(stats, "_MAX_CHUNK_ELEMENTS", 250)
    assert bootstrap_ratio_ci(a, b, n_resamples=500, seed=5) == whole


def test_bootstrap_mean_and_non_vectorised_stat_agree():
    a, b = _lognormal_pair(50)
    vec = bootstrap_ratio_ci(a, b, stat=np.mean, n_resamples=300)
    # a stat without an ``axis`` keyword takes the per-resample path with the same draws
    loop = bootstrap_ratio_ci(a, b, stat=lambda x: float(np.mean(x)), n_resamples=300)
    assert loop == pytest.approx(vec, rel=1e-12)
    assert vec[0] == pytest.approx(np.mean(b) / np.mean(a))


def test_bootstrap_rejects_bad_arguments():
    with pytest.raises(ValueError, match="empty"):
        bootstrap_ratio_ci([], [1.0])
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ratio_ci([1.0], [1.0], confidence=1.0)
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap_ratio_ci([1.0], [1.0], n_resamples=0)
    with pytest.raises(ValueError, match="undefined"):
        bootstrap_ratio_ci([0.0, 0.0], [1.0])


# --- verdict -----------------------------------------------------------------------------------


def _times(center: float, n: int = 60, seed: int = 0) -> np.ndarray:
    return center * np.random.default_rng(seed).lognormal(0.0, 0.05, n)


def test_verdict_faster_slower_and_same():
    base = _times(100.0, seed=1)
    assert verdict(base, _times(80.0, seed=2)) == "faster"  # b takes less time
    assert verdict(base, _times(120.0, seed=3)) == "slower"
    assert verdict(base, _times(100.0, seed=4)) == "no significant difference"
    assert verdict(base, base) == "no significant difference"


def test_verdict_constant_samples():
    # identical constants: p = 1 -> no difference; disjoint constants: U test decides
    assert verdict([5.0] * 10, [5.0] * 10) == "no significant difference"
    assert verdict([5.0] * 10, [4.0] * 10) == "faster"
    assert verdict([5.0] * 10, [6.0] * 10) == "slower"


def test_verdict_needs_both_u_test_and_ci():
    # Same median (10) on both sides, so every resampled median ratio is 10/10 = 1 and the CI is
    # (1, 1): no verdict, although the U test is overwhelming (a: 40% at 1, b: 40% at 20).
    a = [1.0] * 400 + [10.0] * 600
    b = [10.0] * 600 + [20.0] * 400
    assert mann_whitney_u(a, b)[1] < 1e-10
    assert bootstrap_ratio_ci(a, b)[1:] == (1.0, 1.0)
    assert verdict(a, b) == "no significant difference"
    assert verdict(b, a) == "no significant difference"  # the mirror case (b lower by ranks)


def test_verdict_needs_u_and_ci_to_agree():
    # median(a) = 10 (55% of a), median(b) = 9.9 (55% of b): ratio 0.99 with a CI below 1.
    # But P(a > b) = 0.55 * 0.55 = 0.3025 < 0.5 (a=10 beats only b=9.9, a=1 beats nothing),
    # so by ranks b tends to be slower. Contradictory evidence -> no verdict.
    a = [10.0] * 550 + [1.0] * 450
    b = [9.9] * 550 + [11.0] * 450
    u, p = mann_whitney_u(a, b)
    assert u == pytest.approx(0.3025 * 1000 * 1000) and p < 1e-10
    assert bootstrap_ratio_ci(a, b)[2] < 1.0
    assert verdict(a, b) == "no significant difference"


def test_verdict_min_effect():
    # a 2% speed-up with very little noise is significant but smaller than a 5% min_effect
    rng = np.random.default_rng(9)
    a = 100.0 + rng.normal(0, 0.1, 200)
    b = 98.0 + rng.normal(0, 0.1, 200)
    assert verdict(a, b) == "faster"
    assert verdict(a, b, min_effect=0.01) == "faster"
    assert verdict(a, b, min_effect=0.05) == "no significant difference"


def test_verdict_alpha():
    # a tiny sample pair: p = 0.245 (hand-computed above) is not < 0.05, but is < 0.3
    assert verdict([1.0, 2.0], [3.0, 4.0]) == "no significant difference"
    # at alpha 0.3 the 70% CI of medians: a resamples to {1, 1.5, 2}, b to {3, 3.5, 4}, so every
    # ratio is >= 3 / 2 = 1.5 > 1 and U_a = 0 < 2 -> slower
    assert verdict([1.0, 2.0], [3.0, 4.0], alpha=0.3) == "slower"
    with pytest.raises(ValueError, match="alpha"):
        verdict([1.0], [2.0], alpha=0.0)


# --- stability_warnings ------------------------------------------------------------------------


def test_stability_warnings_spiky():
    # [1, 1, 1, 1, 10]: mean 14/5 = 2.8 ; squared deviations 4 * 1.8^2 + 7.2^2 = 12.96 + 51.84
    # = 64.8 ; sample variance 64.8 / 4 = 16.2 ; std = 4.0249 -> 4.0249 / 2.8 = 143.7% -> "144%"
    # median 1: max (10 - 1) / 1 = 900% above ; min 0% below (no warning) ; n = 5 >= 5
    assert stability_warnings([1, 1, 1, 1, 10]) == [
        "std dev is 144% of the mean",
        "max is 900% above the median",
    ]


def test_stability_warnings_stable():
    # mean 100.17, std 0.75 (0.75%); min and max 1% from the median 100; n = 6 >= 5
    assert stability_warnings([100, 101, 99, 100, 100, 101]) == []


def test_stability_warnings_low_outlier():
    # [10, 10, 10, 10, 4]: median 10, min (10 - 4) / 10 = 60% below ; mean 44/5 = 8.8,
    # squared deviations 4 * 1.2^2 + 4.8^2 = 5.76 + 23.04 = 28.8, var 7.2, std 2.683
    # -> 2.683 / 8.8 = 30.5% -> "30%" ; max is 0% above
    assert stability_warnings([10, 10, 10, 10, 4]) == [
        "std dev is 30% of the mean",
        "min is 60% below the median",
    ]


def test_stability_warnings_too_few_rounds():
    assert stability_warnings([100, 100, 100]) == ["only 3 samples (fewer than 5)"]
    assert stability_warnings([100, 100, 100], rounds_min=3) == []


def test_stability_warnings_thresholds():
    # [90, 110]: mean 100, sample std sqrt((10^2 + 10^2) / 1) = 14.1 -> 14% (warns)
    # [95, 105]: sample std sqrt((5^2 + 5^2) / 1) = 7.07 -> 7% (< 10%, no warning)
    assert "std dev is 14% of the mean" in stability_warnings([90, 110], rounds_min=2)
    assert stability_warnings([95, 105], rounds_min=2) == []


def test_bootstrap_medians_follow_the_law_of_resampled_medians() -> None:
    # The fast path draws resample medians from their exact binomial law; brute-force
    # resampling must give the same quantiles (up to Monte-Carlo error).
    from commbench.stats import _bootstrap_medians

    rng = np.random.default_rng(7)
    x = rng.lognormal(0.0, 0.3, 101)
    fast = _bootstrap_medians(x, np.random.default_rng(1), 100_000)
    brute = np.median(x[np.random.default_rng(2).integers(0, 101, (20_000, 101))], axis=1)
    qs = [2.5, 25, 50, 75, 97.5]
    np.testing.assert_allclose(np.percentile(fast, qs), np.percentile(brute, qs), rtol=0.01)
    assert set(np.unique(fast)) <= set(x)  # a resample median is always one of the values


@pytest.mark.parametrize("n", [3, 4, 11, 1000, 10_000])
def test_cached_median_draws_give_the_same_interval_as_resampling_afresh(n: int) -> None:
    from commbench.stats import _MAX_CHUNK_ELEMENTS, _resampled_stat

    rng = np.random.default_rng(n)
    a, b = rng.lognormal(size=n), rng.lognormal(size=n + 1)
    a[::7] = a[0]  # ties: the left-out sample must be the same value
    for seed in (0, 3):
        _, low, high = bootstrap_ratio_ci(a, b, seed=seed)
        fresh = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
        ra, rb = fresh
        sa = _resampled_stat(a, ra, 2000, np.median, _MAX_CHUNK_ELEMENTS)
        sb = _resampled_stat(b, rb, 2000, np.median, _MAX_CHUNK_ELEMENTS)
        assert (low, high) == tuple(float(v) for v in np.percentile(sb / sa, [2.5, 97.5]))


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=60
    ),
    confidence=st.sampled_from([0.5, 0.9, 0.95, 0.99, 0.123]),
)
def test_percentile_pair_is_numpys_percentile(values, confidence):
    from commbench.stats import _percentile_pair

    tail = 100.0 * (1.0 - confidence) / 2.0
    arr = np.asarray(values, dtype=np.float64)
    expected = np.percentile(arr, [tail, 100.0 - tail])
    assert _percentile_pair(arr.copy(), tail) == (float(expected[0]), float(expected[1]))


def test_percentile_pair_keeps_numpys_answer_with_nan_and_inf():
    from commbench.stats import _percentile_pair

    for values in ([1.0, np.nan, 3.0], [1.0, np.inf, 2.0, 5.0], [np.inf, np.inf, 1.0]):
        arr = np.asarray(values)
        with np.errstate(invalid="ignore"):  # inf - inf in numpy's interpolation
            expected = [float(v) for v in np.percentile(arr, [2.5, 97.5])]
        assert np.array_equal(_percentile_pair(arr.copy(), 2.5), expected, equal_nan=True)


@pytest.mark.parametrize(
    "samples",
    [
        [1, 1, 1, 1, 10],
        [100, 101, 99, 100, 100, 101],
        [10, 10, 10, 10, 4],
        [100, 100, 100],
        np.random.default_rng(3).lognormal(0.0, 1.0, 999),
    ],
)
def test_the_summary_gives_the_warnings_the_samples_give(samples: object) -> None:
    from commbench.stats import summary_warnings

    x = np.asarray(samples, dtype=np.float64)
    warned = stability_warnings(x)
    std = float(x.std(ddof=1)) if x.size > 1 else 0.0
    args = (x.size, x.mean(), std, np.median(x), x.min(), x.max())
    assert summary_warnings(*args) == warned
    assert summary_warnings(*args, rounds_min=x.size + 1)[0].startswith(f"only {x.size} samples")
