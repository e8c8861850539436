# GENERATED FILE: do not edit. Made by tools/unasync.py from tests/_async/test_unsendable.py;
# edit that file and run `python tools/unasync.py`.
"""Text that UTF-8 cannot carry is refused by name before anything is sent, in both twins."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from darkai_sdk import DarkAI
from darkai_sdk.testing import DarkAIServer

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def server() -> Iterator[DarkAIServer]:
    with DarkAIServer() as running:
        yield running


@pytest.mark.parametrize(
    "messages",
    ["caf\udcff", [{"role": "user", "content": "smile \ud83d"}]],
    ids=["argv-byte", "half-a-pair"],
)
def test_a_prompt_with_a_lone_surrogate_is_refused_naming_the_prompt(
    server: DarkAIServer, messages: str | list[dict[str, str]]
) -> None:
    with DarkAI(server.url, max_retries=0) as client:
        with pytest.raises(ValueError, match=r"^the prompt holds a lone surrogate, U\+D") as info:
            client.stream(messages)
        assert "extra_body" not in str(info.value)
        with pytest.raises(ValueError, match=r"^the prompt holds"):
            client.complete(messages)
    assert server.requests == []


def test_extra_body_with_a_lone_surrogate_is_refused_naming_extra_body(
    server: DarkAIServer,
) -> None:
    with DarkAI(server.url, max_retries=0) as client:
        with pytest.raises(ValueError, match=r"^extra_body holds a lone surrogate, U\+DCFF"):
            client.stream("hi", extra_body={"note": "\udcff"})
    assert server.requests == []
