"""The one condition under which a test is skipped: a machine with a single CPU cannot
run a busy-waiting pair (marker ``two_cpus``). Missing dependencies are failures."""

from __future__ import annotations

import pytest

from commbench.transports.placement import available_cpus


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if len(available_cpus()) >= 2:
        return
    skip = pytest.mark.skip(reason="needs two CPUs; this machine has one")
    for item in items:
        if "two_cpus" in item.keywords:
            item.add_marker(skip)
