"""darkai_sdk.testing.MockTransport: a handler answers each request in memory, for both clients."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from darkai_sdk import (
    DEFAULT_MODEL,
    APIConnectionError,
    AsyncDarkAI,
    BadRequestError,
    IncompleteStreamError,
    InternalServerError,
    ProtocolError,
    RateLimitError,
    RequestInfo,
    ResponseInfo,
    ServerEventError,
    StreamIntegrityWarning,
)
from darkai_sdk.testing import (
    MockAnswer,
    MockEvent,
    MockResponse,
    MockTransport,
    RecordedRequest,
    Reply,
)

from ._support import TEXT

pytestmark = pytest.mark.timeout(30)

END: list[MockEvent] = [
    {"event": "final-response", "data": {"message": "Hello"}},
    {"event": "stream-end"},
]


def answers(*scripted: MockAnswer) -> MockTransport:
    """A mock answering the requests in turn with ``scripted``, then failing the test."""
    queue: Iterator[MockAnswer] = iter(scripted)

    def handler(request: RecordedRequest) -> MockAnswer:
        return next(queue)

    return MockTransport(handler)


async def test_a_list_of_events_is_the_reply_and_the_request_is_recorded() -> None:
    mock = answers(["Hel", "lo", *END])
    async with AsyncDarkAI(transport=mock) as c:
        async with c.stream([{"role": "user", "content": "hi"}], extra_body={"x": 1}) as stream:
            chunks = [chunk async for chunk in stream]
    assert chunks == ["Hel", "lo"]
    assert (stream.text, stream.final_message, stream.done) == ("Hello", "Hello", True)
    (request,) = mock.requests
    assert (request.method, request.path, request.prompt) == ("POST", "/chat", "hi")
    assert request.model == DEFAULT_MODEL
    assert request.json == {"query": "hi", "model": DEFAULT_MODEL, "x": 1}
    assert request.headers["accept"] == "text/event-stream"
    assert request.peer is None


async def test_a_reply_plays_as_the_local_server_plays_it() -> None:
    mock = answers(Reply(text=TEXT, chunk_size=5), Reply())
    async with AsyncDarkAI(transport=mock) as c:
        async with c.stream("first") as stream:
            chunks = [chunk async for chunk in stream]
        echo = await c.complete("second", model="gpt-4o")
    assert chunks == [TEXT[i : i + 5] for i in range(0, len(TEXT), 5)]
    assert stream.final_message == TEXT
    assert echo.endswith('(model gpt-4o). You said: "second"')  # the default echo reply


async def test_status_headers_and_body_bytes() -> None:
    error = MockResponse(
        status=503,
        headers={"Content-Type": "application/json", "X-Request-ID": "m-1"},
        body=json.dumps({"error": {"message": "the model is busy"}}).encode(),
    )
    async with AsyncDarkAI(transport=answers(error), max_retries=0) as c:
        with pytest.raises(InternalServerError, match="the model is busy") as info:
            await c.complete("hi")
    assert (info.value.status_code, info.value.request_id) == (503, "m-1")


async def test_a_429_with_retry_after_is_retried_and_seen_by_the_hooks() -> None:
    mock = answers(Reply(status=429, retry_after=0), ["Hel", "lo", *END])
    seen: list[RequestInfo | ResponseInfo] = []
    async with AsyncDarkAI(transport=mock, on_request=seen.append, on_response=seen.append) as c:
        async with c.stream("hi") as stream:
            assert await stream.until_done() == "Hello"
    assert stream.retries == 1 and stream.metrics.retries == 1
    statuses = [info.status_code for info in seen if isinstance(info, ResponseInfo)]
    assert statuses == [429, 200]
    assert [info.attempt for info in seen] == [0, 0, 1, 1]
    assert len(mock.requests) == 2


async def test_headers_and_request_id_of_a_mocked_stream() -> None:
    mock = answers(MockResponse(headers={"X-Request-ID": "abc"}, body=["Hi", *END]))
    async with AsyncDarkAI(transport=mock) as c:
        async with c.stream("hi") as stream:
            with pytest.warns(StreamIntegrityWarning):  # "Hi" is not the final "Hello"
                await stream.until_done()
    assert (stream.status_code, stream.request_id) == (200, "abc")
    assert stream.headers["Content-Type"] == "text/event-stream"  # added for a list of events


async def test_events_without_stream_end_are_a_reply_cut_short() -> None:
    async with AsyncDarkAI(transport=answers(["Hel", "lo"]), max_retries=3) as c:
        with pytest.raises(IncompleteStreamError) as info:
            await c.complete("hi")
    assert info.value.partial_text == "Hello"


async def test_an_error_event_and_raw_bytes() -> None:
    error: list[MockEvent] = [
        "Hi",
        {"event": "error", "data": {"message": "model failed"}},
        {"event": "stream-end"},
    ]
    malformed: list[MockEvent] = ["Hi", b'data: {"event": "text-chunk", "data": {"text": \n\n']
    async with AsyncDarkAI(transport=answers(error, malformed)) as c:
        with pytest.raises(ServerEventError, match="model failed") as info:
            await c.complete("hi")
        assert info.value.partial_text == "Hi"
        with pytest.raises(ProtocolError) as broken:
            await c.complete("hi")
        assert broken.value.partial_text == "Hi"


@pytest.mark.parametrize(
    ("reply", "error", "partial"),
    [
        (Reply(text=TEXT, chunk_size=4, cut_after=2), IncompleteStreamError, TEXT[:8]),
        (Reply(text=TEXT, chunk_size=4, truncate_after=3), IncompleteStreamError, TEXT[:12]),
        (Reply(text=TEXT, chunk_size=4, malformed_after=1), ProtocolError, TEXT[:4]),
        (Reply(text=TEXT, chunk_size=4, error_after=2), ServerEventError, TEXT[:8]),
    ],
    ids=["cut", "truncate", "malformed", "error-event"],
)
async def test_the_reply_faults_that_live_in_the_body(
    reply: Reply, error: type[Exception], partial: str
) -> None:
    async with AsyncDarkAI(transport=answers(reply), max_retries=2) as c:
        with pytest.raises(error) as info:
            await c.complete("hi")
    assert getattr(info.value, "partial_text", None) == partial


async def test_a_handler_that_raises_a_connection_error_fails_as_the_network_would() -> None:
    calls: list[str] = []

    def handler(request: RecordedRequest) -> MockAnswer:
        calls.append(request.prompt or "")
        if len(calls) == 1:
            raise APIConnectionError("could not connect: the mock is down")
        return ["Hel", "lo", *END]

    async with AsyncDarkAI(transport=MockTransport(handler)) as c:
        assert await c.complete("hi") == "Hello"
    assert calls == ["hi", "hi"]


async def test_a_redirect_is_followed_and_an_echoing_reply_is_masked() -> None:
    mock = answers(
        Reply(redirect="/chat?moved=1"),
        Reply(status=400, echo_header="Authorization"),
    )
    async with AsyncDarkAI(
        transport=mock, headers={"Authorization": "Bearer sk-mock-123456"}, max_retries=0
    ) as c:
        with pytest.raises(BadRequestError) as info:
            await c.complete("hi")
    assert [request.query_string for request in mock.requests] == ["", "moved=1"]
    assert "sk-mock-123456" not in str(info.value)


async def test_the_handler_may_be_a_coroutine_function_on_the_async_client() -> None:
    # In the generated sync twin this is a plain function: both clients take one.
    async def handler(request: RecordedRequest) -> MockAnswer:
        return Reply(text=f"you said {request.prompt}")

    async with AsyncDarkAI(transport=MockTransport(handler)) as c:
        assert await c.complete("hi") == "you said hi"


async def test_with_options_copies_use_the_same_mock() -> None:
    mock = answers(Reply(text="one"), Reply(text="two"))
    async with AsyncDarkAI(transport=mock) as c:
        copy = c.with_options(headers={"X-Copy": "1"})
        assert await copy.complete("a") == "one"
        assert await c.complete("b") == "two"
    assert [request.headers.get("X-Copy") for request in mock.requests] == ["1", None]


async def test_a_rate_limit_over_the_cap_raises_with_its_wait() -> None:
    async with AsyncDarkAI(transport=answers(Reply(status=429, retry_after=90))) as c:
        with pytest.raises(RateLimitError) as info:
            await c.complete("hi")
    assert info.value.retry_after == 90


@pytest.mark.parametrize(
    ("reply", "field"),
    [
        (Reply(delay=0.1), "delay"),
        (Reply(stall_after=1), "stall_after"),
        (Reply(gzip=True), "gzip"),
        (Reply(http_chunk_size=1), "http_chunk_size"),
        (Reply(interim=(103,)), "interim"),
    ],
)
async def test_a_reply_that_needs_a_socket_is_refused(reply: Reply, field: str) -> None:
    async with AsyncDarkAI(transport=answers(reply)) as c:
        with pytest.raises(ValueError, match=f"{field}=.*use DarkAIServer"):
            await c.complete("hi")


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("Hello", r"got str \(for a whole reply return Reply\(text\)\)"),
        (42, "must return a Reply, a MockResponse or a list of events, got int"),
        ([3.5], "an event must be a str"),
    ],
)
async def test_a_handler_answer_of_the_wrong_type_is_a_type_error(
    answer: Any, message: str
) -> None:
    async with AsyncDarkAI(transport=MockTransport(lambda request: answer)) as c:
        with pytest.raises(TypeError, match=message):
            await c.complete("hi")


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"status": 99}, ValueError, "200-599"),
        ({"status": "200"}, TypeError, "status must be an int"),
        ({"headers": {"X-A": 1}}, TypeError, "mapping of str to str"),
        ({"body": "text"}, TypeError, "body must be bytes or a list of events"),
    ],
)
def test_mock_response_checks_its_fields(
    arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        MockResponse(**arguments)


def test_mock_transport_needs_a_callable_handler() -> None:
    with pytest.raises(TypeError, match="handler must be callable"):
        MockTransport("not a function")  # type: ignore[arg-type]
