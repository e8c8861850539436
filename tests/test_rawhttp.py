"""The test server's HTTP-level fault modes: Reply checks and the bytes it frames by hand."""

from __future__ import annotations

from typing import Any

import pytest

from darkai_sdk._transports._http1 import ChunkedBody
from darkai_sdk.testing import Reply
from darkai_sdk.testing._rawhttp import ChunkedWire, interim_head, writes_own_framing

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize(
    "fields",
    [
        {"http_chunk_size": 0},
        {"http_chunk_size": True},
        {"drip_chunk_lines": -1},
        {"drip_trailers": -0.5},
        {"after_reply_delay": -1},
        {"chunk_extension": "a\r\nb"},
        {"trailers": {"X-A": "line\nbreak"}},
        {"interim": (101,)},
        {"interim": (200,)},
        {"bad_chunk_after": -1},
    ],
)
def test_bad_http_fault_settings_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Reply(**fields)


def test_bytes_fields_must_be_bytes() -> None:
    with pytest.raises(TypeError):
        Reply(after_reply="not bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Reply(bad_chunk_line="zz")  # type: ignore[arg-type]


def test_interim_is_kept_as_a_tuple() -> None:
    statuses = [102, 103]
    reply = Reply(interim=statuses)
    statuses.append(199)
    assert reply.interim == (102, 103)


def test_only_http_level_faults_make_the_server_frame_the_body() -> None:
    assert not writes_own_framing(Reply())
    assert not writes_own_framing(Reply(gzip=True, write_size=3, interim=(103,)))
    for fields in (
        {"http_chunk_size": 1},
        {"chunk_extension": "a"},
        {"trailers": {"X": "y"}},
        {"drip_chunk_lines": 0.1},
        {"bad_chunk_after": 0},
        {"after_reply": b"x"},
    ):
        assert writes_own_framing(Reply(**fields))


def test_interim_heads_are_whole_responses() -> None:
    assert interim_head(102) == b"HTTP/1.1 102 Processing\r\n\r\n"
    assert interim_head(103).startswith(b"HTTP/1.1 103 Early Hints\r\nLink: ")
    assert interim_head(103).endswith(b"\r\n\r\n")
    assert interim_head(150) == b"HTTP/1.1 150 Interim\r\n\r\n"


class _Collect:
    """A stand-in for aiohttp's writer that keeps what is written."""

    def __init__(self) -> None:
        self.written: list[bytes] = []

    async def write(self, data: bytes) -> None:
        self.written.append(bytes(data))


async def _never(seconds: float | None) -> bool:
    return False


@pytest.mark.parametrize("size", [1, 2, 5, None])
@pytest.mark.parametrize("extension", ["", "a=1"])
async def test_hand_framed_chunks_de_chunk_to_the_body(size: int | None, extension: str) -> None:
    reply = Reply(http_chunk_size=size, chunk_extension=extension, trailers={"X-Sum": "1"})
    sink = _Collect()
    wire = ChunkedWire(sink, reply, _never)  # type: ignore[arg-type]
    await wire.write(b"hello ")
    await wire.write(b"chunked world")
    await wire.write_eof()
    framed = b"".join(sink.written)
    body = ChunkedBody()
    assert body.feed(framed) == b"hello chunked world"
    assert body.done and not body.leftover
    if size == 1:
        assert framed.startswith(b"1;a=1\r\nh\r\n" if extension else b"1\r\nh\r\n")
    assert framed.endswith(b"X-Sum: 1\r\n\r\n")


async def test_bytes_after_the_reply_go_in_the_same_write_as_its_end() -> None:
    sink = _Collect()
    wire = ChunkedWire(sink, Reply(after_reply=b"EXTRA"), _never)  # type: ignore[arg-type]
    await wire.write(b"data")
    await wire.write_eof()
    assert sink.written[-1] == b"0\r\n\r\nEXTRA"
