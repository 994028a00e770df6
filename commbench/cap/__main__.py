"""``python -m commbench.cap``: one cap scenario from the command line, or check a history.

    python -m commbench.cap run --store etcd --mode serializable --scenario leader-isolated \
        --history h.jsonl [--profile quick]
    python -m commbench.cap check h.jsonl

Prints JSON on stdout. Errors a user can cause (no root, a missing store, a bad history)
end in one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from commbench.errors import EXIT_USER_ERROR, UserError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m commbench.cap")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="one partition scenario on a 3-member store")
    run.add_argument("--store", default="etcd")
    run.add_argument("--mode", default="linearizable")
    run.add_argument("--scenario", default="leader-isolated")
    run.add_argument("--profile", default="quick", choices=("quick", "full"))
    run.add_argument("--history", type=Path, default=None, help="where to save the history")
    check = sub.add_parser("check", help="linearizability of a JSON-lines history")
    check.add_argument("history", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            from commbench.cap.profile import PROFILES
            from commbench.cap.run import measure

            found, info, _ = measure(
                args.store, args.mode, args.scenario, PROFILES[args.profile], args.history
            )
            print(json.dumps({"metrics": found, **info}, indent=1))
        else:
            from commbench.cap import history, linearizability

            verdict = linearizability.check(history.load(args.history))
            summary = verdict.summary()
            summary["witness"] = [o.to_json() for o in verdict.minimal]
            print(json.dumps(summary, indent=1))
    except UserError as exc:
        print(f"commbench: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
