"""Text that UTF-8 cannot carry is refused by name before anything is sent, in both twins."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from darkai_sdk import AsyncDarkAI
from darkai_sdk.testing import DarkAIServer

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
async def server() -> AsyncIterator[DarkAIServer]:
    async with DarkAIServer() as running:
        yield running


@pytest.mark.parametrize(
    "messages",
    ["caf\udcff", [{"role": "user", "content": "smile \ud83d"}]],
    ids=["argv-byte", "half-a-pair"],
)
async def test_a_prompt_with_a_lone_surrogate_is_refused_naming_the_prompt(
    server: DarkAIServer, messages: str | list[dict[str, str]]
) -> None:
    async with AsyncDarkAI(server.url, max_retries=0) as client:
        with pytest.raises(ValueError, match=r"^the prompt holds a lone surrogate, U\+D") as info:
            client.stream(messages)
        assert "extra_body" not in str(info.value)
        with pytest.raises(ValueError, match=r"^the prompt holds"):
            await client.complete(messages)
    assert server.requests == []


async def test_extra_body_with_a_lone_surrogate_is_refused_naming_extra_body(
    server: DarkAIServer,
) -> None:
    async with AsyncDarkAI(server.url, max_retries=0) as client:
        with pytest.raises(ValueError, match=r"^extra_body holds a lone surrogate, U\+DCFF"):
            client.stream("hi", extra_body={"note": "\udcff"})
    assert server.requests == []
