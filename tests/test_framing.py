"""Length-prefixed frames: exact decoding, and refusal before allocation (fuzzed)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commbench.transports.framing import (
    HEADER,
    FrameDecoder,
    FrameError,
    FrameTooLarge,
    encode_frame,
)


@given(st.lists(st.binary(max_size=300), max_size=20), st.data())
def test_frames_survive_any_split_of_the_stream(frames: list[bytes], data: st.DataObject) -> None:
    stream = b"".join(encode_frame(f) for f in frames)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    decoder = FrameDecoder(max_frame_bytes=300)
    got: list[bytes] = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)]):
        got += decoder.feed(stream[start:end])
    assert got == frames
    assert decoder.pending_bytes == 0


@given(st.binary(max_size=2000))
def test_garbage_never_crashes_and_never_over_allocates(garbage: bytes) -> None:
    decoder = FrameDecoder(max_frame_bytes=64)
    try:
        frames = decoder.feed(garbage)
    except FrameTooLarge:
        return  # refused on the header: fine
    assert all(len(f) <= 64 for f in frames)
    assert decoder.pending_bytes < 4 + 64  # never buffers more than one allowed frame


def test_oversized_header_is_refused_before_the_body_arrives() -> None:
    decoder = FrameDecoder(max_frame_bytes=1024)
    with pytest.raises(FrameTooLarge, match="4294967295 bytes announced, maximum is 1024"):
        decoder.feed(HEADER.pack(2**32 - 1))  # header only: nothing of the body yet
    assert issubclass(FrameTooLarge, FrameError)


def test_a_truncated_frame_waits_for_the_rest() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(encode_frame(b"hello")[:-2]) == []
    assert decoder.pending_bytes == 4 + 3
    assert decoder.feed(b"lo") == [b"hello"]
