"""The ``commbench`` command: run | report | compare | claims | machine.

Every error a user can cause ends in one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from commbench.errors import EXIT_USER_ERROR, UserError
from commbench.messaging.profile import PROFILES as MESSAGING_PROFILES
from commbench.profiles import DEFAULT_PROFILE, PROFILES

if TYPE_CHECKING:
    from commbench.results import Results

PROJECT_ROOT = Path(__file__).resolve().parents[1]

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


def _suites(text: str) -> list[str]:
    """``all`` or a comma-separated list of registered suites (:mod:`commbench.families`)."""
    from commbench.families import FAMILIES

    names = list(FAMILIES) if text == "all" else [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in names if s not in FAMILIES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown suite {', '.join(unknown) or text!r}; "
            f"choose from {', '.join(FAMILIES)} or all"
        )
    return names


def cmd_run(args: argparse.Namespace) -> int:
    """Run the chosen suites with pytest-benchmark, then summarise and report."""
    from commbench import cleanup, families
    from commbench.user_payloads import load_user_payload, resolve_payload_args

    if not (PROJECT_ROOT / "bench").is_dir():
        raise UserError(f"{PROJECT_ROOT}: no bench/ here; run commbench from the project checkout")
    if args.mpi_hosts and not args.peer:
        raise UserError("--mpi-hosts is LAN mode: give --peer HOST:PORT as well")
    if args.peer:
        from commbench.transports.remote import peer_fingerprint

        peer_fingerprint(args.peer)  # unreachable: one line and exit status 2, before any work
    for line in cleanup.sweep():
        print(f"commbench: removed what an earlier run left behind: {line}", file=sys.stderr)
    user_errors: list[str] = []
    good: list[str] = []
    for path in resolve_payload_args(args.payload):
        try:
            load_user_payload(path)
            good.append(str(path))
        except UserError as exc:
            print(f"commbench: error: {exc}", file=sys.stderr)
            user_errors.append(str(exc))
    user_errors += _check_rpc_tls(args)
    storage = Path(args.results_dir).resolve()
    run_id = f"commbench-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}"
    suites = [families.FAMILIES[s] for s in args.suite]
    command = [
        sys.executable,
        "-m",
        "pytest",
        *[module for family in suites for module in family.bench_paths()],
        "-p",
        "commbench.pytest_plugin",
        "-p",
        "no:cacheprovider",
        f"--rootdir={PROJECT_ROOT}",
        "-q",
        "-rs",
        f"--profile={args.profile}",
        f"--benchmark-save={run_id}",
        "--benchmark-save-data",
        "--benchmark-quiet",
        f"--benchmark-storage=file://{storage}",
        *PROFILES[args.profile].benchmark_flags,
        "--payloads-resolved",
        *[f"--payload={p}" for p in good],
        *[f"--user-error={e}" for e in user_errors],
        *[f"--plugin={p}" for p in args.plugin],
        *([] if args.all_suites else [f"--named-suites={','.join(args.suite)}"]),
        *([f"--peer={args.peer}"] if args.peer else []),
        *([f"--mpi-hosts={args.mpi_hosts}"] if args.mpi_hosts else []),
        *([f"--mpi-launcher-exec={args.mpi_launcher_exec}"] if args.mpi_launcher_exec else []),
        *([f"--mpi-iface={args.mpi_iface}"] if args.mpi_iface else []),
        *(["--keep-raw-samples"] if getattr(args, "keep_raw_samples", False) else []),
        *([f"--messaging-profile={args.messaging_profile}"] if args.messaging_profile else []),
        *([f"--ledger-dir={Path(args.ledger_dir).resolve()}"] if args.ledger_dir else []),
        *[
            f"--rpc-tls-{k}={v}"
            for k in ("cert", "key", "ca")
            if (v := getattr(args, f"rpc_tls_{k}", None))
        ],
        *args.pytest_args,
    ]
    status, interrupted = _run_child(command)
    written = sorted(storage.glob(f"*/*_{run_id}.json"))
    if not written:
        if interrupted:
            raise KeyboardInterrupt
        print(
            f"commbench: error: the benchmark run wrote no result file (pytest exit status "
            f"{status}); see pytest's output above",
            file=sys.stderr,
        )
        return EXIT_FAILED
    result = written[-1]
    from commbench.results import load_results
    from commbench.summary import print_summaries

    results = load_results([result])  # once, for the summary and the report
    if results.runs:
        print_summaries(results.table())
    print(f"\nresults: {result}")
    if not args.no_report and results.runs:
        output = Path(args.output) if args.output else None
        print(f"report:  {_render_report(results, output)}")
    block = results.runs[0].commbench if results.runs else {}
    errors = list(block.get("user_errors") or [])
    for error in errors:
        if error not in user_errors:  # those were printed before the run
            print(f"commbench: error: {error}", file=sys.stderr)
    return exit_status(interrupted=interrupted, pytest_status=status, user_errors=len(errors))


def _check_rpc_tls(args: argparse.Namespace) -> list[str]:
    """The user's rpc TLS material, checked before the run: the error (printed) or []. The
    material still goes to pytest, whose rpc TLS cases then become unsupported rows."""
    from commbench.rpc.tls import user_tls

    given = {k: getattr(args, f"rpc_tls_{k}", None) for k in ("cert", "key", "ca")}
    try:
        user_tls(**given)
    except UserError as exc:
        print(f"commbench: error: {exc}", file=sys.stderr)
        return [str(exc)]
    return []


def exit_status(*, interrupted: bool, pytest_status: int, user_errors: int) -> int:
    """``commbench run``'s status, in this precedence: 130 on Ctrl-C; 1 when a benchmark
    failed or pytest could not run them (its "no tests collected" included); 2 for a user
    error (a bad file, a port in use, a tool missing from a suite named on the command
    line; the rest still measured); 0."""
    if interrupted:
        return EXIT_INTERRUPTED
    if pytest_status != 0:
        return EXIT_FAILED
    return EXIT_USER_ERROR if user_errors else 0


def _run_child(command: list[str], grace_s: float = 30.0) -> tuple[int, bool]:
    """Run pytest in a child that dies with this process; on Ctrl-C, give it *grace_s* to
    stop its own peers and save what it measured, then end it. (status, interrupted)"""
    import signal as signals

    from commbench.transports.peerproc import die_with_parent

    child = subprocess.Popen(command, cwd=PROJECT_ROOT, preexec_fn=die_with_parent)
    interrupted = False
    while True:
        try:
            status = child.wait(timeout=grace_s if interrupted else None)
            return status, interrupted
        except KeyboardInterrupt:
            if interrupted:
                continue
            interrupted = True
            # from a terminal the child got the same SIGINT; if it was this process alone
            # that was interrupted, pass it on
            with contextlib.suppress(subprocess.TimeoutExpired, KeyboardInterrupt):
                child.wait(timeout=1.0)
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.send_signal(signals.SIGINT)
        except subprocess.TimeoutExpired:
            child.kill()
            return child.wait(), True


def _render_report(results: Results, output: Path | None) -> Path:
    """Render the HTML report of loaded *results* (with a comparison section when there
    are several runs), each refused file named on stderr; return where it was written."""
    from commbench.report import render_html

    for _, reason in results.rejected:
        print(f"commbench: error: {reason}", file=sys.stderr)
    return render_html(results, output, compare=True, parallel=True)


def _import_report() -> None:
    """The modules the report needs next, so that every worker it forks has them."""
    import scipy.special  # noqa: F401  (the comparison's bootstrap law, the residue curve)

    import commbench.report.plotting  # noqa: F401  (commbench.report, and matplotlib: ~0.35 s)


def cmd_report(args: argparse.Namespace) -> int:
    """Render result files (default: the newest run) as HTML, Markdown or CSV."""
    from commbench.results import load_results, newest_result

    paths = [Path(p) for p in args.results] or [newest_result(Path(args.results_dir))]
    # the report's modules (matplotlib, scipy.special: ~0.7 s) load while the files do
    results = load_results(paths, parallel=True, meanwhile=_import_report)
    rejected = len(results.rejected)
    if args.format == "html":
        print(f"report: {_render_report(results, Path(args.output) if args.output else None)}")
    else:
        from commbench.report import render_tables

        text = render_tables(results, args.format)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
            print(f"{args.format}: {args.output}")
        else:
            sys.stdout.write(text)
    return EXIT_USER_ERROR if rejected else 0


def cmd_compare(args: argparse.Namespace) -> int:
    """Compare result files: the first is the baseline, each other is set against it."""
    from commbench import compare, compare_print
    from commbench.families import baselines
    from commbench.results import load_results

    results = load_results(args.results, parallel=True)
    for _, reason in results.rejected:
        print(f"commbench: error: {reason}", file=sys.stderr)
    if len(results.runs) < 2:
        raise UserError("compare needs at least two valid result files")
    table = results.table()
    files = [str(run.path) for run in results.runs]
    labels = compare.run_labels(table, files)
    fingerprints = {str(r.path): r.machine_info.get("commbench", {}) for r in results.runs}
    prepared = compare.prepare_baseline(table, files[0])  # the same for every other file
    for other in files[1:]:
        comparison = compare.compare_runs(table, files[0], other, prepared=prepared)
        compare_print.print_comparison(
            comparison,
            compare.family_summary(comparison),
            compare.only_on_one_side(table, files[0], other, prepared=prepared),
            compare.fingerprint_diff(fingerprints[files[0]], fingerprints[other]),
            labels=(labels[files[0]], labels[other]),
        )
        compare_print.print_shape(table, files[0], other, baselines())
    return EXIT_USER_ERROR if results.rejected else 0


def cmd_claims(args: argparse.Namespace) -> int:
    """Judge every claim of the lecture notes on result files (default: the newest run)."""
    from commbench import claims_print

    paths = [Path(p) for p in args.results]
    if not paths:
        from commbench.results import newest_result

        paths = [newest_result(Path(args.results_dir))]
    checked, rejected = claims_print.load(paths)
    for reason in rejected:
        print(f"commbench: error: {reason}", file=sys.stderr)
    if checked:
        if args.json:
            print(json.dumps(claims_print.as_dict(checked), indent=2, ensure_ascii=False))
        else:
            sys.stdout.write(claims_print.as_text(checked))
    return EXIT_USER_ERROR if rejected or not checked else 0


def cmd_simulate(args: argparse.Namespace) -> int:
    """Run a dissemination protocol R times from a seed; print means and 95% CIs."""
    from commbench.dissemination import PROTOCOLS, simulate

    protocol = PROTOCOLS[args.protocol]
    options = {o.name: getattr(args, o.name.replace("-", "_")) for o in protocol.options}
    try:
        result = simulate(protocol, options, runs=args.runs, seed=args.seed)
    except ValueError as exc:
        raise UserError(f"simulate {args.protocol}: {exc}") from None
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        from commbench.summary import print_simulation

        print_simulation(result)
    return 0


def cmd_peer(args: argparse.Namespace) -> int:
    """Serve as the echo side of LAN runs until Ctrl-C."""
    from commbench.transports import peer
    from commbench.transports.sockets import parse_host_port

    try:
        host, _ = parse_host_port(args.listen)
    except ValueError as exc:
        raise UserError(f"--listen {args.listen}: {exc}") from None
    if not host.startswith("127.") and host != "::1" and not args.allow_non_loopback:
        raise UserError(
            f"--listen {args.listen} is not a loopback address: binding it exposes the peer "
            "to the network; add --allow-non-loopback to do so on purpose"
        )
    from commbench.messaging.remote import BROKER_PORT_OFFSET
    from commbench.rpc.lan import CONTROL_OFFSET, PORT_PLAN

    host, port = parse_host_port(args.listen)
    _check_free(host, port)
    _check_free(host, port + CONTROL_OFFSET)
    first, last = min(PORT_PLAN.values()), max(PORT_PLAN.values())
    print(
        f"commbench peer: TCP and UDP echo on {host}:{port}, ZeroMQ REP on port {port + 1} "
        f"and PULL on port {port + 2}, RPC control on port {port + CONTROL_OFFSET}, RPC "
        f"servers on ports {port + first}-{port + last}, messaging brokers on request on "
        f"port {port + BROKER_PORT_OFFSET} (Ctrl-C to stop)",
        file=sys.stderr,
    )
    # the peer prints its own one-line error if it cannot serve after all
    return peer.main(["lan", "--listen", args.listen, "--orphan-ok", "--idle-timeout", "600"])


def _check_free(host: str, port: int) -> None:
    """UserError, before anything is printed or started, when the address cannot be bound."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(family, kind) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
                if kind == socket.SOCK_STREAM:
                    probe.listen(1)
            except OSError as exc:
                raise UserError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def cmd_machine(args: argparse.Namespace) -> int:
    """Print the machine fingerprint as JSON."""
    from commbench.machine import fingerprint

    print(json.dumps(fingerprint(), indent=2, sort_keys=True))
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """List what each suite needs and whether it is here (version, or why it is missing),
    and how long each suite takes with each profile on a 2-core machine."""
    from commbench.doctor import doctor_report, print_doctor

    report = doctor_report()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_doctor(report)
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "doctor": cmd_doctor,
    "run": cmd_run,
    "machine": cmd_machine,
    "peer": cmd_peer,
    "report": cmd_report,
    "compare": cmd_compare,
    "claims": cmd_claims,
    "simulate": cmd_simulate,
}


def _add_protocols(parser: argparse.ArgumentParser) -> None:
    """One sub-command per protocol, its options generated from the registry."""
    from commbench.dissemination import PROTOCOLS
    from commbench.dissemination.protocol import RUNS, SEED

    parser.epilog = "protocols:\n" + "\n".join(
        f"  {name:20} {p.help}" for name, p in sorted(PROTOCOLS.items())
    )
    protocols = parser.add_subparsers(dest="protocol", required=True, metavar="PROTOCOL")
    for name, protocol in sorted(PROTOCOLS.items()):
        sub = protocols.add_parser(name, help=protocol.help, description=protocol.help)
        for option in (*protocol.options, RUNS, SEED):
            kind = option.parse if option.type is not bool else _boolean  # checks the range
            if option.choices and any("_" in str(c) for c in option.choices):
                kind = _underscored  # random-regular and random_regular both work
            sub.add_argument(
                option.flag,
                dest=option.name.replace("-", "_"),
                type=kind,
                default=option.default,
                choices=option.choices,
                help=option.help_text(),
            )
        sub.add_argument("--json", action="store_true", help="print one JSON object")


def _listen_address(text: str) -> str:
    """``peer --listen``: HOST:PORT with room above PORT for ZeroMQ (PORT+1, PORT+2), the
    RPC control channel and the RPC servers (:mod:`commbench.rpc.lan`'s port plan) and the
    messaging brokers' control (:mod:`commbench.messaging.remote`)."""
    from commbench.messaging.remote import BROKER_PORT_OFFSET
    from commbench.rpc.lan import LAST_OFFSET as RPC_LAST_OFFSET
    from commbench.transports.sockets import PEER_PORTS, parse_host_port

    try:
        _, port = parse_host_port(text, port_required=True)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    last = max(PEER_PORTS - 1, RPC_LAST_OFFSET, BROKER_PORT_OFFSET)
    if port + last > 65535:
        raise argparse.ArgumentTypeError(
            f"port {port}: the peer also listens on PORT+1 to PORT+{last} (ZeroMQ, the RPC "
            f"servers, the brokers' control), so PORT must be at most {65535 - last}"
        )
    return text


def _underscored(text: str) -> str:
    return text.replace("-", "_")


def _boolean(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not a boolean")


def _add_plugin_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="FILE.py|MODULE",
        help="a Python file or module that registers benchmark families (repeatable)",
    )


def build_parser(*, protocols: bool = True) -> argparse.ArgumentParser:
    """The whole command line. ``protocols=False`` leaves out the ``simulate`` protocols'
    sub-commands, whose options come from the dissemination registry (importing it costs
    ~0.8 s that ``report`` or ``compare`` need not pay)."""
    parser = argparse.ArgumentParser(
        prog="commbench",
        description="Measure how distributed processes communicate.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run benchmark suites and report", description=cmd_run.__doc__)
    run.add_argument(
        "--suite",
        type=_suites,
        default=None,
        help="comma-separated suites of the family registry (see `commbench doctor`), "
        "or all (default: all)",
    )
    run.add_argument("--profile", choices=sorted(PROFILES), default=DEFAULT_PROFILE)
    run.add_argument(
        "--payload",
        action="append",
        default=[],
        metavar="FILE",
        help="a JSON file of your own to benchmark beside the built-in corpus (repeatable)",
    )
    run.add_argument(
        "--peer",
        metavar="HOST:PORT",
        help="LAN mode: measure latency/throughput against `commbench peer` on another machine",
    )
    run.add_argument(
        "--mpi-hosts",
        metavar="A,B",
        help="LAN mode: MPI across machines, one rank per host of mpiexec's host list "
        "(A must be this machine; hydra reaches B by ssh unless --mpi-launcher-exec)",
    )
    run.add_argument("--mpi-launcher-exec", metavar="PROGRAM", help=argparse.SUPPRESS)
    run.add_argument("--mpi-iface", metavar="IFACE", help="the interface the MPI ranks use")
    run.add_argument("--no-report", action="store_true", help="do not render the HTML report")
    run.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="the HTML report (default: reports/<date>-<host>.html)",
    )
    run.add_argument(
        "--keep-raw-samples",
        action="store_true",
        help="store every latency sample as well as the compact histogram (bigger files)",
    )
    run.add_argument(
        "--messaging-profile",
        choices=sorted(MESSAGING_PROFILES),
        help="the messaging family's profile instead of --profile's (tiny: a small run)",
    )
    run.add_argument(
        "--ledger-dir",
        metavar="DIR",
        help="where the messaging streams' per-message records go "
        "(default: <results-dir>/ledgers/<run id>)",
    )
    for role, what in (("cert", "certificate the RPC servers present"),
                       ("key", "private key of --rpc-tls-cert"),
                       ("ca", "CA certificate the RPC clients trust")):  # fmt: skip
        run.add_argument(
            f"--rpc-tls-{role}",
            metavar="FILE",
            help=f"rpc TLS cases: the {what} (PEM; cert, key and ca together, naming "
            "127.0.0.1), instead of a CA made at run time",
        )
    _add_plugin_option(run)
    run.add_argument(
        "--results-dir",
        default=str(PROJECT_ROOT / ".benchmarks"),
        metavar="DIR",
        help="where pytest-benchmark stores result files (default: .benchmarks/)",
    )
    run.add_argument(
        "pytest_args",
        nargs="*",
        metavar="-- PYTEST_ARGS",
        help="passed to pytest after '--', e.g. -- --benchmark-disable-gc",
    )

    peer = sub.add_parser("peer", help="the echo side for LAN runs", description=cmd_peer.__doc__)
    peer.add_argument(
        "--listen", type=_listen_address, default="127.0.0.1:7800", metavar="HOST:PORT"
    )
    peer.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="binding a non-loopback address is an explicit choice",
    )

    report = sub.add_parser("report", help="render results as HTML, Markdown or CSV")
    report.add_argument("results", nargs="*", metavar="RESULTS.json")
    report.add_argument(
        "-o", "--output", metavar="FILE", help="default: reports/<date>-<host>.html"
    )
    report.add_argument("--format", choices=("html", "md", "csv"), default="html")
    report.add_argument("--results-dir", default=str(PROJECT_ROOT / ".benchmarks"), metavar="DIR")
    _add_plugin_option(report)

    comp = sub.add_parser("compare", help="compare result files with honest statistics")
    comp.add_argument("results", nargs="+", metavar="RESULTS.json")
    _add_plugin_option(comp)

    claims = sub.add_parser(
        "claims",
        help="every claim of the lecture notes with its verdict",
        description=cmd_claims.__doc__,
    )
    claims.add_argument("results", nargs="*", metavar="RESULTS.json")
    claims.add_argument("--json", action="store_true", help="print one JSON object")
    claims.add_argument("--results-dir", default=str(PROJECT_ROOT / ".benchmarks"), metavar="DIR")
    _add_plugin_option(claims)

    doctor = sub.add_parser(
        "doctor",
        help="what is available here, and how long each suite takes",
        description=cmd_doctor.__doc__,
    )
    doctor.add_argument("--json", action="store_true", help="print one JSON object")
    _add_plugin_option(doctor)

    simulate = sub.add_parser(
        "simulate",
        help="simulate a dissemination protocol",
        description=cmd_simulate.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if protocols:
        _add_protocols(simulate)

    sub.add_parser("machine", help="print the machine fingerprint as JSON")
    return parser


def _plugin_args(argv: list[str]) -> list[str]:
    """The ``--plugin`` values of *argv*: loaded before parsing, so --suite knows them."""
    found = []
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--plugin" and i + 1 < len(argv):
            found.append(argv[i + 1])
        elif arg.startswith("--plugin="):
            found.append(arg.split("=", 1)[1])
    return found


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        from commbench.families import load_plugins

        load_plugins(_plugin_args(argv))
    except UserError as exc:
        print(f"commbench: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    parser = build_parser(protocols=not argv or argv[0] not in COMMANDS or argv[0] == "simulate")
    args = parser.parse_args(argv)
    if args.command == "run":
        args.all_suites = args.suite is None
        if args.suite is None:
            args.suite = _suites("all")
    try:
        return COMMANDS[args.command](args)
    except UserError as exc:
        print(f"commbench: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("commbench: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
