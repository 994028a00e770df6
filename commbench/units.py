"""Human-readable units for tables and captions."""

from __future__ import annotations

import math

_TIME_UNITS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"))
_SIZE_UNITS = ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB"))


def format_seconds(seconds: float | None) -> str:
    """``1.5e-5`` -> ``"15.0 µs"``; three significant digits."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "-"
    for scale, unit in _TIME_UNITS:
        if abs(seconds) >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_bytes(n: float | None) -> str:
    """``2048`` -> ``"2.0 KiB"``; below 1 KiB in bytes."""
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return "-"
    for scale, unit in _SIZE_UNITS:
        if abs(n) >= scale:
            value = n / scale
            return f"{value:.0f} {unit}" if abs(value) >= 100 else f"{value:.1f} {unit}"
    return f"{int(n)} B"
