"""Marshalling: encode, decode and decode+touch for every codec x payload.

Timing is pytest-benchmark's; what is timed comes from commbench.marshalling.
Each benchmark checks its own answer after timing.
"""

from __future__ import annotations

import pytest

from commbench.codecs import CODECS
from commbench.codecs.walk import first_difference
from commbench.marshalling import OPS, Prepared, timed_call
from commbench.results import label


# codecs vary fastest: the codecs compared on one payload and op are measured
# seconds apart, so a slow phase of a shared machine hits them alike
@pytest.mark.parametrize("codec_name", list(CODECS))
@pytest.mark.parametrize("op", OPS)
def test_marshalling(benchmark, prepared: Prepared, op: str) -> None:
    codec, payload = prepared.codec, prepared.payload
    fn, args = timed_call(prepared, op)
    benchmark.group = f"marshalling {payload.name} {op}"
    label(
        benchmark,
        family="marshalling",
        subject=codec.name,
        params={
            "payload": payload.name,
            "payload_source": payload.source,
            "op": op,
            "wire_format": codec.wire_format,
            "library_version": codec.version,
            **payload.params,
        },
        metrics=dict(prepared.metrics),
    )
    result = benchmark(fn, *args)

    bound = prepared.bound
    if op == "encode":
        back = bound.to_plain(bound.decode(result))
    elif op == "decode":
        back = bound.to_plain(result)
    else:
        assert result == prepared.touched, "decode+touch visited a different number of values"
        return
    assert first_difference(payload.value, back) is None
