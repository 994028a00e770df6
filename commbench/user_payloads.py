"""Users' own payloads: JSON files given with --payload or dropped into payloads/.

A file that cannot be a payload (missing, empty, binary, not JSON, too large for
memory) raises UserError with one line naming the file and the problem; the
caller reports it and benchmarks the other payloads.
"""

from __future__ import annotations

import os
from pathlib import Path

from commbench.corpus import Payload
from commbench.errors import UserError
from commbench.jsonfile import read_json

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
    # the size is checked before reading; missing, unreadable or empty: read_json says so
    size = path.stat().st_size if path.is_file() else 0
    memory = available_memory_bytes() if memory_bytes is None else memory_bytes
    if size * DECODED_BYTES_PER_FILE_BYTE > memory:
        raise UserError(
            f"payload {path}: too large for memory ({size / 2**20:.0f} MiB of JSON needs about "
            f"{size * DECODED_BYTES_PER_FILE_BYTE / 2**30:.1f} GiB, "
            f"{memory / 2**30:.1f} GiB available)"
        )
    value = read_json(path, f"payload {path}")
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
