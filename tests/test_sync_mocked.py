"""The blocking client against ``responses`` mocks: request shape and error mapping."""

from __future__ import annotations

import json

import pytest
import requests
import responses

from darkai_sdk import (
    APIConnectionError,
    AuthenticationError,
    DarkAI,
    IncompleteStreamError,
    InternalServerError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
)

pytestmark = pytest.mark.timeout(30)

URL = "https://darkai.test/chat"


def sse(*texts: str, end: bool = True) -> bytes:
    events = [{"event": "text-chunk", "data": {"text": t}} for t in texts]
    if end:
        events += [
            {"event": "final-response", "data": {"message": "".join(texts)}},
            {"event": "stream-end"},
        ]
    return "".join(f"data: {json.dumps(e)}\n\n" for e in events).encode()


@responses.activate
def test_stream_posts_query_and_model_and_yields_text() -> None:
    responses.post(URL, body=sse("Hel", "lo"), content_type="text/event-stream")
    with DarkAI(URL) as client:
        assert list(client.stream("hi", model="gpt-4o")) == ["Hel", "lo"]
    call = responses.calls[0]
    assert call.request.body is not None
    assert json.loads(call.request.body) == {"query": "hi", "model": "gpt-4o"}
    assert call.request.headers["accept"] == "text/event-stream"
    assert call.request.headers["content-type"] == "application/json"
    assert "Mozilla" in call.request.headers["user-agent"]


@responses.activate
@pytest.mark.parametrize(
    ("status", "error"),
    [(401, AuthenticationError), (403, AuthenticationError), (404, NotFoundError)],
)
def test_status_maps_to_typed_error(status: int, error: type[Exception]) -> None:
    responses.post(URL, status=status, json={"error": {"message": "nope"}})
    with DarkAI(URL, max_retries=0) as client, pytest.raises(error) as info:
        client.complete("hi")
    assert "nope" in str(info.value)


@responses.activate
def test_rate_limit_keeps_status_body_headers_and_retry_after() -> None:
    responses.post(URL, status=429, body="slow down", headers={"Retry-After": "90"})
    with DarkAI(URL, max_retries=3) as client, pytest.raises(RateLimitError) as info:
        client.complete("hi")
    err = info.value
    assert (err.status_code, err.body, err.retry_after) == (429, "slow down", 90.0)
    assert err.headers["retry-after"] == "90"
    assert len(responses.calls) == 1  # 90 s is past the 60 s cap: raised at once


@responses.activate
def test_html_error_page_is_reported_shortened() -> None:
    page = "<html><body>" + "Bad gateway " * 100 + "</body></html>"
    responses.post(URL, status=502, body=page, content_type="text/html")
    with DarkAI(URL, max_retries=0) as client, pytest.raises(InternalServerError) as info:
        client.complete("hi")
    assert len(str(info.value)) < 300
    assert info.value.body == page


@responses.activate
def test_connection_error_is_retried_then_raised() -> None:
    responses.post(URL, body=requests.ConnectionError("refused"))
    responses.post(URL, body=requests.ConnectionError("refused"))
    with DarkAI(URL, max_retries=1) as client, pytest.raises(APIConnectionError):
        client.complete("hi")
    assert len(responses.calls) == 2


@responses.activate
def test_json_200_instead_of_event_stream_is_a_protocol_error() -> None:
    responses.post(URL, json={"error": "maintenance"})
    with DarkAI(URL, max_retries=0) as client, pytest.raises(ProtocolError, match="maintenance"):
        client.complete("hi")


@responses.activate
def test_body_ending_early_keeps_partial_text() -> None:
    responses.post(URL, body=sse("Hel", "lo", end=False), content_type="text/event-stream")
    with DarkAI(URL, max_retries=0) as client, pytest.raises(IncompleteStreamError) as info:
        client.complete("hi")
    assert info.value.partial_text == "Hello"
