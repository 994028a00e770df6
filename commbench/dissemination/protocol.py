"""What every dissemination protocol exposes, and how seeded runs are aggregated.

A protocol is one :class:`Protocol` entry: a name, its options, and ``run(options,
rng) -> metrics`` for ONE seeded run. ``commbench simulate`` and the benchmarks
call :func:`simulate`, which does R runs from one seed and reports the mean and a
95% confidence interval of every metric.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Option:
    """A command-line option of a protocol: ``--name VALUE``."""

    name: str
    type: type
    default: Any
    help: str
    choices: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class Protocol:
    """One dissemination protocol as ``commbench simulate NAME`` knows it."""

    name: str
    help: str
    run: Callable[[Mapping[str, Any], np.random.Generator], dict[str, float]]
    options: tuple[Option, ...] = field(default_factory=tuple)
    resolve: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    """Turns shorthand options into the ones ``run`` reads, before they are recorded."""

    def defaults(self) -> dict[str, Any]:
        return {o.name: o.default for o in self.options}

    def options_for(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults, overridden by *options*, resolved: what a run uses and what is recorded."""
        merged = {**self.defaults(), **options}
        return self.resolve(merged) if self.resolve else merged


def mean_ci95(values: list[float]) -> tuple[float, float, float]:
    """Mean and Student-t 95% CI of the mean over the runs.

    One value, or identical values, give a zero-width interval.
    """
    from scipy.stats import t

    x = np.asarray(values, dtype=float)
    mean = float(x.mean())
    if len(x) < 2:
        return mean, mean, mean
    half = float(t.ppf(0.975, len(x) - 1)) * float(x.std(ddof=1)) / math.sqrt(len(x))
    return mean, mean - half, mean + half


def simulate(
    protocol: Protocol, options: Mapping[str, Any], *, runs: int = 1, seed: int = 0
) -> dict[str, Any]:
    """Run *protocol* *runs* times from *seed*; return options and per-metric mean/CI.

    Reproducible: run i uses ``np.random.default_rng([seed, i])``.
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    merged = protocol.options_for(options)
    samples: dict[str, list[float]] = {}
    for i in range(runs):
        metrics = protocol.run(merged, np.random.default_rng([seed, i]))
        for key, value in metrics.items():
            samples.setdefault(key, []).append(float(value))
    summary = {}
    for key, values in samples.items():
        mean, low, high = mean_ci95(values)
        summary[key] = {"mean": mean, "ci95": [low, high]}
    return {
        "protocol": protocol.name,
        "options": merged,
        "runs": runs,
        "seed": seed,
        "metrics": summary,
    }
