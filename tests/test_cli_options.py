"""Every option is checked where it is declared: out-of-range values end in exit status 2
and one error line naming the option, never a traceback or a printed result.

The ranges come from the declarations themselves (:class:`Option` ``low``/``high``), so
a new protocol option is walked here without editing this file; the test also pins that
every numeric option declares a range at all.
"""

from __future__ import annotations

import contextlib
import io
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commbench.cli import main
from commbench.dissemination import PROTOCOLS
from commbench.dissemination.protocol import RUNS, SEED, Option, simulate

ROOT = Path(__file__).resolve().parents[1]

NUMERIC = [
    (name, option)
    for name, protocol in sorted(PROTOCOLS.items())
    for option in (*protocol.options, RUNS, SEED)
    if option.type in (int, float)
]
CHOICES = [
    (name, option)
    for name, protocol in sorted(PROTOCOLS.items())
    for option in protocol.options
    if option.choices
]


def _numbers(option: Option) -> st.SearchStrategy[str]:
    """Command-line texts outside the option's declared range."""
    out = []
    if option.low is not None:
        low = option.low
        below = (
            st.integers(max_value=math.ceil(low) - 1)
            if option.type is int
            else st.floats(max_value=low, exclude_max=not option.above, allow_nan=False)
        )
        out.append(below.map(str))
    if option.high is not None:
        high = option.high
        above = (
            st.integers(min_value=math.floor(high) + 1)
            if option.type is int
            else st.floats(min_value=high, exclude_min=True, allow_nan=False)
        )
        out.append(above.map(str))
    if option.type is int:  # not an integer at all
        out.append(st.sampled_from(["1.5", "1e3", "two", "", "0x10"]))
    else:
        out.append(st.sampled_from(["nan", "inf", "-inf", "one", ""]))
    return st.one_of(out)


def _run(argv: list[str]) -> tuple[int, str, str]:
    """``commbench ARGV`` in this process: (exit status, stdout, stderr). Any exception but
    SystemExit propagates, so a traceback fails the test."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exc:
            status = exc.code
    return status, out.getvalue(), err.getvalue()


def _assert_one_error_line(status: int, stdout: str, stderr: str, flag: str) -> None:
    assert status == 2, (status, stderr)
    assert stdout == ""  # nothing simulated, nothing printed
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, stderr
    assert flag in errors[0], errors[0]  # names the option
    assert stderr.splitlines()[-1] == errors[0]


@pytest.mark.parametrize(("protocol", "option"), NUMERIC, ids=lambda x: getattr(x, "name", x))
def test_every_numeric_option_declares_a_range(protocol: str, option: Option) -> None:
    assert option.low is not None, f"{protocol} {option.flag} has no lower bound"
    assert option.problem(option.default) is None  # and its default is in it


@pytest.mark.parametrize(("protocol", "option"), NUMERIC, ids=lambda x: getattr(x, "name", x))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_out_of_range_protocol_options_are_one_line_and_status_2(
    protocol: str, option: Option, data: st.DataObject
) -> None:
    text = data.draw(_numbers(option), label=option.flag)
    status, stdout, stderr = _run(["simulate", protocol, f"{option.flag}={text}"])
    _assert_one_error_line(status, stdout, stderr, f"argument {option.flag}")


@pytest.mark.parametrize(("protocol", "option"), CHOICES, ids=lambda x: getattr(x, "name", x))
def test_unknown_choices_are_one_line_and_status_2(protocol: str, option: Option) -> None:
    status, stdout, stderr = _run(["simulate", protocol, option.flag, "no-such-choice"])
    _assert_one_error_line(status, stdout, stderr, f"argument {option.flag}")


@pytest.mark.parametrize(("protocol", "option"), NUMERIC, ids=lambda x: getattr(x, "name", x))
def test_the_python_api_checks_the_same_ranges(protocol: str, option: Option) -> None:
    bad = option.low - 1 if not option.above else option.low
    runs, seed = (bad, 0) if option is RUNS else (1, bad) if option is SEED else (1, 0)
    options = {} if option in (RUNS, SEED) else {option.name: bad}
    with pytest.raises(ValueError, match=option.flag):
        simulate(PROTOCOLS[protocol], options, runs=runs, seed=seed)


ports = st.one_of(
    st.integers(min_value=65534).map(str),  # 65534, 65535: PORT+2 does not exist
    st.just("0"),
    st.sampled_from(["-1", "", "http", "80a"]),
)


@settings(max_examples=30, deadline=None)
@given(port=ports, host=st.sampled_from(["127.0.0.1", "[::1]", ""]))
def test_peer_listen_port_out_of_range_is_one_line_and_status_2(port: str, host: str) -> None:
    status, stdout, stderr = _run(["peer", "--listen", f"{host}:{port}"])
    _assert_one_error_line(status, stdout, stderr, "argument --listen")


@settings(max_examples=20, deadline=None)
@given(port=st.one_of(st.integers(min_value=65536).map(str), st.just("0")))
def test_run_peer_port_out_of_range_is_one_line_and_status_2(port: str) -> None:
    # checked before any connection is tried (so nothing leaves this process)
    status, stdout, stderr = _run(["run", "--no-report", "--peer", f"127.0.0.1:{port}"])
    _assert_one_error_line(status, stdout, stderr, "--peer")
    assert "outside 1..65535" in stderr


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["run", "--suite", "nope"], "--suite"),
        (["run", "--profile", "huge"], "--profile"),
        (["report", "--format", "pdf"], "--format"),
    ],
)
def test_other_sub_commands_refuse_bad_values_in_one_line(argv: list[str], flag: str) -> None:
    status, stdout, stderr = _run(argv)
    _assert_one_error_line(status, stdout, stderr, f"argument {flag}")


def test_a_contradiction_between_options_is_one_line_naming_the_option() -> None:
    # each value in range, together impossible: the run says which option, in one line
    status, stdout, stderr = _run(["simulate", "flood", "--n", "10", "--source", "10"])
    _assert_one_error_line(status, stdout, stderr, "--source 10")
    status, stdout, stderr = _run(["simulate", "gossip", "--n", "10", "--fail-nodes", "1"])
    _assert_one_error_line(status, stdout, stderr, "--fail-nodes")


def test_fail_nodes_of_one_fails_every_node_but_the_source() -> None:
    for protocol in ("flood", "anti-entropy"):
        result = simulate(PROTOCOLS[protocol], {"n": 50, "fail_nodes": 1.0}, runs=1)
        assert result["metrics"]["coverage"]["mean"] == 1.0  # the source alone: all live nodes


@pytest.mark.parametrize(
    "argv",
    [
        ["peer", "--listen", "127.0.0.1:99999"],
        ["simulate", "rumor", "--k", "-1"],
        ["simulate", "flood", "--p-flood", "2"],
        ["simulate", "flood", "--fail-nodes", "1.5"],
        ["simulate", "anti-entropy", "--n", "-5"],
    ],
)
def test_the_reported_commands_as_a_user_runs_them(argv: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "commbench.cli", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    _assert_one_error_line(done.returncode, done.stdout, done.stderr, f"argument {argv[-2]}")


def test_protocol_docstring_examples() -> None:
    import doctest

    from commbench.dissemination import protocol

    result = doctest.testmod(protocol)
    assert result.attempted > 0 and result.failed == 0
