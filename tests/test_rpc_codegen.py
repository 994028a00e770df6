"""commbench/rpc/gen/ is what commbench.rpc.codegen makes from payloads/rpc.proto today."""

from __future__ import annotations

from pathlib import Path

from commbench.rpc import codegen

ROOT = Path(__file__).resolve().parents[1]


def test_rpc_stubs_are_generated_from_rpc_proto(tmp_path: Path) -> None:
    import grpc_tools  # noqa: F401  (a dev dependency: missing is a failure, not a skip)

    written = codegen.generate(tmp_path)
    assert [p.name for p in written] == list(codegen.OUTPUTS)
    for path in written:
        committed = (ROOT / "commbench/rpc/gen" / path.name).read_text()
        assert path.read_text() == committed, f"stale {path.name}: python -m commbench.rpc.codegen"
    assert "python -m commbench.rpc.codegen" in (ROOT / "payloads/rpc.proto").read_text()


def test_generated_imports_are_package_imports() -> None:
    for name in codegen.OUTPUTS:
        text = (ROOT / "commbench/rpc/gen" / name).read_text()
        assert not codegen._FLAT_IMPORT.search(text), name
    from commbench.rpc.gen import rpc_connect, rpc_pb2, rpc_pb2_grpc

    assert rpc_pb2.Call.DESCRIPTOR.fields_by_name["id"].number == 1
    assert hasattr(rpc_pb2_grpc, "BenchStub") and hasattr(rpc_connect, "BenchClientSync")


def test_every_corpus_message_has_a_body_field() -> None:
    from commbench.corpus import builtin_payloads
    from commbench.rpc.gen import rpc_pb2
    from commbench.rpc.service import ONEOF_FIELDS

    body = {
        f.name: f.message_type.name for f in rpc_pb2.Call.DESCRIPTOR.oneofs_by_name["body"].fields
    }
    assert {v: k for k, v in ONEOF_FIELDS.items()} == body
    for payload in builtin_payloads("quick"):
        assert payload.message in ONEOF_FIELDS, payload.name
