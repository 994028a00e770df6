"""Connect RPC (connect-python): an ASGI server under uvicorn, the sync client over pyqwest.

The same generated stubs carry protobuf (``application/proto``) or JSON
(``application/json``, protobuf's JSON mapping) depending on ``options["json"]``:
the lecture's "JSON for RPC is very inefficient", measured on one stack.
Compression is off both ways, as for every other framework. With ``options["tls"]``
(cert, key, ca paths) uvicorn serves HTTPS and the client trusts only that CA.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from commbench.corpus import Payload
from commbench.rpc import Bound, proto_call
from commbench.rpc.gen import rpc_connect
from commbench.rpc.http_server import base_url, run_asgi

ENCODING = "protobuf or json"


class Service:
    def __init__(self, options: dict[str, Any]) -> None:
        self.logic = proto_call.EchoLogic(options)

    async def echo(self, request: Any, ctx: Any) -> Any:
        return self.logic.echo(request)

    async def read(self, request: Any, ctx: Any) -> Any:
        return self.logic.read(request)


def serve(listen: str, options: dict[str, Any], ready: Callable[[dict[str, Any]], None]) -> None:
    app = rpc_connect.BenchASGIApplication(
        Service(options), read_max_bytes=proto_call.MAX_MESSAGE_BYTES
    )
    run_asgi(app, listen, options, ready)


def _transport(tls: dict[str, str] | None) -> Any:
    """pyqwest's shared default transport, or with TLS one that trusts only the run's CA
    (no system certificates; HTTP/1.1 as without TLS, uvicorn's h11 offers nothing else)."""
    import pyqwest

    if not tls:
        return None
    with open(tls["ca"], "rb") as f:
        ca = f.read()
    return pyqwest.SyncHTTPTransport(tls_ca_cert=ca, http_version=pyqwest.HTTPVersion.HTTP1)


def _gzip() -> Any:
    from connectrpc.compression.gzip import GzipCompression

    return GzipCompression()


class Client:
    def __init__(self, address: dict[str, Any], options: dict[str, Any]) -> None:
        import connectrpc
        import pyqwest

        # no compression unless asked: Connect's gzip would otherwise hide the codec's size
        gzip = _gzip() if options.get("compression") == "gzip" else None
        self.stub = rpc_connect.BenchClientSync(
            base_url(address),
            proto_json=bool(options.get("json")),
            send_compression=gzip,
            accept_compression=(gzip,) if gzip else (),
            read_max_bytes=proto_call.MAX_MESSAGE_BYTES,
            timeout_ms=int(options.get("timeout_s", 30.0) * 1000),
            http_client=pyqwest.SyncClient(_transport(options.get("tls"))),
        )
        self.info = {
            "connect_python_version": getattr(connectrpc, "__version__", "?"),
            "codec": "json" if options.get("json") else "proto",
            "tls": bool(options.get("tls")),
            "compression": "gzip" if gzip else "none",
        }

    def bind(self, payload: Payload) -> Bound:
        return proto_call.bind(payload, self.stub.echo)

    def close(self) -> None:
        self.stub.close()


def connect(address: dict[str, Any], options: dict[str, Any]) -> Client:
    return Client(address, options)
