"""Latency distributions as HdrHistograms: compact in the result file, numpy arrays in use.

A benchmark that times thousands of round trips (the latency family; RPC and messaging
as they land) stores its distribution as one HdrHistogram string instead of a JSON array
of every sample: 10,000 samples take ~220 kB as JSON text, ~1-2 kB as a histogram.
The format is HdrHistogram's standard compressed V2 encoding, base64 (the one wrk2, the
NATS latency tests and OpenMessaging write), made by the ``hdrhistogram`` package
(``hdrh``), so any HdrHistogram library (Java, C, Go, Python) reads it.

Choices, each checked by tests/test_histograms.py:

- **3 significant digits**: every sample above 2048 value units is kept to its bucket,
  whose width is at most 1/1024 of the value (HdrHistogram's guarantee: 0.1%).
- **Value unit 1 ps** (:data:`VALUE_UNIT_S`), range 1 ps .. 100 s
  (:data:`HIGHEST_VALUE_UNITS`). Not 1 ns: one-way latency is RTT / 2, so samples are
  whole half-nanoseconds, and rounding the shared-memory floor's 280.5 ns to 280 or
  281 ns alone is a 0.18% error. In picoseconds rounding costs nothing measurable and
  the histogram is exact below 2.048 ns. The unit is written into the encoding's
  ``integer to double value conversion ratio`` field (HdrHistogram's place for it), so
  a string says its own unit; :func:`decode` reads it from there.
- **Decoded at each bucket's median-equivalent value** (its lowest value plus half its
  width, as HdrHistogram's own mean and stddev use): the error of a sample is then at
  most half a bucket, <= 1/2048 ~ 0.049% of the value (plus the half picosecond of
  rounding to whole units), where the lowest- or highest-equivalent value errs by up to
  a whole bucket (0.098%), too close to the 0.1% that percentiles must keep.

:func:`decode` gives back what a raw-sample file gives: every recorded value repeated by
its count, as a sorted float64 array of seconds (np.repeat over the non-empty buckets,
no Python loop over samples: ~0.1 ms for 10,000 samples).

pytest-benchmark's own ``stats`` (min, max, mean, median, stddev, iqr, ...) are computed
from the exact samples before the histogram replaces them: see
:func:`commbench.transports.latency.record_samples` and the ``--keep-raw-samples``
option in :mod:`commbench.pytest_plugin`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import struct
import zlib

import numpy as np
from hdrh.histogram import HdrHistogram

VALUE_UNIT_S = 1e-12
"""Seconds per histogram value unit: values are recorded in whole picoseconds."""

LOWEST_VALUE_UNITS = 1
HIGHEST_VALUE_UNITS = 100 * 10**12
"""100 s in picoseconds: beyond any bounded measuring loop of the suite."""

SIGNIFICANT_DIGITS = 3


def encode(samples_s: np.ndarray) -> str:
    """The samples (seconds, any order) as an HdrHistogram: compressed V2, base64, ASCII.

    Raises ValueError for an empty array, or a sample that is negative, not finite or
    above 100 s (it would not fit the histogram's range; nothing is dropped silently).
    """
    seconds = np.asarray(samples_s, dtype=np.float64).ravel()
    if seconds.size == 0:
        raise ValueError("no samples to encode")
    if not np.isfinite(seconds).all():
        raise ValueError("samples must be finite")
    values = np.rint(seconds / VALUE_UNIT_S).astype(np.int64)
    if values.min() < 0 or values.max() > HIGHEST_VALUE_UNITS:
        raise ValueError(
            f"samples must lie in 0 .. {HIGHEST_VALUE_UNITS * VALUE_UNIT_S:g} s; "
            f"got {seconds.min():g} .. {seconds.max():g} s"
        )
    histogram = _empty()
    counts = np.ctypeslib.as_array(histogram.counts)
    index = _counts_index(histogram, values)
    counts[:] = np.bincount(index, minlength=counts.size)
    # the tracking values hdrh's record_value would have kept (encode() reads max_value)
    histogram.total_count = int(values.size)
    histogram.min_value = int(values.min())
    histogram.max_value = int(values.max())
    histogram.encoder.payload.payload.conversion_ratio_bits = VALUE_UNIT_S
    return histogram.encode().decode("ascii")


def decode(encoded: str | bytes) -> np.ndarray:
    """The samples of an :func:`encode`-d histogram: sorted float64 seconds, each at its
    bucket's median-equivalent value, repeated by its count.

    Read with numpy straight from the encoding's sparse counts (:func:`_sparse_counts`),
    without the dense counts array of ~75,000 buckets that ``hdrh`` fills and scans; any
    encoding that path does not take (another word size, an index offset) goes through
    ``hdrh``. Raises ValueError when *encoded* is not an HdrHistogram encoding.
    """
    sparse = _sparse_counts(encoded)
    if sparse is not None:
        histogram, index, counts, unit_s = sparse
    else:
        try:
            histogram = HdrHistogram.decode(encoded)
        except Exception as exc:  # base64, zlib, cookie or length errors of hdrh
            raise ValueError(f"not an HdrHistogram encoding: {type(exc).__name__}: {exc}") from None
        dense = np.ctypeslib.as_array(histogram.counts)
        index = np.flatnonzero(dense)
        counts = dense[index].astype(np.int64)
        unit_s = float(histogram.get_int_to_double_conversion_ratio())
    values = _median_equivalent(histogram, index).astype(np.float64)
    return np.repeat(values * unit_s, counts)


_EXTERNAL_HEADER = struct.Struct(">II")  # cookie, compressed length
_PAYLOAD_HEADER = struct.Struct(">IIIIQQd")  # cookie, length, offset, digits, lo, hi, ratio
_V2_COMPRESSION_COOKIE = 0x1C849304 | 0x10
_V2_ENCODING_COOKIE = 0x1C849303 | 0x10


def _sparse_counts(
    encoded: str | bytes,
) -> tuple[HdrHistogram, np.ndarray, np.ndarray, float] | None:
    """(a histogram of the same layout, bucket indexes, their counts, seconds per unit) of
    a V2 base64 encoding, decoded with a few numpy calls; None to let ``hdrh`` decide.

    The V2 counts are ZigZag LEB128 integers: a positive one is the count of the next
    bucket, a negative one -k skips k empty buckets. Words are at most 9 bytes, the 9th
    with 8 bits; counts and gaps here never need 9, and an encoding that has one is left
    to ``hdrh``. Raises ValueError for what is not an encoding at all.
    """
    try:
        raw = base64.b64decode(encoded, validate=True)
        cookie, length = _EXTERNAL_HEADER.unpack_from(raw)
        if cookie & ~0xF0 != _V2_COMPRESSION_COOKIE & ~0xF0 or length != len(raw) - 8:
            return None
        payload = zlib.decompress(raw[8:])
        cookie, varint_bytes, offset, digits, lowest, highest, ratio = _PAYLOAD_HEADER.unpack_from(
            payload
        )
    except (ValueError, TypeError, binascii.Error, struct.error, zlib.error) as exc:
        raise ValueError(f"not an HdrHistogram encoding: {type(exc).__name__}: {exc}") from None
    start = _PAYLOAD_HEADER.size
    if cookie != _V2_ENCODING_COOKIE or offset != 0 or len(payload) != start + varint_bytes:
        return None
    histogram = _layout(lowest, highest, digits)
    data = np.frombuffer(payload, dtype=np.uint8, offset=start)
    if data.size == 0:
        return histogram, np.zeros(0, np.int64), np.zeros(0, np.int64), ratio
    last = np.flatnonzero(data < 0x80)  # the last byte of each word
    if last.size == 0 or last[-1] != data.size - 1:
        return None
    first = np.concatenate(([0], last[:-1] + 1))
    width = last - first + 1
    if int(width.max()) > 8:  # a 9-byte word: leave it to hdrh
        return None
    position = np.arange(data.size) - np.repeat(first, width)
    shifted = (data & 0x7F).astype(np.uint64) << (np.uint64(7) * position.astype(np.uint64))
    zigzag = np.add.reduceat(shifted, first)
    words = (zigzag >> np.uint64(1)).astype(np.int64) ^ -(zigzag & np.uint64(1)).astype(np.int64)
    step = np.where(words < 0, -words, 1)
    index = np.cumsum(step) - step  # the bucket each word starts at
    counted = words > 0
    index, counts = index[counted], words[counted]
    if index.size and int(index[-1]) >= histogram.counts_len:
        return None
    return histogram, index, counts, ratio


@functools.lru_cache(maxsize=8)
def _layout(lowest: int, highest: int, digits: int) -> HdrHistogram:
    """An empty histogram of this range and precision: its bucket layout (not its counts)."""
    return HdrHistogram(lowest, highest, digits)


def _empty() -> HdrHistogram:
    return HdrHistogram(LOWEST_VALUE_UNITS, HIGHEST_VALUE_UNITS, SIGNIFICANT_DIGITS)


def _counts_index(histogram: HdrHistogram, values: np.ndarray) -> np.ndarray:
    """hdrh's ``_counts_index_for`` for an array of values (int64, >= 0), vectorised."""
    unit_magnitude = histogram.unit_magnitude
    half_magnitude = histogram.sub_bucket_half_count_magnitude
    # bit length of (value | mask): frexp's exponent, exact for integers below 2**53
    _, bit_length = np.frexp((values | histogram.sub_bucket_mask).astype(np.float64))
    bucket = bit_length.astype(np.int64) - unit_magnitude - (half_magnitude + 1)
    sub_bucket = values >> (bucket + unit_magnitude)
    return ((bucket + 1) << half_magnitude) + sub_bucket - histogram.sub_bucket_half_count


def _median_equivalent(histogram: HdrHistogram, index: np.ndarray) -> np.ndarray:
    """hdrh's ``get_value_from_index`` then ``_hdr_median_equiv_value``, vectorised."""
    half_count = histogram.sub_bucket_half_count
    bucket = (index >> histogram.sub_bucket_half_count_magnitude) - 1
    sub_bucket = (index & (half_count - 1)) + half_count
    first = bucket < 0  # the first half-bucket: values 0 .. half_count - 1
    sub_bucket = np.where(first, sub_bucket - half_count, sub_bucket)
    bucket = np.where(first, 0, bucket)
    shift = bucket + histogram.unit_magnitude
    lowest = sub_bucket << shift
    return lowest + ((np.int64(1) << shift) >> 1)
