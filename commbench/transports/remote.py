"""LAN mode: checking that a `commbench peer` answers, and asking for its fingerprint."""

from __future__ import annotations

import json
import socket
from typing import Any

from commbench.errors import UserError
from commbench.transports.framing import recv_frame
from commbench.transports.sockets import parse_host_port

CONNECT_TIMEOUT_S = 5.0


def peer_fingerprint(peer: str, timeout_s: float = CONNECT_TIMEOUT_S) -> dict[str, Any]:
    """The machine fingerprint of the peer at HOST:PORT; UserError if it does not answer."""
    try:
        host, port = parse_host_port(peer, port_required=True)
    except ValueError as exc:
        raise UserError(f"--peer {peer}: {exc}") from None
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as sock:
            sock.sendall(b"F")
            return json.loads(bytes(recv_frame(sock, max_frame_bytes=1 << 20)))
    except TimeoutError:
        raise UserError(f"peer {peer} unreachable: no answer within {timeout_s:.0f} s") from None
    except OSError as exc:
        raise UserError(f"peer {peer} unreachable: {exc.strerror or exc}") from None
    except (ValueError, Exception) as exc:
        raise UserError(f"peer {peer} answered, but not as a commbench peer ({exc})") from None
