"""The echo side: ``python -m commbench.transports.peer SERVER [--listen ADDR] [--cpu N]``.

Started by the suite's fixtures on loopback, or by ``commbench peer`` on another
machine for LAN runs. Prints ``READY {json}`` once listening, then serves until
SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from commbench.transports.framing import DEFAULT_MAX_FRAME_BYTES
from commbench.transports.peerproc import die_with_parent

ServerFn = Callable[[argparse.Namespace, Callable[[dict[str, Any]], None]], None]

SERVERS: dict[str, str] = {
    "tcp": "commbench.transports.peer:serve_tcp",
    "uds": "commbench.transports.peer:serve_uds",
    "udp": "commbench.transports.peer:serve_udp",
    "lan": "commbench.transports.peer:serve_lan",
    "zmq": "commbench.transports.zmq_peer:serve_zmq",
    "zmq-sub": "commbench.transports.zmq_peer:serve_sub",
    "shm": "commbench.transports.shm:serve_shm",
}
"""Server name -> "module:function"; a transport adds its server here."""


def serve_tcp(args: argparse.Namespace, ready: Callable[[dict[str, Any]], None]) -> None:
    from commbench.transports import sockets

    listener = sockets.tcp_listener(args.listen)
    host, port = listener.getsockname()[:2]
    ready({"tcp": [host, port]})
    sockets.serve_stream(listener, args.max_frame_bytes, args.idle_timeout)


def serve_uds(args: argparse.Namespace, ready: Callable[[dict[str, Any]], None]) -> None:
    from commbench.transports import sockets

    listener, path = sockets.uds_listener()
    try:
        ready({"uds": path})
        sockets.serve_stream(listener, args.max_frame_bytes, args.idle_timeout)
    finally:
        os.unlink(path)
        os.rmdir(os.path.dirname(path))  # the private temporary folder it was made in


def serve_udp(args: argparse.Namespace, ready: Callable[[dict[str, Any]], None]) -> None:
    from commbench.transports import sockets

    sock = sockets.udp_socket(args.listen)
    host, port = sock.getsockname()[:2]
    ready({"udp": [host, port]})
    sockets.serve_udp(sock)


def serve_lan(args: argparse.Namespace, ready: Callable[[dict[str, Any]], None]) -> None:
    """TCP and UDP on the given port, ZeroMQ REP and PULL on PORT+1 and PORT+2, the RPC
    control channel and servers above (:mod:`commbench.rpc.lan`): the LAN peer."""
    from commbench.transports import sockets

    listener = sockets.tcp_listener(args.listen)
    host, port = listener.getsockname()[:2]
    udp = sockets.udp_socket(f"{args.listen.rpartition(':')[0]}:{port}")
    threading.Thread(target=sockets.serve_udp, args=(udp,), daemon=True).start()
    try:
        from commbench.transports import zmq_peer
    except ImportError:  # no pyzmq: the LAN peer serves raw sockets only
        zmq_endpoints = {}
    else:
        zmq_endpoints = zmq_peer.start_lan(host, port)
    rpc, rpc_info = _start_rpc(host, port)
    brokers = {}
    try:  # the messaging family's brokers, started on request (commbench.messaging.remote)
        from commbench.messaging.remote import BROKER_PORT_OFFSET, start_control

        start_control(host, port + BROKER_PORT_OFFSET)
        brokers = {"brokers": [host, port + BROKER_PORT_OFFSET]}
    except (ImportError, OSError):  # that port taken: the peer serves the rest
        pass
    try:
        ready({"tcp": [host, port], "udp": [host, port], **zmq_endpoints, **rpc_info, **brokers})
        sockets.serve_stream(listener, args.max_frame_bytes, args.idle_timeout)
    finally:
        if rpc is not None:
            rpc.close()


def _start_rpc(host: str, port: int) -> tuple[Any, dict[str, Any]]:
    """The RPC servers and their control channel (commbench.rpc.lan), or why there are none."""
    try:
        from commbench.rpc.lan import CONTROL_OFFSET, RpcHost

        return RpcHost(host, port), {"rpc_control": [host, port + CONTROL_OFFSET]}
    except (ImportError, OSError) as exc:
        print(f"commbench peer: no RPC servers: {exc}", file=sys.stderr)
        return None, {"rpc_error": str(exc)}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m commbench.transports.peer")
    parser.add_argument("server", choices=sorted(SERVERS))
    parser.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (port 0: any free)")
    parser.add_argument("--cpu", type=int, default=None, help="pin the peer to this CPU")
    parser.add_argument("--max-frame-bytes", type=int, default=DEFAULT_MAX_FRAME_BYTES)
    parser.add_argument("--idle-timeout", type=float, default=300.0, help="seconds")
    parser.add_argument("--orphan-ok", action="store_true", help="keep running if the parent dies")
    parser.add_argument("--options", default="{}", help="JSON options for the server")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.options = json.loads(args.options)
    if not args.orphan_ok:
        die_with_parent()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    module_name, _, function = SERVERS[args.server].partition(":")
    serve: ServerFn = getattr(importlib.import_module(module_name), function)

    def ready(address: dict[str, Any]) -> None:
        info = {"server": args.server, "pid": os.getpid(), "cpu": args.cpu, **address}
        print("READY " + json.dumps(info), flush=True)

    try:
        serve(args, ready)
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        print(
            f"commbench peer: error: {args.server} on {args.listen}: {exc.strerror}",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
