"""The request builder's redirects: which are followed, and what they may carry."""

from __future__ import annotations

import pytest

from darkai_sdk._exceptions import APIStatusError
from darkai_sdk._request import MAX_REDIRECTS, Request, build_request, redirect_request

URL = "https://darkai.foundation/chat"


# --- redirects -------------------------------------------------------------------------------


def _request(url: str = URL, redirects: int = 0) -> Request:
    base = build_request(url, "the prompt", "gpt-4o", headers={"X-A": "1"})
    return Request(
        url=base.url,
        headers=base.headers,
        body=base.body,
        model=base.model,
        redirects=redirects,
    )


@pytest.mark.parametrize("status", [200, 204, 304, 400, 404, 500, 300])
def test_non_redirect_status_gives_none(status: int) -> None:
    assert redirect_request(_request(), status, "https://darkai.foundation/other") is None


@pytest.mark.parametrize("status", [307, 308])
def test_same_origin_307_308_is_followed_keeping_the_body(status: int) -> None:
    original = _request()
    followed = redirect_request(original, status, "https://darkai.foundation/v2/chat")
    assert followed is not None
    assert followed.url == "https://darkai.foundation/v2/chat"
    assert followed.body == original.body
    assert followed.headers == original.headers
    assert followed.model == "gpt-4o"
    assert followed.redirects == 1


def test_relative_location_is_resolved_against_the_request_url() -> None:
    followed = redirect_request(_request(), 307, "/api/chat?x=1")
    assert followed is not None
    assert followed.url == "https://darkai.foundation/api/chat?x=1"


def test_explicit_default_port_is_the_same_origin() -> None:
    followed = redirect_request(_request(), 308, "https://DarkAI.Foundation:443/chat2")
    assert followed is not None
    assert followed.url == "https://DarkAI.Foundation:443/chat2"


@pytest.mark.parametrize(
    "location",
    [
        "https://evil.example/chat",
        "http://darkai.foundation/chat",
        "https://darkai.foundation:8443/chat",
        "https://sub.darkai.foundation/chat",
        "//evil.example/chat",
    ],
)
def test_cross_origin_redirect_is_refused(location: str) -> None:
    with pytest.raises(APIStatusError) as info:
        redirect_request(_request(), 307, location)
    assert info.value.status_code == 307
    assert "not followed" in str(info.value)


@pytest.mark.parametrize("status", [301, 302, 303])
def test_same_origin_method_changing_redirect_is_refused(status: int) -> None:
    with pytest.raises(APIStatusError) as info:
        redirect_request(_request(), status, "https://darkai.foundation/v2/chat")
    assert info.value.status_code == status
    assert "https://darkai.foundation/v2/chat" in str(info.value)


def test_refused_redirect_names_the_target_with_credentials_hidden() -> None:
    with pytest.raises(APIStatusError) as info:
        redirect_request(_request(), 302, "https://user:s3cret-pass@evil.example/x")
    message = str(info.value)
    assert "s3cret-pass" not in message
    assert "user:" not in message
    assert "evil.example/x" in message


def test_redirect_without_location_raises_api_status_error() -> None:
    with pytest.raises(APIStatusError, match="Location"):
        redirect_request(_request(), 307, None)
    with pytest.raises(APIStatusError, match="Location"):
        redirect_request(_request(), 308, "")


@pytest.mark.parametrize("location", ["https://darkai.foundation:99999/x", "http://[::1/x"])
def test_malformed_location_raises_api_status_error(location: str) -> None:
    with pytest.raises(APIStatusError) as info:
        redirect_request(_request(), 307, location)
    assert info.value.status_code == 307


def test_up_to_max_redirects_are_followed() -> None:
    request = _request()
    for _ in range(MAX_REDIRECTS):
        followed = redirect_request(request, 307, "/again")
        assert followed is not None
        request = followed
    assert request.redirects == MAX_REDIRECTS


def test_more_than_max_redirects_raise_api_connection_error() -> None:
    with pytest.raises(APIStatusError, match="too many redirects"):
        redirect_request(_request(redirects=MAX_REDIRECTS), 307, "/again")


def test_redirect_count_does_not_affect_request_equality() -> None:
    assert _request(redirects=3) == _request(redirects=0)


@pytest.mark.parametrize("key", ["query", "model"])
def test_extra_body_cannot_override_the_prompt_or_model(key: str) -> None:
    with pytest.raises(ValueError, match=key):
        build_request("https://h/chat", "hi", "gpt-4o", extra_body={key: "x"})


# --- redirects that echo a credential (issue 12, item 10) ----------------------------------


def test_a_same_origin_redirect_echoing_a_secret_is_refused_masked() -> None:
    secrets = ("Bearer sk-abcdef123", "sk-abcdef123")
    with pytest.raises(APIStatusError) as info:
        redirect_request(_request(), 307, "/chat?key=sk-abcdef123", secrets)
    assert str(info.value) == (
        "redirect 307 to https://darkai.foundation/chat?key=**** not followed: "
        "its Location holds a credential"
    )


def test_a_cross_origin_redirect_message_masks_secrets() -> None:
    with pytest.raises(APIStatusError) as info:
        redirect_request(_request(), 307, "https://evil.example/?t=sk-abcdef123", ["sk-abcdef123"])
    assert "https://evil.example/?t=**** not followed" in str(info.value)


def test_a_redirect_without_a_secret_is_still_followed() -> None:
    follow = redirect_request(_request(), 307, "/v2/chat", ["sk-abcdef123"])
    assert follow is not None and follow.url == "https://darkai.foundation/v2/chat"
