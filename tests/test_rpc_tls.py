"""TLS on: certificates made at run time, calls go through, an untrusted CA is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from commbench.corpus import GENERATORS
from commbench.rpc.pool import open_pair
from commbench.rpc.tls import make_tls


@pytest.mark.parametrize("framework", ["grpc", "jsonrpc"])
def test_calls_over_tls_and_refused_with_a_foreign_ca(framework: str, tmp_path: Path) -> None:
    (tmp_path / "ours").mkdir()
    (tmp_path / "theirs").mkdir()
    tls = make_tls(tmp_path / "ours")
    other = make_tls(tmp_path / "theirs")  # a CA the server's certificate is not from
    pair = open_pair(framework, None, {"tls": tls})
    try:
        assert pair.info["tls"] is True
        payload = GENERATORS["rpc"](0)
        bound = pair.client.bind(payload)
        bound.check(bound.call(1), 1)
        assert bound.document(bound.call(2)) == payload.value
        adapter, address = pair.adapter, pair.server.address
        with pytest.raises(Exception):  # noqa: B017 (each stack has its own TLS error)
            stranger = adapter.connect(address, {"tls": {**tls, "ca": other["ca"]},
                                                 "timeout_s": 2.0})  # fmt: skip
            try:
                stranger.bind(payload).call(3)
            finally:
                stranger.close()
    finally:
        pair.client.close()
        pair.server.stop()
