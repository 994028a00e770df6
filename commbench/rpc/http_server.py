"""Serving an ASGI application with uvicorn on a socket bound here (the OS picks the port)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any


def run_asgi(
    app: Any, listen: str, options: dict[str, Any], ready: Callable[[dict[str, Any]], None]
) -> None:
    """Bind *listen*, report ready, serve *app* over HTTP/1.1 (h11) until SIGTERM."""
    import uvicorn

    host, _, port = listen.rpartition(":")
    # proto=IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted sockets only when the
    # listener says TCP; without it each response (headers, then body) waits ~40 ms for
    # the client's delayed ACK (Nagle)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, int(port)))
    sock.listen(1024)
    tls = options.get("tls") or {}
    config = uvicorn.Config(
        app,
        http="h11",
        loop="asyncio",
        lifespan="off",
        log_level="warning",
        access_log=False,
        timeout_keep_alive=300,
        h11_max_incomplete_event_size=None,
        ssl_keyfile=tls.get("key"),
        ssl_certfile=tls.get("cert"),
    )
    server = uvicorn.Server(config)
    scheme = "https" if tls else "http"
    ready({"listen": [host, sock.getsockname()[1]], "scheme": scheme,
           "uvicorn_version": uvicorn.__version__})  # fmt: skip
    server.run(sockets=[sock])


def base_url(address: dict[str, Any]) -> str:
    host, port = address["listen"]
    return f"{address.get('scheme', 'http')}://{host}:{port}"  # the certificate names the IP
