"""References for the rpc family, run side by side with the suite's own calls.

- A minimal hand-written grpcio client and server (a generic handler and a bare
  ``channel.unary_unary``, about twenty lines a side, the same messages): if the
  suite's gRPC call is within 10% of it, the adapter, server process and timing
  add nothing measurable to what gRPC itself costs.
- The raw TCP call against its parts: a TCP round trip of the request's size (the
  transports family's link, in the same run) plus the codec work of one echo
  (:mod:`commbench.rpc.marshal`); within 20% means the call is its parts.

:func:`verdict` is the PASS/MISS rule the report shows.
"""

from __future__ import annotations

import json
import subprocess
import sys

GRPC_SERVER = """
import os, sys, threading
from concurrent import futures
import grpc
from commbench.rpc.gen import rpc_pb2
os.sched_setaffinity(0, {int(sys.argv[1])})
handler = grpc.unary_unary_rpc_method_handler(
    lambda request, context: request,
    request_deserializer=rpc_pb2.Call.FromString,
    response_serializer=rpc_pb2.Call.SerializeToString,
)
server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
server.add_generic_rpc_handlers(
    [grpc.method_handlers_generic_handler("commbench.rpc.Bench", {"Echo": handler})]
)
port = server.add_insecure_port("127.0.0.1:0")
server.start()
print(port, flush=True)
sys.stdin.read()  # until the parent closes our stdin (or dies)
server.stop(0)
"""

GRPC_CLIENT = """
import json, os, sys, time
import grpc
from commbench.rpc.gen import rpc_pb2
from commbench.rpc.proto_call import call_message
from commbench.corpus import GENERATORS
os.sched_setaffinity(0, {int(sys.argv[1])})
port, count = int(sys.argv[2]), int(sys.argv[3])
request, _ = call_message(GENERATORS[sys.argv[4]](0))
channel = grpc.insecure_channel(f"127.0.0.1:{port}")
echo = channel.unary_unary(
    "/commbench.rpc.Bench/Echo",
    request_serializer=rpc_pb2.Call.SerializeToString,
    response_deserializer=rpc_pb2.Call.FromString,
)
times = []
for i in range(-100, count):
    start = time.perf_counter_ns()
    reply = echo(request, timeout=30)
    if i >= 0:
        times.append(time.perf_counter_ns() - start)
assert reply == request
times.sort()
print(json.dumps({"p50_ns": times[len(times) // 2], "calls": len(times)}))
"""


def handwritten_grpc_p50_ns(
    payload_name: str, count: int, *, client_cpu: int, server_cpu: int, timeout_s: float = 120.0
) -> float:
    """Median call time (ns) of the minimal grpcio client against the minimal server."""
    server = subprocess.Popen(
        [sys.executable, "-c", GRPC_SERVER, str(server_cpu)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = server.stdout.readline().strip()
        if not port.isdigit():
            raise RuntimeError("the minimal grpcio server did not start")
        done = subprocess.run(
            [sys.executable, "-c", GRPC_CLIENT, str(client_cpu), port, str(count), payload_name],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=True,
        )
        return float(json.loads(done.stdout)["p50_ns"])
    finally:
        server.stdin.close()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server.stdout.close()


def verdict(ratio: float, tolerance: float) -> str:
    """PASS when *ratio* (suite / reference) is within *tolerance* of 1, else MISS.

    >>> verdict(1.08, 0.10), verdict(0.85, 0.10), verdict(1.19, 0.20)
    ('PASS', 'MISS', 'PASS')
    """
    return "PASS" if abs(ratio - 1.0) <= tolerance else "MISS"
