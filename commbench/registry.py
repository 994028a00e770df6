"""Registries built from modules: each module of a family lists its entries in one attribute."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any


def collect(package: str, modules: Iterable[str], attribute: str) -> dict[str, Any]:
    """``{entry.name: entry}`` over ``package.module.<attribute>`` for every module.

    A module that does not exist is left out (its family simply has fewer entries); a
    module that exists but fails to import is an error, not a silent gap.
    """
    entries: dict[str, Any] = {}
    for name in modules:
        qualified = f"{package}.{name}"
        try:
            module = importlib.import_module(qualified)
        except ModuleNotFoundError as exc:
            if exc.name != qualified:
                raise
            continue
        for entry in getattr(module, attribute):
            entries[entry.name] = entry
    return entries
