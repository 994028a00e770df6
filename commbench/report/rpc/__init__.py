"""The rpc section: calls end to end, under load, their marshalling share, by value
against by reference, under server crashes, and against their references.

Each builder takes the ``rpc`` rows of ONE result file (tidy table: params as columns,
metrics as ``metric.<name>``) and its :class:`RunContext`, and returns blocks; a builder
whose data is missing returns nothing. With several result files, :data:`ACROSS_BUILDERS`
draw every run in one figure and the per-run figures give way to them. Ratios, not
absolute times, are the figures to compare across machines. Figures are drawn with the
report's plotting helpers (:mod:`commbench.report.plotting`), never through pyplot.

- :mod:`.calls`: latency against size, the latency table, marshalling share, ratios,
  load, TLS;
- :mod:`.checks`: references, by value against by reference, faults, not measured;
- :mod:`.runs`: several runs side by side.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from commbench.report.page.blocks import Block, RunContext
from commbench.report.rpc.calls import (
    latency_block,
    latency_table_block,
    load_block,
    marshalling_block,
    ratios_block,
    tls_block,
)
from commbench.report.rpc.checks import (
    byref_block,
    fault_table_block,
    fault_timeline_block,
    references_block,
    unsupported_note,
)
from commbench.report.rpc.compression import compression_block
from commbench.report.rpc.runs import ACROSS_BUILDERS

Builder = Callable[[pd.DataFrame, RunContext], list[Block]]

BUILDERS: list[Builder] = [
    latency_block,
    latency_table_block,
    marshalling_block,
    ratios_block,
    load_block,
    references_block,
    byref_block,
    fault_timeline_block,
    fault_table_block,
    tls_block,
    compression_block,
    unsupported_note,
]
"""The rpc section, in page order: ``(rows, ctx) -> list[Block]`` each."""

__all__ = ["ACROSS_BUILDERS", "BUILDERS", "byref_block", "references_block", "unsupported_note"]
