"""An RPC server process: ``python -m commbench.rpc.server FRAMEWORK [--listen] [--cpu]``.

Prints ``READY {json}`` (the address, its port chosen by the OS when 0) once it
accepts calls, then serves until SIGTERM or SIGINT. It dies with its parent
(``PR_SET_PDEATHSIG``) unless ``--orphan-ok``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from typing import Any

from commbench.rpc import FRAMEWORKS, Unsupported, load
from commbench.transports.peerproc import die_with_parent


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m commbench.rpc.server")
    parser.add_argument("framework", choices=sorted(FRAMEWORKS))
    parser.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (port 0: any free)")
    parser.add_argument("--cpu", type=int, default=None, help="pin the server to this CPU")
    parser.add_argument("--orphan-ok", action="store_true", help="keep running if the parent dies")
    parser.add_argument("--options", default="{}", help="JSON options for the server")
    return parser


def _terminate(*_: object) -> None:
    """SIGTERM: exit once (a second SIGTERM, e.g. the parent-death signal while the
    interpreter shuts down, is ignored instead of printing a traceback)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.exit(0)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.orphan_ok:
        die_with_parent()
    signal.signal(signal.SIGTERM, _terminate)
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    try:
        framework, adapter = load(args.framework)
    except Unsupported as exc:
        print(f"commbench rpc server: error: {args.framework}: {exc}", file=sys.stderr)
        return 2
    options = {**framework.options, **json.loads(args.options)}

    def ready(address: dict[str, Any]) -> None:
        info = {"server": args.framework, "pid": os.getpid(), "cpu": args.cpu, **address}
        print("READY " + json.dumps(info), flush=True)

    try:
        adapter.serve(args.listen, options, ready)
    except (KeyboardInterrupt, SystemExit):
        return 0
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(f"commbench rpc server: error: {args.framework} on {args.listen}: {reason}",
              file=sys.stderr)  # fmt: skip
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
