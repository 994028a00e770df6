"""What every dissemination protocol exposes, and how seeded runs are aggregated.

A protocol is one :class:`Protocol` entry: a name, its options, and ``run(options,
rng) -> metrics`` for ONE seeded run. Each :class:`Option` declares its range (a count
>= 1, a probability in [0, 1], ...); :meth:`Option.parse` is the type ``argparse``
calls, so an out-of-range value is argparse's one-line error naming the option, and
:meth:`Protocol.options_for` checks the same ranges for callers from Python.
``commbench simulate`` and the benchmarks call :func:`simulate`, which does R runs
from one seed and reports the mean and a 95% confidence interval of every metric.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAX_NODES = 10**7
"""Largest n, routers or other size an option accepts: beyond it the arrays do not fit."""


@dataclass(frozen=True)
class Option:
    """A command-line option of a protocol: ``--name VALUE``, within ``[low, high]``.

    ``low`` / ``high`` of ``None`` leave that side open; ``above=True`` excludes ``low``
    itself (``k > 0``). Numbers must be finite.

    >>> Option("k", float, 2.0, "threshold", low=0, above=True).parse("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: -1 is not a number > 0
    >>> Option("p", float, 1.0, "probability", **PROBABILITY).parse("0.25")
    0.25
    """

    name: str
    type: type
    default: Any
    help: str
    choices: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    above: bool = False

    @property
    def flag(self) -> str:
        return f"--{self.name.replace('_', '-')}"

    def range_text(self) -> str:
        """What a valid value is, in words: "an integer >= 1", "a number in [0, 1]"."""
        kind = "an integer" if self.type is int else "a number"
        low, high = _number(self.low), _number(self.high)
        if self.low is not None and self.high is not None:
            return f"{kind} in {'(' if self.above else '['}{low}, {high}]"
        if self.low is not None:
            return f"{kind} {'>' if self.above else '>='} {low}"
        if self.high is not None:
            return f"{kind} <= {high}"
        return kind

    def help_text(self) -> str:
        """The ``--help`` line: what it is, its range, its default."""
        valid = f", {self.range_text()}" if self.type in (int, float) else ""
        return f"{self.help}{valid} (default: {self.default})"

    def problem(self, value: Any) -> str | None:
        """Why *value* is out of range, or ``None`` when it is fine."""
        if self.type not in (int, float) or value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{value!r} is not {self.range_text()}"
        if self.type is int and not float(value).is_integer():
            return f"{value!r} is not {self.range_text()}"
        if not math.isfinite(value):
            return f"{value!r} is not {self.range_text()}"
        too_low = self.low is not None and (value <= self.low if self.above else value < self.low)
        if too_low or (self.high is not None and value > self.high):
            return f"{_number(value)} is not {self.range_text()}"
        return None

    def parse(self, text: str) -> Any:
        """The ``type=`` argparse calls: the value, or ArgumentTypeError naming the range."""
        try:
            value = self.type(text)
        except ValueError:
            kind = self.range_text() if self.type in (int, float) else f"a {self.type.__name__}"
            raise argparse.ArgumentTypeError(f"{text!r} is not {kind}") from None
        problem = self.problem(value)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return value


def _number(value: float | None) -> str:
    """10000000 rather than 1e+07, 0.5 as 0.5."""
    if value is None or not float(value).is_integer():
        return f"{value:g}" if value is not None else ""
    return str(int(value))


COUNT: dict[str, Any] = {"low": 1}
"""A count: at least one."""
SIZE: dict[str, Any] = {"low": 2, "high": MAX_NODES}
"""A number of nodes or sites: two to :data:`MAX_NODES`."""
PROBABILITY: dict[str, Any] = {"low": 0, "high": 1}
"""A probability or fraction in [0, 1]."""

RUNS = Option("runs", int, 1, "seeded runs", low=1, high=10**6)
SEED = Option("seed", int, 0, "seed of the first run", low=0)
"""``commbench simulate``'s own options, declared like the protocols' ones."""


@dataclass(frozen=True)
class Protocol:
    """One dissemination protocol as ``commbench simulate NAME`` knows it."""

    name: str
    help: str
    run: Callable[[Mapping[str, Any], np.random.Generator], dict[str, float]]
    options: tuple[Option, ...] = field(default_factory=tuple)
    resolve: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    """Turns shorthand options into the ones ``run`` reads, before they are recorded."""
    check: Callable[[Mapping[str, Any]], None] | None = None
    """Raises ValueError naming the options when they contradict each other (source >= n)."""

    def defaults(self) -> dict[str, Any]:
        return {o.name: o.default for o in self.options}

    def options_for(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults, overridden by *options*, resolved: what a run uses and what is recorded.

        ValueError naming the option when a value is out of its declared range, or when
        the options contradict each other (``check``).
        """
        merged = {**self.defaults(), **options}
        for option in self.options:
            problem = option.problem(merged[option.name])
            if problem:
                raise ValueError(f"{option.flag}: {problem}")
        if self.check:
            self.check(merged)
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
    for option, value in ((RUNS, runs), (SEED, seed)):
        problem = option.problem(value)
        if problem:
            raise ValueError(f"{option.flag}: {problem}")
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
