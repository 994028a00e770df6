"""Cap'n Proto RPC with pycapnp: payloads/rpc.capnp loaded at run time, a two-party
RPC server on pycapnp's asyncio event loop (one ``TwoPartyServer`` per connection).

pycapnp's RPC runs only inside an asyncio loop with the KJ loop bridged to it
(``capnp.kj_loop``), and KJ objects must be used (and destroyed) on the thread that
made them. So a client owns one event-loop thread: a call from the benchmark's
thread is handed to it (``run_coroutine_threadsafe``) and waited for. That hand-off
is part of what a synchronous caller of pycapnp pays, and is recorded in the row
(``client_kind``). Cap'n Proto carries the RPC record, the size sweep and the blob;
other payloads are unsupported.

Touching the request: the server turns the reader into Python values (``to_dict``)
and visits every value, as the other servers do with their decoded documents.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import capnp

from commbench.codecs.walk import first_difference
from commbench.corpus import Payload
from commbench.rpc import Bound, RpcFailed, Unsupported, WrongAnswer
from commbench.rpc.service import IdLog, Segments, checksum, touch_document

ENCODING = "capnp"
RECONNECT_AFTER_ERROR = True  # a broken connection stays broken: the fault cases reconnect
SCHEMA = Path(__file__).resolve().parents[2] / "payloads" / "rpc.capnp"
rpc_capnp = capnp.load(str(SCHEMA))
BODIES = {"Rpc": "rpc", "Sweep": "sweep", "Blob": "blob"}
RENAMES = {"content_type": "contentType"}  # corpus key -> Cap'n Proto field
BACK = {v: k for k, v in RENAMES.items()}


def version() -> str:
    return getattr(capnp, "__version__", "unknown")


def to_fields(doc: Any) -> Any:
    """A corpus document as Cap'n Proto field values (keys renamed where needed)."""
    if isinstance(doc, dict):
        return {RENAMES.get(k, k): to_fields(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [to_fields(v) for v in doc]
    return doc


def to_plain(fields: Any) -> Any:
    """Cap'n Proto values (``to_dict``) back to the corpus document."""
    if isinstance(fields, dict):
        return {BACK.get(k, k): to_plain(v) for k, v in fields.items()}
    if isinstance(fields, list):
        return [to_plain(v) for v in fields]
    return fields


class Bench(rpc_capnp.Bench.Server):
    def __init__(self, options: dict[str, Any]) -> None:
        self.ids = IdLog(options.get("ids_file"))
        self.segments = Segments()

    async def echo(self, call: Any, _context: Any, **kwargs: Any) -> None:
        touch_document(call.to_dict())
        self.ids.append(call.id)
        _context.results.call = call

    async def read(self, request: Any, _context: Any, **kwargs: Any) -> None:
        if request.object.which() == "handle":
            handle = request.object.handle
            view = self.segments.view(handle.shmName, handle.sizeBytes)
            n, total = checksum(view, request.fraction)
            view.release()
        else:
            n, total = checksum(request.object.data, request.fraction)
        self.ids.append(request.id)
        reply = _context.results.init("reply")
        reply.id, reply.bytesRead, reply.checksum = request.id, n, total


def serve(listen: str, options: dict[str, Any], ready: Callable[[dict[str, Any]], None]) -> None:
    host, _, port = listen.rpartition(":")

    async def connection(stream: Any) -> None:
        # SIGTERM: the loop shuts down and cancels this; nothing to report
        with contextlib.suppress(asyncio.CancelledError):
            await capnp.TwoPartyServer(stream, bootstrap=Bench(options)).on_disconnect()

    async def main() -> None:
        server = await capnp.AsyncIoStream.create_server(connection, host, int(port))
        ready({"listen": [host, server.sockets[0].getsockname()[1]], "pycapnp_version": version()})
        async with server:
            await server.serve_forever()

    asyncio.run(capnp.run(main()))


class Client:
    """One connection, driven by its own event-loop thread (see the module's note)."""

    def __init__(self, address: dict[str, Any], options: dict[str, Any]) -> None:
        self.host, self.port = address["listen"]
        self.timeout_s = float(options.get("timeout_s", 30.0))
        self.loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._connected: concurrent.futures.Future = concurrent.futures.Future()
        self.thread = threading.Thread(target=self._run, name="capnp-client", daemon=True)
        self.thread.start()
        try:
            self.cap = self._connected.result(self.timeout_s)
        except Exception as exc:
            self.close()
            raise RpcFailed(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        self.info = {
            "pycapnp_version": version(),
            "client_kind": "calls handed to the client's asyncio+KJ loop thread",
        }

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(capnp.run(self._main()))
        except BaseException as exc:  # reported through the future
            if not self._connected.done():
                self._connected.set_exception(exc)
        finally:
            self.loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        try:
            stream = await capnp.AsyncIoStream.create_connection(host=self.host, port=self.port)
            client = capnp.TwoPartyClient(stream)
            cap = client.bootstrap().cast_as(rpc_capnp.Bench)
        except BaseException as exc:
            self._connected.set_exception(exc)
            return
        self._connected.set_result(cap)
        await self._stop.wait()
        del cap, client, stream  # destroyed here, on the loop's own thread

    def submit(self, coroutine: Any) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(self.timeout_s)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise RpcFailed(f"no reply within {self.timeout_s} s") from None
        except capnp.KjException as exc:
            raise RpcFailed(f"{exc.type}: {exc.description}") from exc

    def bind(self, payload: Payload) -> Bound:
        field = BODIES.get(payload.message or "")
        if field is None:
            raise Unsupported(f"no Cap'n Proto struct for payload {payload.name} in "
                              "payloads/rpc.capnp")  # fmt: skip
        doc = payload.value
        request = rpc_capnp.Call.new_message(id=0, body={field: to_fields(doc)})
        echo = self.cap.echo

        async def one() -> Any:
            reply = await echo(request)
            return reply.call.to_dict()

        def call(request_id: int) -> Any:
            request.id = request_id
            return self.submit(one())

        def check(reply: Any, request_id: int) -> None:
            if reply.get("id") != request_id:
                raise WrongAnswer(f"reply to call {request_id} carries id {reply.get('id')}")
            got = to_plain(reply.get("body", {}).get(field))
            if got != doc or first_difference(doc, got) is not None:
                raise WrongAnswer(f"reply to call {request_id} is not the {field} sent")

        return Bound(call, check, lambda reply: to_plain(reply["body"][field]))

    def bind_read(self, obj: Any, fraction: float, expected: tuple[int, int]) -> Bound:
        if isinstance(obj, dict):
            handle = {"shmName": obj["shm"], "sizeBytes": obj["size"]}
            request = rpc_capnp.ReadRequest.new_message(object={"handle": handle})
        else:
            request = rpc_capnp.ReadRequest.new_message(object={"data": bytes(obj)})
        request.fraction = fraction
        read = self.cap.read

        async def one() -> Any:
            reply = (await read(request)).reply
            return (reply.id, reply.bytesRead, reply.checksum)

        def call(request_id: int) -> Any:
            request.id = request_id
            return self.submit(one())

        def check(reply: Any, request_id: int) -> None:
            if reply != (request_id, *expected):
                raise WrongAnswer(f"Read {request_id}: got {reply}, expected {expected}")

        return Bound(call, check, lambda reply: reply[1:])

    def close(self) -> None:
        if self.thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                self.loop.call_soon_threadsafe(self._stop.set)
            self.thread.join(5.0)


def connect(address: dict[str, Any], options: dict[str, Any]) -> Client:
    return Client(address, options)
