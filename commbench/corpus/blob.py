"""A binary blob: 64 KiB of random bytes with a name and a content type."""

from __future__ import annotations

import random

from commbench.corpus import Payload

BLOB_BYTES = 64 * 1024


def generate(seed: int) -> Payload:
    """``{name, content_type, data}`` with *data* random bytes (message ``Blob``)."""
    rng = random.Random(seed)
    return Payload(
        name="blob",
        value={
            "name": f"upload-{rng.randrange(10**6):06d}.bin",
            "content_type": "application/octet-stream",
            "data": rng.randbytes(BLOB_BYTES),
        },
        message="Blob",
        source="builtin",
        description="64 KiB of random bytes (JSON codecs send them as base64 text)",
        params={"seed": seed, "data_bytes": BLOB_BYTES},
    )
