"""The MPI rank program: rank 0 times, rank 1 echoes; started by mpiexec, never imported.

    mpiexec -n 2 python -m commbench.transports.mpi_pingpong --op latency \\
        --sizes 1,64 --counts 2000,2000 --mode buffer|pickle --out FILE.json

Both ranks read the same arguments, so each knows the sizes in order; the end of a
size is a message with the STOP tag (buffer mode) or ``None`` (pickle mode).
Rank 0 times every round trip with :func:`commbench.transports.latency.measure_rtt`,
checks that the last echo holds the bytes it sent, and writes one JSON file with
every size's round-trip times (ns), what it verified, and how MPI was configured.
``--op stream`` is osu_bw's method: a window of Isend, Waitall, a small ack.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from typing import Any

import numpy as np

RANK_REPORT_VERSION = 1
"""Version of the JSON rank 0 writes for mpi_links (checked there), not of result files."""
DATA, STOP, PAD, ACK = 1, 2, 3, 4
WARMUP_WINDOWS = 10  # stream: windows of the untimed run before the timed ones
CVARS = ("MPIR_CVAR_NOLOCAL",)  # string cvars (CH4_NETMOD) read back empty via MPI_T


def message_bytes(size_bytes: int) -> bytes:
    """The bytes sent: never all zero, so an echo that did nothing shows."""
    return (bytes(range(1, 256)) * (size_bytes // 255 + 1))[:size_bytes]


# --------------------------------------------------------------------------- latency


def latency_rank0(comm, mode: str, size: int, count: int, args) -> dict[str, Any]:
    from mpi4py import MPI

    from commbench.transports.latency import measure_rtt

    message = message_bytes(size)
    if mode == "buffer":
        sbuf = np.frombuffer(message, dtype=np.uint8).copy()
        rbuf = np.zeros(size, dtype=np.uint8)
        s_msg, r_msg = [sbuf, size, MPI.BYTE], [rbuf, size, MPI.BYTE]
        send, recv = comm.Send, comm.Recv

        def round_trip() -> int:
            send(s_msg, 1, DATA)
            recv(r_msg, 1, DATA)
            return size

        stop: Any = s_msg
    else:
        send, recv = comm.send, comm.recv
        replies = [b""]

        def round_trip() -> int:
            send(message, 1, DATA)
            replies[0] = reply = recv(source=1, tag=DATA)
            return len(reply)

        stop = None
    comm.Barrier()
    samples = measure_rtt(
        round_trip, size, count=count, warmup=args.warmup, max_seconds=args.max_seconds
    )
    (comm.Send if mode == "buffer" else comm.send)(stop, 1, STOP)
    echoed = rbuf.tobytes() if mode == "buffer" else replies[0]
    return {
        "size_bytes": size,
        "rtt_ns": samples.rtt_ns.tolist(),
        "lost": samples.lost,
        "timed_out": samples.timed_out,
        "echo_ok": echoed == message,
    }


def latency_rank1(comm, mode: str, size: int) -> None:
    from mpi4py import MPI

    comm.Barrier()
    if mode == "buffer":
        r_msg = [np.empty(size, dtype=np.uint8), size, MPI.BYTE]
        status = MPI.Status()
        send, recv = comm.Send, comm.Recv
        while True:
            recv(r_msg, 0, MPI.ANY_TAG, status)
            if status.Get_tag() == STOP:
                return
            send(r_msg, 0, DATA)
    send, recv = comm.send, comm.recv
    while (message := recv(source=0, tag=MPI.ANY_TAG)) is not None:
        send(message, 0, DATA)


# --------------------------------------------------------------------------- stream


def stream_rank0(comm, mode: str, size: int, count: int, args) -> dict[str, Any]:
    """One run: windows of *args.window* messages until *count* are sent or time is up."""
    from mpi4py import MPI

    window = args.window
    message = message_bytes(size)
    if mode == "buffer":
        payload: Any = [np.frombuffer(message, dtype=np.uint8).copy(), size, MPI.BYTE]
        empty: Any = [np.empty(0, dtype=np.uint8), 0, MPI.BYTE]
        isend, waitall = comm.Isend, MPI.Request.Waitall
    else:
        payload, empty = message, b""
        isend, waitall = comm.isend, MPI.Request.waitall
    ack = np.zeros(2, dtype=np.int64)
    comm.Barrier()
    clock = time.perf_counter_ns
    start = clock()
    deadline = start + int(args.max_seconds * 1e9)
    sent = 0
    while sent < count and clock() < deadline:
        k = min(window, count - sent)
        requests = [isend(payload, 1, DATA) for _ in range(k)]
        requests += [isend(empty, 1, PAD) for _ in range(window - k)]
        waitall(requests)
        comm.Recv(ack, 1, ACK)
        sent += k
    elapsed_ns = clock() - start
    waitall([isend(empty, 1, STOP) for _ in range(window)])
    comm.Recv(ack, 1, ACK)  # rank 1's totals
    return {
        "sent": sent,
        "received": int(ack[0]),
        "received_bytes": int(ack[1]),
        "elapsed_ns": elapsed_ns,
        "timed_out": sent < count,
    }


def stream_rank1(comm, mode: str, size: int, window: int) -> None:
    from mpi4py import MPI

    statuses = [MPI.Status() for _ in range(window)]
    totals = np.zeros(2, dtype=np.int64)  # messages, bytes
    rbuf = [np.empty(size, dtype=np.uint8), size, MPI.BYTE]
    comm.Barrier()
    while True:
        if mode == "buffer":
            MPI.Request.Waitall([comm.Irecv(rbuf, 0, MPI.ANY_TAG) for _ in range(window)], statuses)
            got = [(st.Get_tag(), st.Get_count(MPI.BYTE)) for st in statuses]
        else:
            got = []
            for st in statuses:
                message = comm.recv(source=0, tag=MPI.ANY_TAG, status=st)
                got.append((st.Get_tag(), len(message)))
        totals[0] += sum(1 for tag, _ in got if tag == DATA)
        totals[1] += sum(n for tag, n in got if tag == DATA)
        comm.Send(totals, 0, ACK)
        if got[0][0] == STOP:
            return


# --------------------------------------------------------------------------- evidence


def read_cvars(names: tuple[str, ...]) -> dict[str, Any]:
    """Read MPICH control variables back through MPI_T (mpi4py has no MPI_T API: ctypes)."""
    import ctypes

    try:
        with open("/proc/self/maps") as maps:
            path = next(line.split()[-1] for line in maps if "/libmpi" in line)
        lib = ctypes.CDLL(path)
        provided = ctypes.c_int()
        if lib.MPI_T_init_thread(0, ctypes.byref(provided)) != 0:
            return {"error": "MPI_T_init_thread failed"}
    except (StopIteration, OSError, AttributeError) as exc:
        return {"error": f"MPI_T unavailable: {exc}"}
    values: dict[str, Any] = {}
    for name in names:
        index, handle, count = ctypes.c_int(-1), ctypes.c_void_p(), ctypes.c_int()
        if lib.MPI_T_cvar_get_index(name.encode(), ctypes.byref(index)) != 0:
            values[name] = None  # not a cvar of this MPI
            continue
        lib.MPI_T_cvar_handle_alloc(index, None, ctypes.byref(handle), ctypes.byref(count))
        buf = ctypes.create_string_buffer(max(count.value, 1) * 8 + 8)
        lib.MPI_T_cvar_read(handle, buf)
        lib.MPI_T_cvar_handle_free(ctypes.byref(handle))
        raw = buf.raw
        values[name] = (
            raw.split(b"\0", 1)[0].decode()
            if count.value > 1
            else int.from_bytes(raw[:4], "little")
        )
    lib.MPI_T_finalize()
    return values


def channel_evidence() -> dict[str, int]:
    """Which channel rank 0 really uses: its established TCP sockets and /dev/shm segments."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    established = 0
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                established += fields[3] == "01" and fields[9] in inodes
    return {"tcp_established": established, "dev_shm_segments": len(shm_segments())}


def shm_segments() -> list[str]:
    """The MPICH shared-memory segments this process has mapped (paths under /dev/shm)."""
    with open("/proc/self/maps") as maps:
        return sorted({line.split()[-1] for line in maps if "/dev/shm/mpich_shm_" in line})


# --------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m commbench.transports.mpi_pingpong")
    parser.add_argument("--op", choices=("latency", "stream"), default="latency")
    parser.add_argument("--sizes", required=True, help="comma-separated, bytes")
    parser.add_argument("--counts", required=True, help="comma-separated, one per size")
    parser.add_argument("--mode", choices=("buffer", "pickle"), default="buffer")
    parser.add_argument("--out", required=True, help="JSON file written by rank 0")
    parser.add_argument("--max-seconds", type=float, default=10.0, help="per size and run")
    parser.add_argument("--warmup", type=int, default=100, help="untimed round trips")
    parser.add_argument("--window", type=int, default=64, help="stream: messages per window")
    parser.add_argument("--runs", type=int, default=1, help="stream: runs per size")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",")]
    counts = [int(x) for x in args.counts.split(",")]
    if len(sizes) != len(counts):
        print("mpi_pingpong: --sizes and --counts differ in length", file=sys.stderr)
        return 2
    import mpi4py
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    if comm.Get_size() != 2:
        print(f"mpi_pingpong: needs 2 ranks, got {comm.Get_size()}", file=sys.stderr)
        return 2
    try:
        ranks = comm.gather((os.getpid(), sorted(os.sched_getaffinity(0))), root=0)
        # MPICH unlinks its segments at MPI_Finalize only: name them, for a killed job
        with open(f"{args.out}.segments.{comm.Get_rank()}", "w") as listing:
            listing.write("\n".join(shm_segments()))
        if comm.Get_rank() == 1:
            for size in sizes:
                for _ in range(1 + args.runs if args.op == "stream" else 1):
                    if args.op == "stream":
                        stream_rank1(comm, args.mode, size, args.window)
                    else:
                        latency_rank1(comm, args.mode, size)
            return 0
        results = []
        for size, count in zip(sizes, counts):
            if args.op == "latency":
                results.append(latency_rank0(comm, args.mode, size, count, args))
            else:
                # an untimed warm-up run first (osu_bw skips its first windows too)
                stream_rank0(comm, args.mode, size, min(count, WARMUP_WINDOWS * args.window), args)
                runs = [stream_rank0(comm, args.mode, size, count, args) for _ in range(args.runs)]
                results.append({"size_bytes": size, "runs": runs})
        report = {
            "rank_report_version": RANK_REPORT_VERSION,
            "op": args.op,
            "mode": args.mode,
            "library_version": MPI.Get_library_version().splitlines()[0].strip(),
            "mpi4py_version": mpi4py.__version__,
            "rank_pids": [pid for pid, _ in ranks],
            "rank_cpus": [cpus for _, cpus in ranks],
            "cvars": read_cvars(CVARS),
            **channel_evidence(),
            "results": results,
        }
        with open(args.out, "w") as out:
            json.dump(report, out)
    except Exception:  # the other rank must not wait forever: abort the job
        traceback.print_exc()
        sys.stderr.flush()
        comm.Abort(3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
