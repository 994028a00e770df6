"""The codec work of one echo: every codec carries every corpus document, and is timed."""

from __future__ import annotations

import pytest

from commbench.corpus import GENERATORS
from commbench.corpus.sweep import sweep_payload
from commbench.rpc import FRAMEWORKS
from commbench.rpc.marshal import CODECS, codec_ns


def test_every_framework_names_a_known_codec() -> None:
    for framework in FRAMEWORKS.values():
        if framework.module != "missing":
            assert framework.codec in CODECS, framework.name


@pytest.mark.parametrize("codec", sorted(CODECS))
def test_codec_work_runs_on_the_corpus_and_grows_with_size(codec: str) -> None:
    small = codec_ns(codec, GENERATORS["rpc"](0), max_seconds=0.05)
    big = codec_ns(codec, sweep_payload(100_000), max_seconds=0.05)
    assert small["codec_reps"] >= 3 and small["encoded_reply_bytes"] > 50
    assert big["encoded_reply_bytes"] > 100 * small["encoded_reply_bytes"] / 3
    assert big["codec_ns"] > small["codec_ns"] > 0


def test_a_slow_first_run_is_the_only_measurement() -> None:
    result = codec_ns("msgpack", sweep_payload(100_000), max_seconds=0.0)
    assert result["codec_reps"] == 1 and result["codec_ns"] > 0
