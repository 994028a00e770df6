"""canada.json-like GeoJSON: one Polygon feature with ~5*10^4 [lon, lat] points.

About 10^5 doubles written with 15-17 significant digits, as in the classic file:
float parsing and printing dominate every codec.
"""

from __future__ import annotations

import math
import random

from commbench.corpus import Payload

POINTS = 50_000
RINGS = 480


def _ring_sizes(rng: random.Random) -> list[int]:
    """Points per ring (closed rings, at least 4 points), adding up to POINTS."""
    weights = [rng.paretovariate(1.2) for _ in range(RINGS)]
    spare = POINTS - 4 * RINGS
    sizes = [4 + int(spare * w / sum(weights)) for w in weights]
    sizes[0] += POINTS - sum(sizes)
    return sizes


def _ring(rng: random.Random, n: int) -> list[list[float]]:
    """A closed, jagged ring of *n* points (the last repeats the first)."""
    lon0, lat0 = rng.uniform(-141.0, -52.6), rng.uniform(41.7, 83.1)
    radius = rng.uniform(0.01, 3.0) * math.sqrt(n / 100)
    points = []
    for i in range(n - 1):
        angle = 2 * math.pi * i / (n - 1)
        r = radius * (1 + 0.3 * rng.random())
        points.append([lon0 + r * math.cos(angle), lat0 + 0.5 * r * math.sin(angle)])
    points.append(list(points[0]))
    return points


def generate(seed: int) -> Payload:
    """A FeatureCollection with one Polygon of RINGS rings (message ``CanadaCollection``)."""
    rng = random.Random(seed)
    rings = [_ring(rng, n) for n in _ring_sizes(rng)]
    value = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Canada"},
                "geometry": {"type": "Polygon", "coordinates": rings},
            }
        ],
    }
    return Payload(
        name="canada",
        value=value,
        message="CanadaCollection",
        source="builtin",
        description=f"canada-like GeoJSON: {RINGS} rings, {POINTS} points, {2 * POINTS} doubles",
        params={"seed": seed, "points": POINTS, "rings": RINGS},
    )
