"""The request builder: every error says exactly what is wrong."""

from __future__ import annotations

from typing import Any

import pytest

from darkai_sdk._exceptions import APIStatusError
from darkai_sdk._request import (
    MAX_REDIRECTS,
    Request,
    build_request,
    check_sendable,
    redirect_request,
    resolve_base_url,
    validate_headers,
)

URL = "https://darkai.foundation/chat"


def _at(url: str = URL, redirects: int = 0) -> Request:
    return Request(url=url, headers={}, body=b"{}", model="m", redirects=redirects)


_TAIL = (
    ": it is not text and cannot be sent (a byte that is not UTF-8, decoded with "
    "errors='surrogateescape'?)"
)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: resolve_base_url(5), TypeError, "base_url must be a string, got int"),  # type: ignore[arg-type]
        (
            lambda: resolve_base_url("ftp://user:pw@x/chat"),
            ValueError,
            "base_url must be an absolute http:// or https:// URL, got 'ftp://****@x/chat'",
        ),
        (
            lambda: validate_headers([("a", "b")]),  # type: ignore[arg-type]
            TypeError,
            "headers must be a mapping, got list",
        ),
        (
            lambda: validate_headers({"a": 1}),  # type: ignore[dict-item]
            TypeError,
            "header 'a': names and values must be strings",
        ),
        (
            lambda: validate_headers({1: "b"}),  # type: ignore[dict-item]
            TypeError,
            "header 1: names and values must be strings",
        ),
        (
            lambda: validate_headers({"a\r": "b"}),
            ValueError,
            "header 'a\\r': line breaks are not allowed",
        ),
        (
            lambda: build_request(URL, "hi", "m", extra_body=[1]),  # type: ignore[arg-type]
            TypeError,
            "extra_body must be a mapping, got list",
        ),
        (
            lambda: build_request(URL, "hi", "m", extra_body={"query": 1, "model": 2}),
            ValueError,
            "extra_body may not set model, query: pass the prompt and model as arguments",
        ),
        (
            lambda: build_request(URL, "hi", "m", extra_body={"x": object()}),
            TypeError,
            "extra_body is not JSON-serialisable: Object of type object is not JSON serializable",
        ),
        (
            lambda: check_sendable("the prompt", "a" * 30 + "\ud800tail"),
            ValueError,
            "the prompt holds a lone surrogate, U+D800, at '" + "a" * 24 + "\\ud800'" + _TAIL,
        ),
        (
            lambda: redirect_request(_at(), 307, None),
            APIStatusError,
            "redirect 307 without a Location header",
        ),
        (
            lambda: redirect_request(_at(), 308, "http://[::1/x"),
            APIStatusError,
            "redirect 308 to an invalid Location not followed",
        ),
        (
            lambda: redirect_request(_at(), 307, "https://other.example/chat"),
            APIStatusError,
            "redirect 307 to https://other.example/chat not followed: the request would "
            "lose its body or go to another host; set base_url to the new address",
        ),
        (
            lambda: redirect_request(_at(redirects=MAX_REDIRECTS), 308, "/next"),
            APIStatusError,
            "too many redirects (more than 10), last to https://darkai.foundation/next",
        ),
    ],
)
def test_an_error_message_says_exactly_what_is_wrong(
    call: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        call()
    assert type(info.value) is error
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("url", "location"),
    [("http://h.example/chat", "http://h.example:80/next"), ("https://h/chat", "https://h:443/x")],
)
def test_a_location_naming_the_default_port_is_the_same_origin(url: str, location: str) -> None:
    follow = redirect_request(_at(url), 307, location)
    assert follow is not None and follow.url == location


def test_a_request_is_slotted_and_has_no_model_unless_given() -> None:
    request = Request(url=URL, headers={}, body=b"{}")
    assert (request.model, request.redirects) == ("", 0)
    assert not hasattr(request, "__dict__")
    assert MAX_REDIRECTS == 10  # README: "more than 10" redirects raise
