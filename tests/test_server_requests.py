"""The test server's requests: validation, scripted replies and the record of what came."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from wire_support import RawResponse, chat_body, chunk_texts, darkai_events, exchange

from darkai_sdk.testing import DEFAULT_MODELS, DarkAIServer, Reply, default_reply_text

pytestmark = pytest.mark.timeout(30)


# -- request validation ---------------------------------------------------------------


def error_of(response: RawResponse) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/json"
    error: dict[str, Any] = json.loads(response.body)["error"]
    assert isinstance(error["message"], str) and isinstance(error["type"], str)
    return error


def test_get_is_405_with_allow_post(server: DarkAIServer) -> None:
    response = exchange(server.port, b"", method="GET")
    assert response.status == 405
    assert response.headers["allow"] == "POST"
    error_of(response)


def test_other_paths_are_404(server: DarkAIServer) -> None:
    for path in ("/", "/chat/", "/v1/chat"):
        response = exchange(server.port, path=path)
        assert response.status == 404
        assert error_of(response)["type"] == "not_found_error"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (b"{not json", None),
        (b"\xff\xfe", None),
        (b"[1, 2]", None),
        (b"null", None),
        (b'{"model": "gpt-4o"}', "query"),
        (b'{"query": "", "model": "gpt-4o"}', "query"),
        (b'{"query": 5, "model": "gpt-4o"}', "query"),
        (b'{"query": "hi"}', "model"),
        (b'{"query": "hi", "model": null}', "model"),
    ],
)
def test_bad_bodies_are_400(server: DarkAIServer, body: bytes, param: str | None) -> None:
    response = exchange(server.port, body)
    assert response.status == 400
    error = error_of(response)
    assert error["type"] == "invalid_request_error"
    assert error.get("param") == param


def test_unknown_model_is_400_naming_it_and_listing_models(server: DarkAIServer) -> None:
    response = exchange(server.port, chat_body(model="llama-3.1-70b"))
    assert response.status == 400
    error = error_of(response)
    assert "'llama-3.1-70b'" in error["message"]
    assert all(model in error["message"] for model in DEFAULT_MODELS)
    assert error["supported_models"] == list(DEFAULT_MODELS)


def test_models_can_be_configured_or_unchecked() -> None:
    with DarkAIServer(models=["my-model"]) as server:
        assert exchange(server.port, chat_body(model="my-model")).status == 200
        assert exchange(server.port, chat_body(model="gpt-4o")).status == 400
    with DarkAIServer(models=None) as server:
        assert exchange(server.port, chat_body(model="anything")).status == 200


def test_invalid_requests_do_not_use_up_scripted_replies(server: DarkAIServer) -> None:
    server.enqueue("scripted")
    assert exchange(server.port, b"{").status == 400
    assert chunk_texts(darkai_events(exchange(server.port).body)) == ["scri", "pted"]


# -- scripting and recording ----------------------------------------------------------


def reply_text(port: int) -> str:
    response = exchange(port)
    assert response.status == 200
    return "".join(chunk_texts(darkai_events(response.body)))


def test_enqueue_goes_before_the_default_which_reply_sets(server: DarkAIServer) -> None:
    server.reply("default")
    server.enqueue("one", Reply("two"))
    assert [reply_text(server.port) for _ in range(4)] == ["one", "two", "default", "default"]


def test_fail_next_fails_n_requests_then_succeeds(server: DarkAIServer) -> None:
    server.enqueue("queued")
    server.fail_next(2, retry_after=3)
    first, second = exchange(server.port), exchange(server.port)
    assert (first.status, second.status) == (503, 503)
    assert first.headers["retry-after"] == second.headers["retry-after"] == "3"
    assert reply_text(server.port) == "queued"


def test_fail_next_with_status_and_body(server: DarkAIServer) -> None:
    server.fail_next(1, status=429, body="too many", retry_after="Wed, 21 Oct 2015 07:28:00 GMT")
    response = exchange(server.port)
    assert (response.status, response.body) == (429, b"too many")
    assert response.headers["retry-after"] == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert exchange(server.port).status == 200


def test_requests_are_recorded(server: DarkAIServer) -> None:
    exchange(server.port, chat_body("hello", "gpt-4o"), headers={"X-Custom": "42"})
    exchange(server.port, b"{oops", path="/nope")
    first, second = server.requests
    assert (first.method, first.path, first.body) == ("POST", "/chat", chat_body("hello", "gpt-4o"))
    assert first.headers["x-custom"] == first.headers["X-CUSTOM"] == "42"
    assert first.json == {"query": "hello", "model": "gpt-4o"}
    assert (first.prompt, first.model) == ("hello", "gpt-4o")
    assert (second.path, second.body, second.json, second.prompt) == ("/nope", b"{oops", None, None)


def test_reset_forgets_requests_and_script(server: DarkAIServer) -> None:
    server.reply("changed")
    server.enqueue("queued")
    exchange(server.port, b"{")
    server.reset()
    assert server.requests == []
    assert reply_text(server.port) == default_reply_text("Hi", "llama-3-70b")


def test_concurrent_requests_each_take_one_queued_reply(server: DarkAIServer) -> None:
    names = [f"reply-{i}" for i in range(16)]
    server.enqueue(*(Reply(name, delay=0.01) for name in names))
    results: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        text = reply_text(server.port)
        with lock:
            results.append(text)

    threads = [threading.Thread(target=worker) for _ in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(results) == sorted(names)
    assert len(server.requests) == 16
