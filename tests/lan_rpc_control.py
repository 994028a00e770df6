"""Run inside machine A's namespace by tests/test_lan.py: the peer's RPC control channel
pauses, resumes, kills and restarts its raw TCP server, and calls across the link see it.

``python tests/lan_rpc_control.py HOST:PORT``; prints the outcomes, exits 1 on a wrong one.
"""

import sys

from commbench.corpus import GENERATORS
from commbench.rpc import RpcFailed, load
from commbench.rpc.lan import Control, remote_servers

peer = sys.argv[1]
servers = remote_servers(peer)
assert all(s["state"] == "up" for s in servers.values()), servers
_, adapter = load("tcp")
payload = GENERATORS["rpc"](0)


def call(i: int, timeout_s: float = 1.0) -> str:
    try:
        c = adapter.connect(servers["tcp"]["address"], {"timeout_s": timeout_s})
    except OSError as exc:
        return type(exc).__name__
    try:
        bound = c.bind(payload)
        bound.check(bound.call(i), i)
        return "ok"
    except (RpcFailed, OSError) as exc:
        return type(exc).__name__
    finally:
        c.close()


out = {"before": call(1)}
with Control(peer) as ctl:
    assert ctl.ask("pause", "tcp")["ok"]
    out["paused"] = call(2, 0.5)
    assert ctl.ask("resume", "tcp")["ok"]
    out["resumed"] = call(3)
    assert ctl.ask("kill", "tcp")["ok"]
    out["killed"] = call(4)
    restarted = ctl.ask("restart", "tcp")
    assert restarted["ok"], restarted
    out["restarted"] = call(5)
    out["unknown"] = ctl.ask("kill", "nope")
    out["bad_op"] = ctl.ask("explode", "tcp")
print(out)
assert out["before"] == out["resumed"] == out["restarted"] == "ok"
assert out["paused"] != "ok" and out["killed"] != "ok"
assert not out["unknown"]["ok"] and not out["bad_op"]["ok"]
print("CONTROL OK")
