"""Users' own payloads: JSON files given with --payload or dropped into payloads/.

A file that cannot be a payload (missing, empty, binary, not JSON, too large for
memory) raises UserError with one line naming the file and the problem; the
caller reports it and benchmarks the other payloads.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from commbench.corpus import Payload
from commbench.errors import UserError

PAYLOAD_DIR = Path(__file__).resolve().parents[1] / "payloads"

DECODED_BYTES_PER_FILE_BYTE = 20
"""A decoded JSON document takes up to ~20x its text in Python objects, and the
codecs hold several encoded copies: a file is refused when that would not fit in
the memory available now."""


def available_memory_bytes() -> int:
    """MemAvailable from /proc/meminfo (or a conservative 1 GiB if unknown)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 1 << 30


def load_user_payload(path: Path | str, *, memory_bytes: int | None = None) -> Payload:
    """Read *path* as a JSON payload, or raise UserError saying why it cannot be one."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise UserError(f"payload {path}: no such file") from None
    except OSError as exc:
        raise UserError(f"payload {path}: cannot read: {exc.strerror}") from None
    if path.is_dir():
        raise UserError(f"payload {path}: is a directory, not a JSON file")
    if size == 0:
        raise UserError(f"payload {path}: empty file (a payload must be one JSON document)")
    memory = available_memory_bytes() if memory_bytes is None else memory_bytes
    if size * DECODED_BYTES_PER_FILE_BYTE > memory:
        raise UserError(
            f"payload {path}: too large for memory ({size / 2**20:.0f} MiB of JSON needs about "
            f"{size * DECODED_BYTES_PER_FILE_BYTE / 2**30:.1f} GiB, "
            f"{memory / 2**30:.1f} GiB available)"
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"payload {path}: cannot read: {exc.strerror}") from None
    if b"\x00" in raw[:8192]:
        raise UserError(f"payload {path}: binary file, not JSON text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(
            f"payload {path}: not UTF-8 text (byte {exc.start}): binary file, not JSON"
        ) from None
    if not text.strip():
        raise UserError(f"payload {path}: only white space (a payload must be one JSON document)")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"payload {path}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise UserError(f"payload {path}: nested too deeply for Python's JSON parser") from None
    return Payload(
        name=f"user-{path.stem}",
        value=value,
        message=None,
        source="user",
        description=f"user payload {path.name}",
        params={"file": str(path), "file_bytes": size},
    )


def dropped_payload_files(directory: Path = PAYLOAD_DIR) -> list[Path]:
    """JSON files a user has put into payloads/ (benchmarked like --payload files)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*.json") if not p.name.startswith("."))


def resolve_payload_args(paths: list[str], *, include_dropped: bool = True) -> list[Path]:
    """The --payload files plus those in payloads/, without duplicates, in order."""
    seen: dict[str, Path] = {}
    dropped = dropped_payload_files() if include_dropped else []
    for p in [*map(Path, paths), *dropped]:
        seen.setdefault(os.path.realpath(p), p)
    return list(seen.values())
