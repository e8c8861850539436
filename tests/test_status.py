"""Mapping a non-2xx answer to a typed error, and telling an event stream from a page."""

from __future__ import annotations

import json

import pytest

from darkai_sdk._exceptions import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    DarkAIError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
)
from darkai_sdk._status import MAX_ERROR_BODY, error_message, is_event_stream, status_error

# --- which class -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (422, BadRequestError),
        (401, AuthenticationError),
        (403, AuthenticationError),
        (404, NotFoundError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
        (503, InternalServerError),
        (504, InternalServerError),
        (599, InternalServerError),
    ],
)
def test_status_maps_to_its_error_class(status: int, cls: type[APIStatusError]) -> None:
    assert type(status_error(status, b"", {})) is cls


@pytest.mark.parametrize("status", [402, 405, 408, 409, 410, 418, 451, 499, 300])
def test_other_statuses_give_a_plain_api_status_error(status: int) -> None:
    assert type(status_error(status, b"", {})) is APIStatusError


def test_every_status_error_is_a_darkai_error() -> None:
    assert isinstance(status_error(418, b"", {}), DarkAIError)


# --- what is kept ----------------------------------------------------------------------------


def test_status_code_body_and_headers_are_kept() -> None:
    headers = {"Content-Type": "application/json", "X-Request-Id": "req-1"}
    error = status_error(503, b'{"error": "busy"}', headers)
    assert error.status_code == 503
    assert error.body == '{"error": "busy"}'
    assert error.headers == headers


def test_headers_are_copied_into_a_plain_dict() -> None:
    headers = {"X-A": "1"}
    error = status_error(500, b"", headers)
    headers["X-A"] = "changed"
    assert error.headers == {"X-A": "1"}


def test_retry_after_is_kept_and_mentioned() -> None:
    error = status_error(429, b"slow down", {"Retry-After": "2.5"}, retry_after=2.5)
    assert error.retry_after == 2.5
    assert str(error) == "HTTP 429: slow down (server asks to retry after 2.5 s)"


def test_retry_after_defaults_to_none() -> None:
    error = status_error(429, b"", {})
    assert error.retry_after is None
    assert "retry after" not in str(error)


def test_message_names_status_and_url() -> None:
    error = status_error(404, b"", {}, url="https://darkai.foundation/chat")
    assert str(error).startswith("HTTP 404 from https://darkai.foundation/chat")


def test_message_without_body_is_just_the_status() -> None:
    assert str(status_error(500, b"", {})) == "HTTP 500"


def test_partial_text_is_empty() -> None:
    assert status_error(500, b"", {}).partial_text == ""


# --- the message -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"error": "model overloaded"}, "model overloaded"),
        ({"error": {"message": "bad key", "type": "auth"}}, "bad key"),
        ({"message": "not here"}, "not here"),
        ({"detail": "Unprocessable"}, "Unprocessable"),
        ({"error": {"code": 7}, "message": "fallback"}, "fallback"),
        ({"error": "", "detail": "second"}, "second"),
    ],
)
def test_json_error_message_is_extracted(body: object, expected: str) -> None:
    error = status_error(400, json.dumps(body).encode(), {"content-type": "application/json"})
    assert str(error) == f"HTTP 400: {expected}"


def test_json_without_a_message_key_shows_the_body() -> None:
    assert error_message('{"status": "bad"}') == '{"status": "bad"}'


def test_json_array_shows_the_body() -> None:
    assert error_message('["a", "b"]') == '["a", "b"]'


def test_plain_text_body_is_the_message_with_whitespace_collapsed() -> None:
    assert error_message("  Service\n\n  Unavailable \t ") == "Service Unavailable"


def test_html_body_is_shortened() -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>" + "x" * 5000 + "</body>"
    error = status_error(502, page.encode(), {"content-type": "text/html"})
    message = str(error)
    assert message.startswith("HTTP 502: <html><head><title>502 Bad Gateway</title>")
    assert message.endswith("...")
    assert len(message) < 250
    assert error.body == page


def test_message_of_exactly_200_characters_is_not_marked_shortened() -> None:
    assert error_message("y" * 200) == "y" * 200
    assert error_message("y" * 201) == "y" * 200 + "..."


def test_deeply_nested_json_body_does_not_crash() -> None:
    body = b"[" * MAX_ERROR_BODY
    error = status_error(500, body, {})
    assert isinstance(error, InternalServerError)
    assert str(error).endswith("...")


def test_invalid_utf8_body_is_decoded_with_replacement() -> None:
    error = status_error(500, b"bad \xff\xfe bytes", {})
    assert error.body == "bad \ufffd\ufffd bytes"


def test_body_is_capped_at_max_error_body() -> None:
    error = status_error(500, b"a" * (MAX_ERROR_BODY * 3), {})
    assert len(error.body) == MAX_ERROR_BODY


def test_max_error_body_is_64_kib() -> None:
    assert MAX_ERROR_BODY == 64 * 1024


def test_utf8_body_cut_at_the_cap_keeps_its_start() -> None:
    body = "é".encode() * MAX_ERROR_BODY  # two bytes each: the cap falls on a boundary
    error = status_error(500, body, {})
    assert error.body == "é" * (MAX_ERROR_BODY // 2)


# --- is_event_stream -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "text/event-stream",
        "text/event-stream; charset=utf-8",
        "Text/Event-Stream",
        " text/event-stream ;charset=UTF-8",
        "text/plain",
        "text/plain; charset=utf-8",
        "application/octet-stream",
    ],
)
def test_content_types_that_can_carry_events(content_type: str | None) -> None:
    assert is_event_stream(content_type)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/html",
        "text/html; charset=UTF-8",
        "application/xml",
        "image/png",
        "text/event-stream-ish",
    ],
)
def test_content_types_that_cannot_carry_events(content_type: str) -> None:
    assert not is_event_stream(content_type)
