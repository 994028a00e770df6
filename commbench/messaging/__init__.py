"""Messaging middleware: brokers as private processes, producers and consumers as
separate processes, the ledger of sent/acknowledged/delivered/lost messages and the
crash scenarios that fill it (issue 13)."""

from __future__ import annotations


class Unsupported(Exception):
    """A system or mode that cannot run here (missing binary, failed start); one line."""
