"""Generate the rpc family's stubs from payloads/rpc.proto: ``python -m commbench.rpc.codegen``.

grpc_tools.protoc writes flat imports (``import corpus_pb2``); they are rewritten into
package imports, so the committed files in commbench/rpc/gen/ import as part of
commbench. tests/test_rpc_codegen.py regenerates into a temporary folder and
compares byte for byte.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROTO = "rpc.proto"
OUTPUTS = ("rpc_pb2.py", "rpc_pb2_grpc.py", "rpc_connect.py")
PACKAGES = {"corpus_pb2": "commbench.codecs", "rpc_pb2": "commbench.rpc.gen"}
_FLAT_IMPORT = re.compile(r"^import (\w+_pb2) as (\w+)$", re.MULTILINE)


def _package_import(match: re.Match[str]) -> str:
    module, alias = match.groups()
    return f"from {PACKAGES[module]} import {module} as {alias}"


def plugin_path() -> str:
    """The protoc-gen-connect-python executable: next to this Python, or on PATH."""
    beside = Path(sys.executable).with_name("protoc-gen-connect-python")
    found = str(beside) if beside.exists() else shutil.which("protoc-gen-connect-python")
    if not found:
        raise RuntimeError("protoc-gen-connect-python is not installed")
    return found


def generate(out_dir: Path) -> list[Path]:
    """Write the stubs of payloads/rpc.proto into *out_dir*; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as raw:
        command = [sys.executable, "-m", "grpc_tools.protoc", "-Ipayloads"]
        command += [f"--python_out={raw}", f"--grpc_python_out={raw}"]
        command += [f"--plugin=protoc-gen-connect-python={plugin_path()}"]
        command += [f"--connect-python_out={raw}", f"payloads/{PROTO}"]
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        written = []
        for name in OUTPUTS:
            text = _FLAT_IMPORT.sub(_package_import, (Path(raw) / name).read_text())
            target = out_dir / name
            target.write_text(text)
            written.append(target)
    return written


def main() -> int:
    for path in generate(ROOT / "commbench/rpc/gen"):
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
