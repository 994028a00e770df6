"""TLS on: certificates made at run time, calls go through, an untrusted CA is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from commbench.corpus import GENERATORS
from commbench.rpc.pool import open_pair
from commbench.rpc.tls import make_tls


@pytest.mark.parametrize("framework", ["grpc", "jsonrpc", "connect-proto", "connect-json"])
def test_calls_over_tls_and_refused_with_a_foreign_ca(framework: str, tmp_path: Path) -> None:
    (tmp_path / "ours").mkdir()
    (tmp_path / "theirs").mkdir()
    tls = make_tls(tmp_path / "ours")
    other = make_tls(tmp_path / "theirs")  # a CA the server's certificate is not from
    pair = open_pair(framework, None, {"tls": tls})
    try:
        assert pair.info["tls"] is True
        payload = GENERATORS["rpc"](0)
        bound = pair.client.bind(payload)
        bound.check(bound.call(1), 1)
        assert bound.document(bound.call(2)) == payload.value
        adapter, address = pair.adapter, pair.server.address
        with pytest.raises(Exception):  # noqa: B017 (each stack has its own TLS error)
            stranger = adapter.connect(address, {"tls": {**tls, "ca": other["ca"]},
                                                 "timeout_s": 2.0})  # fmt: skip
            try:
                stranger.bind(payload).call(3)
            finally:
                stranger.close()
    finally:
        pair.client.close()
        pair.server.stop()


def test_user_material_is_checked_with_one_line_per_problem(tmp_path: Path) -> None:
    from commbench.errors import UserError
    from commbench.rpc.tls import user_tls

    (tmp_path / "ours").mkdir()
    (tmp_path / "theirs").mkdir()
    ours, theirs = make_tls(tmp_path / "ours"), make_tls(tmp_path / "theirs")
    assert user_tls(None, None, None) is None
    assert user_tls(ours["cert"], ours["key"], ours["ca"]) == ours
    (tmp_path / "text.pem").write_text("hello\n")
    bad = {
        "missing": ((ours["cert"], None, None), "--rpc-tls-key, --rpc-tls-ca missing"),
        "unreadable": ((str(tmp_path / "nope.pem"), ours["key"], ours["ca"]), "No such file"),
        "not pem": ((ours["cert"], str(tmp_path / "text.pem"), ours["ca"]), "not a PEM file"),
        "key of another": ((ours["cert"], theirs["key"], ours["ca"]), "not a certificate and"),
        "foreign ca": ((ours["cert"], ours["key"], theirs["ca"]), "issuer"),
    }
    for name, (args, message) in bad.items():
        with pytest.raises(UserError, match=message) as caught:
            user_tls(*args)
        assert "\n" not in str(caught.value), name


@pytest.mark.slow
def test_run_with_unreadable_tls_material_exits_2_and_still_measures(tmp_path, capsys) -> None:
    """One line on stderr, exit status 2, the TLS case an unsupported row, plain TLS-off
    calls still measured (``commbench run`` end to end, two cases)."""
    from commbench import cli
    from commbench.results import load_run

    missing = str(tmp_path / "missing.pem")
    status = cli.main(["run", "--suite", "rpc", "--profile", "quick", "--no-report",
                       "--results-dir", str(tmp_path / "results"), "--rpc-tls-cert", missing,
                       "--rpc-tls-key", missing, "--rpc-tls-ca", missing,
                       "--", "-k", "test_rpc_tls and grpc-"])  # fmt: skip
    err = capsys.readouterr().err
    assert status == 2, err
    lines = [line for line in err.splitlines() if line.startswith("commbench: error:")]
    assert len(lines) == 1 and "--rpc-tls-cert" in lines[0] and missing in lines[0], err
    (written,) = (tmp_path / "results").glob("*/*.json")
    run = load_run(written)
    measured = [b["extra_info"]["params"] for b in run.benchmarks]
    assert [(p["framework"], p["tls"]) for p in measured] == [("grpc", False)]
    refused = [u for u in run.commbench["unsupported"] if u["params"].get("measure") == "tls"]
    assert len(refused) == 1 and refused[0]["params"]["tls"] is True
    assert "TLS material" in refused[0]["reason"]
