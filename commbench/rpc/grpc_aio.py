"""gRPC with grpcio's asyncio server; the client is the same blocking channel as grpc_sync."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import grpc

from commbench.rpc import proto_call
from commbench.rpc.gen import rpc_pb2_grpc
from commbench.rpc.grpc_sync import CHANNEL_OPTIONS, add_port, connect

ENCODING = "protobuf"
__all__ = ["ENCODING", "connect", "serve"]


class AioServicer(rpc_pb2_grpc.BenchServicer):
    def __init__(self, options: dict[str, Any]) -> None:
        self.logic = proto_call.EchoLogic(options)

    async def Echo(self, request: Any, context: Any) -> Any:
        return self.logic.echo(request)

    async def Read(self, request: Any, context: Any) -> Any:
        return self.logic.read(request)


async def _serve(listen: str, options: dict[str, Any], ready: Callable[[dict], None]) -> None:
    server = grpc.aio.server(options=CHANNEL_OPTIONS)
    rpc_pb2_grpc.add_BenchServicer_to_server(AioServicer(options), server)
    port = add_port(server, listen, options)
    await server.start()
    ready({"listen": [listen.rpartition(":")[0], port]})
    try:
        await server.wait_for_termination()
    finally:
        await server.stop(0)


def serve(listen: str, options: dict[str, Any], ready: Callable[[dict[str, Any]], None]) -> None:
    asyncio.run(_serve(listen, options, ready))
