"""Rows of a tidy frame as read-only mappings, for the loops that build tables.

The tidy table is wide (one column per param and metric of every family: 361 in a full
run), so ``iterrows`` (a Series per row) and ``to_dict("records")`` (a dict of every
column per row) spend most of a report's table time on columns nobody reads. A
:class:`Row` reads a column only when asked, and each column is converted once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd


class _Columns:
    """The frame's columns as Python lists (``Series.tolist``), each made on first use."""

    __slots__ = ("_frame", "_lists")

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame
        self._lists: dict[str, list[Any]] = {}

    @property
    def names(self) -> pd.Index:
        return self._frame.columns

    def get(self, key: str) -> list[Any]:
        values = self._lists.get(key)
        if values is None:
            if key not in self.names:
                raise KeyError(key)
            values = self._lists[key] = self._frame[key].tolist()
        return values


class Row(Mapping[str, Any]):
    """One row: ``row[column]`` (KeyError for a column the frame lacks), ``row.get``."""

    __slots__ = ("_columns", "_index")

    def __init__(self, columns: _Columns, index: int) -> None:
        self._columns = columns
        self._index = index

    def __getitem__(self, key: str) -> Any:
        return self._columns.get(key)[self._index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns.names)

    def __len__(self) -> int:
        return len(self._columns.names)


def records(frame: pd.DataFrame) -> Iterator[Row]:
    """The rows of *frame* in order, values as ``Series.tolist`` gives them (Python
    floats, ints and str; NaN where missing; objects such as sample arrays as they are)."""
    columns = _Columns(frame)
    return (Row(columns, i) for i in range(len(frame)))
