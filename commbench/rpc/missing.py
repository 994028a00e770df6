"""A framework with no adapter yet: every use is an unsupported row with the reason."""

from __future__ import annotations

UNSUPPORTED = "no adapter for this framework yet"
ENCODING = "none"
