# GENERATED FILE: do not edit. Made by tools/unasync.py from tests/_async/test_surrogates.py;
# edit that file and run `python tools/unasync.py`.
"""Text sliced by UTF-16 code units, as JavaScript servers slice it, arrives whole."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from darkai_sdk import DarkAI, StreamIntegrityWarning
from darkai_sdk.testing import DarkAIServer, Reply

pytestmark = pytest.mark.timeout(30)

EMOJI_TEXT = "Hi 🙂! Rocket 🚀, thumbs 👍🏽, flags 🇫🇷 and 中文 café."


@pytest.fixture
def server() -> Iterator[DarkAIServer]:
    with DarkAIServer() as running:
        yield running


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7])
def test_emoji_split_into_utf16_halves_arrives_whole_without_a_warning(
    server: DarkAIServer, size: int
) -> None:
    server.reply(Reply(text=EMOJI_TEXT, chunk_size=size, chunk_units="utf-16"))
    chunks: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no false integrity warning, no lone surrogate
        with DarkAI(server.url, max_retries=0) as client:
            with client.stream("hi") as stream:
                for chunk in stream:
                    chunks.append(chunk)
                    chunk.encode("utf-8")  # printable: no lone surrogate ever given
                assert stream.text == EMOJI_TEXT
                assert stream.final_message == EMOJI_TEXT
    assert "".join(chunks) == EMOJI_TEXT


def test_a_surrogate_that_never_gets_its_pair_is_replaced_and_warned(
    server: DarkAIServer,
) -> None:
    # The text ends with the first half of an emoji: its pair never comes.
    server.reply(Reply(text="Cut \ud83d", chunk_size=2, chunk_units="utf-16"))
    with DarkAI(server.url, max_retries=0) as client:
        with pytest.warns(StreamIntegrityWarning, match="1 unpaired UTF-16 surrogate"):
            text = client.complete("hi")
    assert text == "Cut \ufffd"


def test_a_lone_low_surrogate_amid_text_is_replaced_and_warned(server: DarkAIServer) -> None:
    server.reply(Reply(text="a\ude42b", chunk_size=1, chunk_units="utf-16"))
    with DarkAI(server.url, max_retries=0) as client:
        with pytest.warns(StreamIntegrityWarning, match="unpaired UTF-16 surrogate"):
            text = client.complete("hi")
    assert text == "a\ufffdb"
