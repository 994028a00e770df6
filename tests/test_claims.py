"""The lecture's claims: every verdict function on synthetic tidy tables (one per outcome
it can give, and one without its family), the quotes against the notes, the section
on the committed result files, and ``commbench claims``."""

# ruff: noqa: E501  (the synthetic cases read best one per line)
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from commbench import claims
from commbench.claims import CLAIMS, FAILS, HOLDS, NOT_MEASURED, ONLY_WHEN, Claim, Verdict
from commbench.claims_print import as_dict, as_text, csv_rows, load, markdown
from commbench.cli import main
from commbench.report.page.lecture import lecture_section, link_for

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT.parent / "shared" / "seed" / "000_b2499ba96b2f0d20.txt"


def table(*rows: tuple, file: str = "run.json") -> pd.DataFrame:
    """A tidy table from (family, subject, params, metrics[, median]) tuples."""
    out = []
    for row in rows:
        family, subject, params, metrics, *median = row
        out.append(
            {
                "file": file,
                "machine": "m",
                "datetime": "",
                "name": subject,
                "group": None,
                "family": family,
                "subject": subject,
                "params": params,
                "metrics": metrics,
                "median": median[0] if median else 1e-6,
            }
        )
    return pd.DataFrame(out)


OTHER = table(("harness", "x", {}, {}))
"""A run without any family a claim reads."""


# ------------------------------------------------------------------ builders per claim


def lat(subject: str, size: int, p50: float, **extra) -> tuple:
    params = {"transport": subject, "size_bytes": size, "placement": "cross-core", **extra}
    return ("latency", subject, params, {"one_way_p50_ns": p50})


def mpi_shm(net_over_shm: dict[int, float]) -> pd.DataFrame:
    rows = []
    for size, r in net_over_shm.items():
        rows += [lat("mpi-buffer-shm", size, 1000.0), lat("mpi-buffer-net", size, 1000.0 * r)]
        rows.append(lat("tcp", size, 30000.0))
    return table(*rows)


def mpi_ns(native: float | None, python: float) -> pd.DataFrame:
    rows = [lat("mpi-buffer-shm", 64, python)]
    if native is not None:
        floor = (
            "floor",
            "mpi-buffer-shm",
            {"size_bytes": 64, "tool": "c-helper"},
            {"one_way_p50_ns": native},
        )
        rows.append(floor)
    return table(*rows)


def json_rows(json_over_proto: float, second: float | None = None) -> pd.DataFrame:
    rows = []
    for payload, r in (("rpc", json_over_proto), ("big", second or json_over_proto)):
        for codec, f in (("json", r), ("protobuf", 1.0)):
            for op in ("encode", "decode"):
                params = {"payload": payload, "op": op}
                metrics = {"encoded_bytes": 100 * f, "compressed_bytes": 60 * f}
                rows.append(("marshalling", codec, params, metrics, 1e-6 * f))
        for framework, f in (("connect-json", r), ("connect-proto", 1.0)):
            params = {"measure": "latency", "payload": payload, "placement": "cross-core"}
            rows.append(
                ("rpc", framework, params, {"p50_ns": 1e5 * f, "encoded_reply_bytes": 80 * f})
            )
    return table(*rows)


def recv(over: dict[int, float]) -> pd.DataFrame:
    return table(
        *(
            (
                "latency",
                "tcp-recv1024",
                {"size_bytes": s, "placement": "same-core"},
                {"over_one_buffer_p50": r},
            )
            for s, r in over.items()
        )
    )


def messaging(*rows: tuple) -> pd.DataFrame:
    return table(*(("messaging", *row) for row in rows))


def zmq(lost: dict[str, int]) -> pd.DataFrame:
    return messaging(
        *(
            ("zmq", {"measure": "crash", "fault": f, "acks": False}, {"lost_sent": n, "sent": 100})
            for f, n in lost.items()
        )
    )


def pullers(*shares: list[int], duplicated: int = 0) -> pd.DataFrame:
    return messaging(
        *(
            ("zmq", {"measure": "pullers"}, {"deliveries_per_puller": s, "duplicated": duplicated})
            for s in shares
        )
    )


def mom(
    transient_lost: int, persistent_lost: int, second_transient: int | None = None
) -> pd.DataFrame:
    rows = [
        ("nats", {"measure": "crash", "fault": "broker-kill", "mode": "core", "persistent": False, "acks": False}, {"lost_sent": transient_lost}),
        ("nats", {"measure": "crash", "fault": "broker-kill", "mode": "js", "persistent": True, "acks": True}, {"lost": persistent_lost}),
        ("nats", {"measure": "crash", "fault": "consumer-kill", "mode": "core", "persistent": False, "acks": False}, {"lost_sent": 99}),
    ]  # fmt: skip
    if second_transient is not None:
        rows.append(
            ("redis", {"measure": "crash", "fault": "broker-kill", "mode": "memory", "persistent": False, "acks": True}, {"lost": second_transient})
        )  # fmt: skip
    return messaging(*rows)


def rank_kill(*aborted: int) -> pd.DataFrame:
    return messaging(
        *(
            ("mpi", {"measure": "rank-kill", "n": i}, {"ranks": 4, "survivors": 3, "survivors_aborted": a, "abort_s": 0.4, "survivor_saw": "SIGTERM from mpiexec"})
            for i, a in enumerate(aborted)
        )
    )  # fmt: skip


def dissemination(*rows: tuple) -> pd.DataFrame:
    return table(*(("dissemination", *row) for row in rows))


def flood(tree_extra: int = 0, complete_extra: int = 0, complete: bool = True) -> pd.DataFrame:
    rows = [
        ("flood", {"topology": "kary_tree", "n": n}, {"n": n, "messages": n - 1 + tree_extra})
        for n in (100, 1000)
    ]
    if complete:
        rows += [
            (
                "flood",
                {"topology": "complete", "n": n},
                {"n": n, "messages": (n - 1) ** 2 + complete_extra},
            )
            for n in (50, 100)
        ]
    rows.append(
        ("flood", {"topology": "kary_tree", "n": 100, "fail_nodes": 0.5}, {"n": 100, "messages": 7})
    )
    return dissemination(*rows)  # fmt: skip


def rumor(residues: dict[int, float]) -> pd.DataFrame:
    return dissemination(
        *(("rumor", {"k": float(k), "variant": "feedback-counter", "n": 1000}, {"residue": s, "t_last": 17.0}) for k, s in residues.items())
    )  # fmt: skip


def certificates(cases: dict[tuple[int, int], float]) -> pd.DataFrame:
    return dissemination(
        *(("death-certificates", {"r": r, "tau": tau}, {"resurrected": v, "reactivations": 3.0 if r else 0.0}) for (r, tau), v in cases.items())
    )  # fmt: skip


def group(*pairs: tuple[float, float]) -> pd.DataFrame:
    return dissemination(
        *(("group", {"members": 10 * (i + 1), "n": 1000}, {"flood.nonmember_messages": f, "member-tree.nonmember_messages": t}) for i, (f, t) in enumerate(pairs))
    )  # fmt: skip


def tree(values: dict[str, tuple[float, float, float]]) -> pd.DataFrame:
    metrics = {"unicast.stress_max": 60.0, "unicast.rdp_p90": 1.0, "unicast.cost": 1.0}
    for kind, (stress, rdp, cost) in values.items():
        metrics |= {f"{kind}.stress_max": stress, f"{kind}.rdp_p90": rdp, f"{kind}.cost": cost}
    return dissemination(("tree", {"routers": 100}, metrics))


def byref(*pairs: tuple[float, float]) -> pd.DataFrame:
    return table(
        *(("rpc", "tcp", {"measure": "by-reference", "access": a, "sizes_bytes": [64, 4096]}, {"value_p50_ns": [v, 900.0], "reference_p50_ns": [r, 100.0], "crossover_bytes": 2000.0}) for a, (v, r) in zip(("whole", "1%"), pairs))
    )  # fmt: skip


def faults(*pairs: tuple[float, float], dups: int = 2) -> pd.DataFrame:
    rows = []
    for i, (bare, tried) in enumerate(pairs):
        fault = ("kill", "pause")[i]
        rows.append(
            (
                "rpc",
                "grpc",
                {"measure": "faults", "fault": fault, "retry_policy": "none"},
                {"success_rate": bare},
            )
        )
        rows.append(
            (
                "rpc",
                "grpc",
                {"measure": "faults", "fault": fault, "retry_policy": "app-retry"},
                {"success_rate": tried, "duplicates": dups, "extra_executions": dups},
            )
        )
    return table(*rows)  # fmt: skip


def cap(*stale: int, scenario: str = "leader-isolated") -> pd.DataFrame:
    rows = [("cap", "checker", {"ops": 10}, {"verdict": "ok"})]
    for i, n in enumerate(stale):
        metrics = {
            "stale_reads": n,
            "reads_ok": 300,
            "availability.minority.during": 1.0 if n else 0.0,
        }
        rows.append(("cap", "etcd", {"mode": f"m{i}", "scenario": scenario}, metrics))
    return table(*rows)


def killed(*shares: float) -> pd.DataFrame:
    return table(
        *(("cap", "etcd", {"mode": f"m{i}", "scenario": "leader-killed"}, {"availability.majority.during": s, "availability.minority.during": 0.0}) for i, s in enumerate(shares))
    )  # fmt: skip


CASES: dict[str, dict[str, pd.DataFrame]] = {
    "mpi-shm": {
        HOLDS: mpi_shm({64: 3.0, 4096: 2.0}),
        FAILS: mpi_shm({64: 0.9, 4096: 0.5}),
        ONLY_WHEN: mpi_shm({64: 2.0, 4096: 1.5, 65536: 0.8}),
    },
    "mpi-ns": {HOLDS: mpi_ns(300.0, 800.0), FAILS: mpi_ns(1500.0, 3000.0), ONLY_WHEN: mpi_ns(300.0, 1600.0)},
    "json-rpc": {HOLDS: json_rows(3.0), FAILS: json_rows(0.5), ONLY_WHEN: json_rows(3.0, 0.5)},
    "recv-1024": {HOLDS: recv({4096: 1.2, 2**20: 2.0}), FAILS: recv({4096: 1.0, 2**20: 1.01}), ONLY_WHEN: recv({4096: 1.0, 2**20: 1.8})},
    "zmq-peer-death": {HOLDS: zmq({"producer-kill": 5, "consumer-kill": 3}), FAILS: zmq({"producer-kill": 0}), ONLY_WHEN: zmq({"producer-kill": 5, "consumer-kill": 0})},
    "push-pull": {HOLDS: pullers([50, 50], [25, 25, 25, 25]), FAILS: pullers([100, 0], duplicated=0), ONLY_WHEN: pullers([50, 50], [50, 50, 0, 0])},
    "mom-persistence": {HOLDS: mom(10, 0), FAILS: mom(0, 3), ONLY_WHEN: mom(10, 0, second_transient=0)},
    "mpi-faults": {HOLDS: rank_kill(3), FAILS: rank_kill(0), ONLY_WHEN: rank_kill(3, 1)},
    "flooding": {HOLDS: flood(), FAILS: flood(tree_extra=5, complete_extra=-10), ONLY_WHEN: flood(complete_extra=-10)},
    "rumor-residue": {HOLDS: rumor({1: 0.17, 2: 0.03}), FAILS: rumor({1: 0.0, 2: 0.0}), ONLY_WHEN: rumor({1: 0.17, 2: 0.02, 3: 0.0})},
    "death-certificates": {
        HOLDS: certificates({(0, 5): 1.0, (3, 5): 0.0, (0, 40): 0.0}),
        FAILS: certificates({(0, 5): 1.0, (3, 5): 1.0}),
        ONLY_WHEN: certificates({(0, 5): 1.0, (3, 5): 0.7, (0, 40): 0.0, (3, 40): 0.0}),
    },
    "multicast-nonmembers": {HOLDS: group((990, 0), (900, 0)), FAILS: group((990, 5)), ONLY_WHEN: group((990, 0), (900, 4))},
    "tree-metrics": {
        HOLDS: tree({"spt": (40, 1.1, 1100), "mst": (7, 4.3, 578), "bounded": (5, 1.7, 808)}),
        FAILS: tree({"spt": (7, 2.0, 600), "mst": (7, 2.0, 600)}),
    },
    "byref-int": {HOLDS: byref((80e3, 79e3), (100e3, 130e3)), FAILS: byref((80e3, 40e3)), ONLY_WHEN: byref((80e3, 79e3), (100e3, 50e3))},
    "retry": {HOLDS: faults((0.9, 1.0), (0.99, 1.0)), FAILS: faults((0.9, 0.9)), ONLY_WHEN: faults((0.9, 1.0), (0.99, 0.98))},
    "cap-payments": {HOLDS: cap(0, 12), FAILS: cap(3, 12)},
    "replicas": {HOLDS: killed(1.0, 0.95), FAILS: killed(0.5), ONLY_WHEN: killed(1.0, 0.85)},
}  # fmt: skip


def test_every_claim_has_synthetic_cases() -> None:
    assert set(CASES) == set(CLAIMS)


@pytest.mark.parametrize(
    "cid, outcome", [(c, o) for c, cases in CASES.items() for o in cases], ids=lambda x: str(x)
)
def test_verdict_per_outcome(cid: str, outcome: str) -> None:
    verdict = claims.judge(CLAIMS[cid], CASES[cid][outcome])
    assert verdict.outcome == outcome, verdict
    assert verdict.figure and verdict.conditions  # the deciding figure, and its conditions
    if outcome == ONLY_WHEN:
        assert verdict.when and verdict.text == f"holds only when {verdict.when}"


@pytest.mark.parametrize("cid", list(CLAIMS))
def test_without_its_family_it_is_not_measured(cid: str) -> None:
    verdict = claims.judge(CLAIMS[cid], OTHER)
    assert verdict.outcome == NOT_MEASURED and verdict.conditions
    # with its family but none of the rows it needs: also not measured, and says what
    family_only = table((CLAIMS[cid].families[0], "unrelated", {}, {}))
    verdict = claims.judge(CLAIMS[cid], family_only)
    assert verdict.outcome == NOT_MEASURED and verdict.conditions.startswith("no ")


def test_size_threshold_conditions_say_where() -> None:
    verdict = claims.judge(CLAIMS["mpi-shm"], CASES["mpi-shm"][ONLY_WHEN])
    assert verdict.when == "messages ≤ 4.0 KiB"
    assert "holds at or below 4.0 KiB on this machine; from 64.0 KiB up" in verdict.conditions
    assert "64 B: TCP/shm ×2" in verdict.figure


def test_flooding_with_one_half_only_is_not_measured_but_says_the_half() -> None:
    verdict = claims.judge(CLAIMS["flooding"], flood(complete=False))
    assert verdict.outcome == NOT_MEASURED
    assert "the tree half holds" in verdict.conditions and "99 at n = 100" in verdict.figure


def test_a_broken_metric_is_not_measured_with_the_reason() -> None:
    broken = table(("latency", "mpi-buffer-shm", {"size_bytes": 64}, {"one_way_p50_ns": "x"}))
    broken = pd.concat([broken, table(("floor", "mpi-buffer-shm", {"size_bytes": 64}, {}))])
    assert claims.judge(CLAIMS["mpi-ns"], broken).outcome == NOT_MEASURED


def test_verdicts_are_pure() -> None:
    frame = CASES["retry"][HOLDS]
    before = frame.copy(deep=True)
    first = claims.judge(CLAIMS["retry"], frame)
    assert claims.judge(CLAIMS["retry"], frame) == first
    pd.testing.assert_frame_equal(frame, before)


def test_unknown_outcome_and_taken_id_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown outcome"):
        Verdict("maybe")
    twin = Claim("retry", "x", "y", ("rpc",), lambda t: Verdict(HOLDS))
    with pytest.raises(ValueError, match="already registered"):
        claims.register(twin)


def test_a_plugin_can_register_a_claim(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(claims, "CLAIMS", dict(claims.CLAIMS))
    extra = claims.register(
        Claim("harness", "q", "e", ("harness",), lambda t: Verdict(HOLDS, "1 row", "always"))
    )
    assert claims.judge(extra, OTHER).outcome == HOLDS
    assert [c.id for c, _ in claims.check(OTHER)][-1] == "harness"


# ------------------------------------------------------------------ quotes


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("**", "")).strip()


def test_quotes_are_in_the_notes() -> None:
    if not NOTES.is_file():
        pytest.skip(f"{NOTES} (the lecture notes) is not beside this checkout")
    notes = _plain(NOTES.read_text(encoding="utf-8"))
    for claim in CLAIMS.values():
        for piece in re.split(r" / |\[…\]", claim.quote):
            assert _plain(piece).strip(" .") in notes, (claim.id, piece)


def test_vulgar_words_are_cut() -> None:
    quotes = " ".join(c.quote for c in CLAIMS.values()).lower()
    for word in ("cagada", "forro", "orto"):
        assert word not in quotes
    assert quotes.count("[…]") == 2


# ------------------------------------------------------------------ on the committed files


COMMITTED = [
    "rpc_small.json",
    "dissemination_small.json",
    "messaging-tiny.json",
    "latency_a.json",
    "floors_small.json",
    "dissemination_group.json",
    "cap_small.json",
]

GOLDEN = {
    "rpc_small.json": {"json-rpc": "holds", "byref-int": "holds", "retry": "holds"},
    "dissemination_small.json": {
        "rumor-residue": "holds",
        "death-certificates": "holds only when tau = 40 (not at tau = 5)",
        "tree-metrics": "holds",
        "flooding": NOT_MEASURED,  # no tree nor complete graph in the small file
    },
    "messaging-tiny.json": {
        "mom-persistence": "holds",
        "mpi-faults": "holds",
        "zmq-peer-death": NOT_MEASURED,
    },
    "latency_a.json": {"mpi-shm": "holds", "mpi-ns": "does not hold"},
    "floors_small.json": {
        "mpi-shm": "holds",
        "mpi-ns": "holds only when called from C (no interpreter)",
    },
    "dissemination_group.json": {"multicast-nonmembers": "holds"},
    # the quick profile isolates the leader; no member is killed
    "cap_small.json": {"cap-payments": "holds", "replicas": NOT_MEASURED},
}


@pytest.fixture(scope="module")
def committed() -> dict:
    checked, rejected = load([DATA / name for name in COMMITTED])
    assert not rejected
    return checked


def test_golden_verdicts_on_the_committed_files(committed: dict) -> None:
    for name, expected in GOLDEN.items():
        verdicts = {c.id: v for c, v in committed[str(DATA / name)]}
        for cid, text in expected.items():
            assert verdicts[cid].text == text, (name, cid, verdicts[cid])
        measured = {cid for cid, v in verdicts.items() if v.outcome != NOT_MEASURED}
        assert measured == {cid for cid, t in expected.items() if t != NOT_MEASURED}, name
    latency = {c.id: v for c, v in committed[str(DATA / "latency_a.json")]}
    assert "64 B: TCP/shm ×5.42" in latency["mpi-shm"].figure  # 8512.75 / 1572 ns
    assert "mpi4py 1.18 µs" not in latency["mpi-ns"].figure  # buffer API, not pickle
    assert "mpi4py 1.58 µs at 1 B" in latency["mpi-ns"].figure
    floors = {c.id: v for c, v in committed[str(DATA / "floors_small.json")]}
    assert "C MPI_Send/MPI_Recv 952 ns at 64 B; mpi4py 1.79 µs at 64 B" in floors["mpi-ns"].figure
    group = {c.id: v for c, v in committed[str(DATA / "dissemination_group.json")]}
    assert "member tree 0" in group["multicast-nonmembers"].figure


def test_golden_html_section() -> None:
    from commbench.report.page.blocks import RunContext
    from commbench.report.page.sections import build_sections
    from commbench.results import load_results

    results = load_results([DATA / "rpc_small.json"])
    frame = results.table()
    contexts = [RunContext(run, i, table=frame) for i, run in enumerate(results.runs)]
    html = lecture_section(frame, contexts, build_sections(frame, contexts))
    rows = re.findall(r'<td rowspan="1" class="claim"><strong>([a-z0-9-]+)</strong>', html)
    assert rows == list(CLAIMS)
    assert html.count('class="verdict holds"') == 3  # json-rpc, byref-int, retry
    assert '<a href="#run0-rpc-byref">' in html and '<a href="#run0-rpc-faults">' in html
    assert '<a href="#run0-rpc-latency-table">' in html
    assert "latency-size" not in html  # a claim whose block is not on the page has no link
    assert "es una […]." in html


def test_the_section_is_first_on_the_page(tmp_path: Path) -> None:
    from commbench.report import render_html

    page = render_html([DATA / "rpc_small.json"], tmp_path / "r.html").read_text()
    assert page.index('<section id="lecture">') < page.index('id="machines"')
    assert page.index('<a href="#lecture">') < page.index('<a href="#machines">')
    for anchor in re.findall(r'<section id="lecture">.*?</section>', page, re.S)[0:1]:
        for target in re.findall(r'href="#([^"]+)"', anchor):
            assert f'id="{target}"' in page, target  # every link lands on the page


def test_link_falls_back_to_the_family_section() -> None:
    claim = CLAIMS["push-pull"]
    assert link_for(claim, ["family-messaging", "run0-msg-loss"]) == "family-messaging"
    assert link_for(claim, ["run1-msg-pullers", "family-messaging"]) == "run1-msg-pullers"
    assert link_for(claim, ["family-rpc"]) is None


def test_several_runs_disagree_where_they_differ() -> None:
    a = mpi_shm({64: 3.0, 4096: 2.0}).assign(file="a.json")
    b = mpi_shm({64: 2.0, 4096: 0.5}).assign(file="b.json")
    checked = claims.check_runs(pd.concat([a, b], ignore_index=True))
    assert claims.disagreements(checked) == {
        "mpi-shm": {"a.json": "holds", "b.json": "holds only when messages ≤ 64 B"}
    }
    assert "The runs disagree on mpi-shm (a.json: holds; b.json: holds only" in as_text(checked)
    same = claims.check_runs(pd.concat([a, a.assign(file="c.json")], ignore_index=True))
    assert "The runs agree on every claim they measured." in as_text(same)


def test_markdown_and_csv_have_one_row_per_claim() -> None:
    frame = CASES["retry"][HOLDS]
    text = markdown(frame)
    assert text.startswith("## The lecture, checked")
    rows = [line for line in text.splitlines() if line.startswith("| ")][1:]
    assert len(rows) == len(CLAIMS) and rows[14].startswith("| retry | holds |")
    csv = csv_rows(frame)
    assert list(csv["subject"]) == list(CLAIMS) and set(csv["family"]) == {"claims"}
    assert csv.set_index("subject").loc["retry", "claim.verdict"] == "holds"


# ------------------------------------------------------------------ the command


def test_cli_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["claims", str(DATA / "rpc_small.json")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["claim", "verdict", "figure", "conditions"]
    started = [line.split()[0] for line in out.splitlines()[2:] if line and not line[0].isspace()]
    assert started == list(CLAIMS)
    assert re.search(r"^retry\s+holds\s+success rate: tcp kill: 99.15% without", out, re.M)


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(DATA / "rpc_small.json"), str(DATA / "messaging-tiny.json")]
    assert main(["claims", "--json", *files]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["file"] for r in doc["runs"]] == files
    first = {c["id"]: c for c in doc["runs"][0]["claims"]}
    assert first["retry"]["outcome"] == "holds" and first["retry"]["quote_es"].startswith("Si la")
    assert first["mom-persistence"]["outcome"] == NOT_MEASURED
    assert doc["disagreements"] == []  # the two files measure different claims
    assert doc == as_dict(load([Path(f) for f in files])[0])


def test_cli_bad_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{ nope")
    assert main(["claims", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("commbench: error: ")
    # a bad file beside a good one: the good one is judged, the status says something failed
    assert main(["claims", str(DATA / "rpc_small.json"), str(bad)]) == 2
    captured = capsys.readouterr()
    assert "retry" in captured.out and captured.err.count("\n") == 1


def test_cli_in_a_fresh_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "commbench.cli", "claims", str(DATA / "messaging-tiny.json")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"^mom-persistence\s+holds\s", done.stdout, re.M)


def test_claims_read_no_samples(tmp_path: Path) -> None:
    """``commbench claims`` reads result files without their raw samples (the fast path),
    through simdjson and through the fallback parser alike, and judges the same."""
    from commbench.results import load_run

    doc = json.loads((DATA / "rpc_small.json").read_text())
    assert any(isinstance(b["stats"].get("data"), list) for b in doc["benchmarks"])
    nan = tmp_path / "nan.json"  # NaN: simdjson refuses it, the fallback parser reads it
    nan.write_text(
        (DATA / "rpc_small.json").read_text().replace('"min":', '"nan_here": NaN, "min":', 1)
    )
    for path in (DATA / "rpc_small.json", nan):
        light = load_run(path, samples=False)
        assert all("data" not in b["stats"] for b in light.benchmarks)
        assert [b["stats"]["median"] for b in light.benchmarks] == [
            b["stats"]["median"] for b in doc["benchmarks"]
        ]
    full = claims.check_runs(claims.claims_table([load_run(DATA / "rpc_small.json")]))
    fast, _ = load([DATA / "rpc_small.json"])
    assert [v for _, v in next(iter(full.values()))] == [v for _, v in next(iter(fast.values()))]


def test_html_marks_the_runs_that_disagree() -> None:
    from commbench.report.page.blocks import RunContext
    from commbench.results import RunFile

    a = mpi_shm({64: 3.0, 4096: 2.0}).assign(file="a.json", machine="alpha")
    b = mpi_shm({64: 2.0, 4096: 0.5}).assign(file="b.json", machine="beta")
    contexts = [
        RunContext(RunFile(Path(f), {"node": m}, "", [], {}), i)
        for i, (f, m) in enumerate((("a.json", "alpha"), ("b.json", "beta")))
    ]
    html = lecture_section(pd.concat([a, b], ignore_index=True), contexts, [])
    assert '<td rowspan="2" class="claim"><strong>mpi-shm</strong>' in html
    assert html.count('class="verdict holds differs"') == 1
    assert html.count('class="verdict partial differs"') == 1
    assert "<td>alpha</td>" in html and "<td>beta</td>" in html
    assert "The runs disagree on mpi-shm (a.json: holds; b.json: holds only when" in html


def test_json_claim_reports_connect_with_gzip_when_measured() -> None:
    from commbench.claims import json_inefficient

    without = json_inefficient(json_rows(3.0))
    assert "Connect ran without compression" in without.conditions
    gz = [
        ("rpc", fw, {"measure": "compression", "payload": "rpc", "compression": c},
         {"p50_ns": p50, "message_bytes": raw, "wire_message_bytes": wire})
        for fw, c, p50, raw, wire in (
            ("connect-json", "gzip", 3e5, 200, 150),
            ("connect-proto", "gzip", 1e5, 80, 75),
            ("connect-json", "none", 2e5, 200, 200),  # not the gzip twin: left out
        )
    ]  # fmt: skip
    with_gzip = json_inefficient(pd.concat([json_rows(3.0), table(*gz)], ignore_index=True))
    assert with_gzip.outcome == without.outcome  # context, not one of the claim's checks
    assert "Connect JSON ÷ protobuf with gzip, rpc: gzipped bytes ×2" in with_gzip.figure
    assert "p50 ×3" in with_gzip.figure
    assert "gzip shrinks the JSON message to 75%" in with_gzip.conditions


def test_a_persistent_mode_that_lost_acknowledged_messages_is_explained() -> None:
    from commbench.claims.messaging import mom_persistence
    from commbench.messaging.modes import AT_THE_ACK

    cut = {"measure": "crash", "fault": "power-cut", "persistent": True, "acks": True}
    frame = messaging(
        ("nats", {**cut, "mode": "js-default"}, {"lost": 1015}),
        ("nats", {**cut, "mode": "js-always"}, {"lost": 0}),
        ("nats", {"measure": "crash", "fault": "broker-kill", "mode": "core", "persistent": False, "acks": False}, {"lost_sent": 7}),
    )  # fmt: skip
    verdict = mom_persistence(frame)
    assert verdict.outcome == ONLY_WHEN
    assert f"nats/js-default: {AT_THE_ACK['nats/js-default']}" in verdict.conditions
    assert "js-always:" not in verdict.conditions  # it lost nothing: no excuse needed
    assert "1015 acknowledged lost" in verdict.figure
