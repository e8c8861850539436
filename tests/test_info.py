"""Headers and the hook records: case-insensitive, read-only, secrets masked."""

from __future__ import annotations

import dataclasses

import pytest

from darkai_sdk import Headers, RequestInfo
from darkai_sdk._redact import hide_credentials, mask_headers

pytestmark = pytest.mark.timeout(10)


def test_headers_match_names_in_any_case() -> None:
    headers = Headers(
        [("Content-Type", "text/plain"), ("X-Request-ID", "a"), ("x-request-id", "b")]
    )
    assert headers["CONTENT-TYPE"] == headers["content-type"] == "text/plain"
    assert headers["X-Request-Id"] == "b"  # the last of a name sent twice
    assert headers.get("x-missing") is None and headers.get("X-Missing", "-") == "-"
    assert "content-TYPE" in headers and 3 not in headers  # type: ignore[comparison-overlap]
    assert list(headers) == ["content-type", "x-request-id"] and len(headers) == 2
    assert repr(headers) == "Headers({'content-type': 'text/plain', 'x-request-id': 'b'})"
    with pytest.raises(KeyError):
        headers[1]  # type: ignore[index]


def test_headers_equal_any_mapping_with_the_same_headers() -> None:
    headers = Headers({"Content-Type": "text/plain"})
    assert headers == {"content-type": "text/plain"} == headers
    assert headers == {"CONTENT-TYPE": "text/plain"} and headers == Headers(headers)
    assert headers != {"content-type": "text/html"} and headers != [("content-type", "x")]
    with pytest.raises(TypeError):
        hash(headers)
    with pytest.raises(TypeError):
        headers["x"] = "y"  # type: ignore[index]


def test_mask_headers_masks_secrets_and_keeps_names() -> None:
    masked = mask_headers({"X-Echo": "token sk-12345 seen", "Other": "ok"}, ["sk-12345"])
    assert masked == {"x-echo": "token **** seen", "other": "ok"}
    unmasked = Headers({"A": "b"})
    assert mask_headers(unmasked, []) is unmasked  # nothing to mask: no copy


def test_hide_credentials_hides_credential_headers_whole() -> None:
    shown = hide_credentials(
        {"Authorization": "Basic abc", "Set-Cookie": "s=1", "X-Api-Key": "k", "X-Echo": "sk-99999"},
        ["sk-99999"],
    )
    assert shown == {
        "authorization": "****",
        "set-cookie": "****",
        "x-api-key": "****",
        "x-echo": "****",
    }


def test_request_info_is_frozen() -> None:
    info = RequestInfo("POST", "http://h/chat", Headers(), "gpt-4o", 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.attempt = 1  # type: ignore[misc]
