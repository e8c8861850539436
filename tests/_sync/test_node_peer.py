# GENERATED FILE: do not edit. Made by tools/unasync.py from tests/_async/test_node_peer.py;
# edit that file and run `python tools/unasync.py`.
"""Both clients against a real Node.js server: its JSON, its chunking, its string slicing.

The server (tests/peers/darkai_server.mjs) echoes the prompt, so every text
crosses two JSON implementations each way: ours encodes the request and Node's
``JSON.parse`` reads it; Node's ``JSON.stringify`` writes the events and ours
read them. Text is sliced by UTF-16 code units, one ``res.write()`` (one HTTP
chunk) per event.
"""

from __future__ import annotations

import warnings

import pytest
from node_peer import at

from darkai_sdk import DarkAI, IncompleteStreamError, RateLimitError, Timeout
from darkai_sdk._transports._requests import sleep

pytestmark = pytest.mark.timeout(60)

FAST = Timeout(connect=5, read=10, total=30)
# What JSON escapes, both ways: quotes, backslashes, control characters, and
# characters outside the BMP (two UTF-16 units: sliced apart by a small `units`).
TEXT = (
    'Say "hi" \\ path C:\\x\\y\n\ttab, bell \x07, NUL-free, U+2028 \u2028 and U+2029 \u2029; '
    "café 中文 ✓, emoji 🙂🚀👍🏽, flag 🇫🇷, math \U0001d518\U0001d52b (astral), </script> & <b>"
)


@pytest.mark.parametrize("units", [1, 2, 3, 4, 64])
def test_text_sliced_by_utf16_units_arrives_exact(node_url: str, units: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no integrity warning, no surrogate replaced
        with DarkAI(at(node_url, units=units), max_retries=0, timeout=FAST) as client:
            chunks: list[str] = []
            with client.stream(TEXT) as stream:
                for chunk in stream:
                    chunk.encode("utf-8")  # never half an emoji
                    chunks.append(chunk)
            assert stream.done and stream.final_message == TEXT
    assert "".join(chunks) == TEXT


def test_crlf_line_ends_and_a_long_reply_arrive_exact(node_url: str) -> None:
    text = TEXT * 200
    with DarkAI(at(node_url, units=5, crlf=1), max_retries=0, timeout=FAST) as client:
        assert client.complete(text) == text


def test_a_socket_destroyed_mid_reply_is_reported_with_the_text_before(
    node_url: str,
) -> None:
    with DarkAI(at(node_url, units=4, cut_after=5), max_retries=3, timeout=FAST) as c:
        with pytest.raises(IncompleteStreamError) as caught:
            c.complete(TEXT)
    assert caught.value.partial_text == TEXT[:20]


def test_an_error_status_from_node_is_typed_with_its_body(node_url: str) -> None:
    with DarkAI(at(node_url, status=429), max_retries=0, timeout=FAST) as client:
        with pytest.raises(RateLimitError) as caught:
            client.complete("hi")
    assert caught.value.status_code == 429
    assert "node says 429" in str(caught.value.body)


def test_one_client_reuses_its_connection_to_node(node_url: str) -> None:
    served_on = set()
    with DarkAI(at(node_url, units=8), max_retries=0, timeout=FAST) as client:
        for n in range(5):
            with client.stream(f"reply {n}: {TEXT}") as stream:
                assert "".join([chunk for chunk in stream]) == f"reply {n}: {TEXT}"
            served_on.add(stream.headers["x-connection"])
    assert len(served_on) == 1


def test_a_pooled_connection_node_closed_when_idle_is_not_an_error(node_url: str) -> None:
    # Node closes a keep-alive connection idle for keepAliveTimeout (300 ms here):
    # the next request must open a new one, not fail, even with no retry allowed.
    served_on: list[str] = []
    with DarkAI(at(node_url, units=8), max_retries=0, timeout=FAST) as client:
        for prompt in ("first", "second"):
            if served_on:
                sleep(2.0)  # Node 20 waits about a second more than keepAliveTimeout
            with client.stream(prompt) as stream:
                assert [chunk for chunk in stream] == [prompt]
            served_on.append(stream.headers["x-connection"])
    assert served_on[0] != served_on[1]
