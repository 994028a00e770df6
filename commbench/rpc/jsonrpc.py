"""JSON-RPC 2.0 over HTTP/1.1: a plain ASGI application under uvicorn, an httpx client.

One POST per call on a kept-alive connection; the request is
``{"jsonrpc": "2.0", "id": N, "method": "Echo", "params": [document]}`` and the
reply ``{"jsonrpc": "2.0", "id": N, "result": document}``, both with orjson. Bytes
travel as base64 text and are restored by the client.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from typing import Any

import orjson

from commbench.codecs.walk import b64_default, first_difference, restore_binary
from commbench.corpus import Payload, binary_keys
from commbench.rpc import Bound, RpcFailed, WrongAnswer
from commbench.rpc.http_server import base_url, run_asgi
from commbench.rpc.service import IdLog, checksum, touch_document

ENCODING = "json"
_JSON_HEADERS = [(b"content-type", b"application/json")]


def _error(request_id: Any, code: int, message: str) -> bytes:
    error = {"code": code, "message": message}
    return orjson.dumps({"jsonrpc": "2.0", "id": request_id, "error": error})


def make_app(options: dict[str, Any]) -> Callable[..., Any]:
    ids = IdLog(options.get("ids_file"))

    def handle(body: bytes) -> bytes:
        try:
            request = orjson.loads(body)
        except orjson.JSONDecodeError:
            return _error(None, -32700, "parse error")
        request_id = request.get("id")
        method, params = request.get("method"), request.get("params")
        if method == "Echo" and isinstance(params, list) and len(params) == 1:
            touch_document(params[0])
            ids.append(request_id)
            return orjson.dumps({"jsonrpc": "2.0", "id": request_id, "result": params[0]})
        if method == "Read" and isinstance(params, list) and len(params) == 2:
            n, total = checksum(params[0].encode("latin-1"), params[1])
            ids.append(request_id)
            result = {"bytes_read": n, "checksum": total}
            return orjson.dumps({"jsonrpc": "2.0", "id": request_id, "result": result})
        return _error(request_id, -32601, f"no method {method!r} with these params")

    async def app(scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        reply = handle(b"".join(chunks))
        headers = [*_JSON_HEADERS, (b"content-length", b"%d" % len(reply))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": reply})

    return app


def serve(listen: str, options: dict[str, Any], ready: Callable[[dict[str, Any]], None]) -> None:
    run_asgi(make_app(options), listen, options, ready)


class Client:
    def __init__(self, address: dict[str, Any], options: dict[str, Any]) -> None:
        import httpx

        tls = options.get("tls")
        nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]  # headers and body: 2 sends
        self.http = httpx.Client(
            transport=httpx.HTTPTransport(
                verify=ssl.create_default_context(cafile=tls["ca"]) if tls else True,
                socket_options=nodelay,
                limits=httpx.Limits(max_keepalive_connections=64, keepalive_expiry=300),
            ),
            base_url=base_url(address),
            timeout=options.get("timeout_s", 30.0),
        )
        self.info = {"httpx_version": httpx.__version__, "tls": bool(tls)}

    def bind(self, payload: Payload) -> Bound:
        keys = binary_keys(payload)
        doc = payload.value
        post = self.http.post

        def call(request_id: int) -> Any:
            request = {"jsonrpc": "2.0", "method": "Echo", "params": [doc], "id": request_id}
            body = orjson.dumps(request, default=b64_default)
            response = post("/", content=body, headers={"content-type": "application/json"})
            if response.status_code != 200:
                raise RpcFailed(f"HTTP {response.status_code}")
            reply = orjson.loads(response.content)
            if "result" in reply:
                restore_binary(reply["result"], keys)
            return reply

        def check(reply: Any, request_id: int) -> None:
            if "error" in reply:
                raise WrongAnswer(f"call {request_id}: JSON-RPC error {reply['error']}")
            if reply.get("id") != request_id:
                raise WrongAnswer(f"reply to call {request_id} carries id {reply.get('id')}")
            if reply["result"] != doc:
                where = first_difference(doc, reply["result"])
                raise WrongAnswer(f"reply to call {request_id} differs at {where}")

        return Bound(call, check, lambda reply: reply["result"])

    def close(self) -> None:
        self.http.close()


def connect(address: dict[str, Any], options: dict[str, Any]) -> Client:
    return Client(address, options)
