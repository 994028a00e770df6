"""A producer or consumer process: ``python -m commbench.messaging.worker ROLE CONFIG_JSON``.

The harness starts one producer and one consumer (again after a consumer kill) as
separate processes, pinned to their CPUs, dying with the harness. Each prints one line
``READY`` once connected (the consumer: once subscribed), then works until done
(producer) or until SIGTERM (consumer).

Every event is written as it happens, one JSON line per event and one ``write(2)`` per
line, to the record file the harness named (O_APPEND): the sequence number *before* each
publish (``s``), the call's return (``r``), an acknowledgement as it arrives (``a``), a
publish error (``x``), a delivery (``d``, with the send time carried in the message).
A process killed by SIGKILL loses nothing it recorded: the kernel holds what was
written. The harness reads these files; they are the per-message ledger.

Times are ``time.monotonic_ns()`` (CLOCK_MONOTONIC, one clock for every process on
the host), so delivery time minus send time is the end-to-end latency.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import signal
import struct
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from commbench.transports.peerproc import die_with_parent

HEADER = struct.Struct("<qq")  # sequence number, send time (monotonic ns)
now_ns = time.monotonic_ns


class Recorder:
    """Writes one JSON line per event with one write(2): nothing buffered in the process."""

    def __init__(self, path: str, incarnation: int = 0) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.incarnation = incarnation

    def _write(self, line: str) -> None:
        os.write(self.fd, line.encode())

    def sent(self, seq: int, t_ns: int) -> None:
        self._write(f'{{"e":"s","q":{seq},"t":{t_ns}}}\n')

    def returned(self, seq: int) -> None:
        self._write(f'{{"e":"r","q":{seq},"t":{now_ns()}}}\n')

    def acked(self, seq: int) -> None:
        self._write(f'{{"e":"a","q":{seq},"t":{now_ns()}}}\n')

    def failed(self, seq: int, error: BaseException | str) -> None:
        reason = json.dumps(str(error)[:120] or type(error).__name__)
        self._write(f'{{"e":"x","q":{seq},"t":{now_ns()},"err":{reason}}}\n')

    def delivered(self, payload: bytes) -> None:
        """Record a delivery from the message's own header (sequence number, send time)."""
        t = now_ns()
        seq, sent_ns = HEADER.unpack_from(payload)
        self._write(f'{{"e":"d","q":{seq},"t":{t},"ts":{sent_ns},"c":{self.incarnation}}}\n')

    def close(self) -> None:
        os.close(self.fd)


def message(seq: int, size_bytes: int) -> tuple[bytes, int]:
    """The message for *seq*: header (number, send time) then padding to *size_bytes*."""
    t = now_ns()
    return HEADER.pack(seq, t) + b"\x00" * max(0, size_bytes - HEADER.size), t


def schedule(count: int, rate_per_s: float, max_seconds: float) -> Iterator[int]:
    """Sequence numbers at a fixed rate (open loop; 0 = as fast as possible), time-bounded."""
    start = time.monotonic()
    for seq in range(count):
        if rate_per_s > 0:
            due = start + seq / rate_per_s
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        if time.monotonic() - start > max_seconds:
            return
        yield seq


async def aschedule(count: int, rate_per_s: float, max_seconds: float) -> AsyncIterator[int]:
    """:func:`schedule` for asyncio clients (the loop runs while it waits)."""
    start = time.monotonic()
    for seq in range(count):
        if rate_per_s > 0:
            due = start + seq / rate_per_s
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif seq % 64 == 0:
                await asyncio.sleep(0)  # let acknowledgements in when behind
        elif seq % 64 == 0:
            await asyncio.sleep(0)
        if time.monotonic() - start > max_seconds:
            return
        yield seq


def say_ready() -> None:
    print("READY", flush=True)


class Stopping:
    """Set by SIGTERM: a consumer's loop checks it and ends cleanly."""

    def __init__(self) -> None:
        self.flag = False
        signal.signal(signal.SIGTERM, self._set)

    def _set(self, *_: object) -> None:
        self.flag = True

    def __bool__(self) -> bool:
        return self.flag


Role = Callable[[dict[str, Any], Recorder], None]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    role, config = argv[0], json.loads(argv[1])
    die_with_parent()
    if config.get("cpu") is not None:
        os.sched_setaffinity(0, {config["cpu"]})
    module = importlib.import_module(config["client"])
    recorder = Recorder(config["record"], config.get("incarnation", 0))
    try:
        getattr(module, role)(config, recorder)
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # one line for the harness's log, never a traceback
        print(f"commbench messaging {role}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        recorder.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
