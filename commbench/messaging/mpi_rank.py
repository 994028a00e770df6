"""The MPI rank program of the rank-kill row; started by mpiexec, never imported.

    mpiexec -n N python -m commbench.messaging.mpi_rank CONFIG_JSON

Rank 0 streams numbered messages to ranks 1..N-1 in turn, at a fixed rate, with a credit
window: it waits for a consumer's acknowledgement (one per ``ack_every`` messages)
before it gets more than ``window`` messages ahead of it. So a dead consumer stalls the
producer, and through it every other consumer: what the survivors then see is the row.

Each rank writes its events, one JSON line and one ``write(2)`` each, to
``DIR/rank-R.jsonl`` (``ready`` with its PID, ``p`` progress, ``error`` with the MPI
error's text, ``signal`` when the launcher signals it, ``done``, ``gave-up`` when its own
lifetime ran out). Times are ``time.monotonic_ns()``, the harness's clock. Every wait is
a polling loop on ``Test`` bounded by the rank's lifetime, so Python handles signals.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from typing import Any

TAG_DATA = 1
TAG_ACK = 2


class Record:
    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def __call__(self, event: str, **fields: Any) -> None:
        line = json.dumps({"e": event, "t": time.monotonic_ns(), **fields})
        os.write(self.fd, (line + "\n").encode())


class GaveUp(Exception):
    """The rank's own lifetime ran out while it waited."""


def _wait(request: Any, deadline: float) -> None:
    while not request.Test():
        if time.monotonic() > deadline:
            raise GaveUp
        time.sleep(0.0002)


def producer(comm: Any, config: dict[str, Any], record: Record, deadline: float) -> int:
    import numpy as np

    consumers = comm.Get_size() - 1
    count, rate, window = config["count"], config["rate_per_s"], config["window"]
    ack_every = config["ack_every"]
    acked = [0] * consumers  # messages acknowledged per consumer
    sent = [0] * consumers
    ack_buf = [np.zeros(1, dtype=np.int64) for _ in range(consumers)]
    ack_req = [comm.Irecv(ack_buf[i], source=i + 1, tag=TAG_ACK) for i in range(consumers)]
    start = time.monotonic()
    message = np.zeros(config["size_bytes"] // 8 + 2, dtype=np.int64)
    for seq in range(count):
        due = start + seq / rate
        while time.monotonic() < due:
            time.sleep(0.0002)
        i = seq % consumers
        while sent[i] - acked[i] >= window:  # out of credit: wait for this consumer
            _wait(ack_req[i], deadline)
            acked[i] = int(ack_buf[i][0])
            ack_req[i] = comm.Irecv(ack_buf[i], source=i + 1, tag=TAG_ACK)
        for j in range(consumers):  # take acknowledgements that are in
            if ack_req[j].Test():
                acked[j] = int(ack_buf[j][0])
                ack_req[j] = comm.Irecv(ack_buf[j], source=j + 1, tag=TAG_ACK)
        message[0], message[1] = seq, time.monotonic_ns()
        _wait(comm.Isend(message, dest=i + 1, tag=TAG_DATA), deadline)
        sent[i] += 1
        if (seq + 1) % ack_every == 0:
            record("p", n=seq + 1)
    for i in range(consumers):  # the end: a negative number to each consumer
        message[0] = -1
        _wait(comm.Isend(message, dest=i + 1, tag=TAG_DATA), deadline)
    for request in ack_req:
        request.Cancel()
    return count


def consumer(comm: Any, config: dict[str, Any], record: Record, deadline: float) -> int:
    import numpy as np

    message = np.zeros(config["size_bytes"] // 8 + 2, dtype=np.int64)
    received = 0
    ack = np.zeros(1, dtype=np.int64)
    while True:
        _wait(comm.Irecv(message, source=0, tag=TAG_DATA), deadline)
        if message[0] < 0:
            return received
        received += 1
        if received % config["ack_every"] == 0:
            ack[0] = received
            _wait(comm.Isend(ack, dest=0, tag=TAG_ACK), deadline)
            record("p", n=received)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    config = json.loads(argv[0])
    deadline = time.monotonic() + config["lifetime_s"]
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    comm.Set_errhandler(MPI.ERRORS_RETURN)  # an MPI error is an exception, not an abort
    rank = comm.Get_rank()
    record = Record(os.path.join(config["dir"], f"rank-{rank}.jsonl"))

    def signalled(signum: int, _frame: Any) -> None:
        record("signal", sig=signum)
        os._exit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signalled)
    comm.Barrier()
    record("ready", rank=rank, pid=os.getpid(), size=comm.Get_size())
    try:
        n = (producer if rank == 0 else consumer)(comm, config, record, deadline)
    except MPI.Exception as exc:
        record("error", err=f"{MPI.Get_error_string(exc.Get_error_code())}"[:200])
        os._exit(3)  # no Finalize: it would wait for the dead rank
    except GaveUp:
        record("gave-up")
        os._exit(4)
    record("done", n=n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
