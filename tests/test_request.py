"""The request builder: endpoint, headers, JSON body and redirects."""

from __future__ import annotations

import json
from typing import Any

import pytest

from darkai_sdk._exceptions import APIStatusError
from darkai_sdk._request import (
    DEFAULT_BASE_URL,
    MAX_REDIRECTS,
    USER_AGENT,
    Request,
    build_request,
    check_sendable,
    redirect_request,
    resolve_base_url,
    validate_headers,
)

URL = "https://darkai.foundation/chat"


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


# --- headers ---------------------------------------------------------------------------------


def test_request_accepts_an_event_stream() -> None:
    assert build_request(URL, "hi", "gpt-4o").headers["accept"] == "text/event-stream"


def test_request_sends_json() -> None:
    assert build_request(URL, "hi", "gpt-4o").headers["content-type"] == "application/json"


def test_request_sends_the_browser_user_agent() -> None:
    headers = build_request(URL, "hi", "gpt-4o").headers
    assert headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("Mozilla/5.0")


def test_user_header_is_added() -> None:
    headers = build_request(URL, "hi", "m", headers={"X-Trace": "abc"}).headers
    assert headers["X-Trace"] == "abc"
    assert _lower(headers)["accept"] == "text/event-stream"


@pytest.mark.parametrize("name", ["User-Agent", "USER-AGENT", "user-agent", "uSeR-aGeNt"])
def test_user_header_overrides_default_whatever_its_case(name: str) -> None:
    headers = build_request(URL, "hi", "m", headers={name: "my-app/1.0"}).headers
    matching = [k for k in headers if k.lower() == "user-agent"]
    assert matching == [name]
    assert headers[name] == "my-app/1.0"


def test_overriding_one_default_keeps_the_others() -> None:
    headers = _lower(build_request(URL, "hi", "m", headers={"Accept": "*/*"}).headers)
    assert headers == {
        "accept": "*/*",
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def test_building_does_not_change_the_callers_headers() -> None:
    mine = {"Accept": "*/*"}
    build_request(URL, "hi", "m", headers=mine)
    assert mine == {"Accept": "*/*"}


def test_defaults_are_not_changed_by_an_override() -> None:
    build_request(URL, "hi", "m", headers={"accept": "text/plain"})
    assert build_request(URL, "hi", "m").headers["accept"] == "text/event-stream"


# --- body ------------------------------------------------------------------------------------


def test_body_is_query_and_model() -> None:
    request = build_request(URL, "Hello", "llama-3-70b")
    assert json.loads(request.body) == {"query": "Hello", "model": "llama-3-70b"}


def test_body_keys_are_exactly_query_then_model() -> None:
    assert list(json.loads(build_request(URL, "p", "m").body)) == ["query", "model"]


def test_body_is_utf8_without_ascii_escapes() -> None:
    request = build_request(URL, "Привет, 世界 🙂", "m")
    assert "Привет, 世界 🙂".encode() in request.body
    assert json.loads(request.body.decode("utf-8"))["query"] == "Привет, 世界 🙂"


def test_prompt_with_quotes_and_newlines_round_trips() -> None:
    prompt = 'say "hi"\nUser: \\x\nAssistant:'
    assert json.loads(build_request(URL, prompt, "m").body)["query"] == prompt


def test_extra_body_is_merged_into_the_json() -> None:
    request = build_request(URL, "p", "m", extra_body={"history": [], "temperature": 0.2})
    assert json.loads(request.body) == {
        "query": "p",
        "model": "m",
        "history": [],
        "temperature": 0.2,
    }


def test_empty_extra_body_changes_nothing() -> None:
    assert build_request(URL, "p", "m", extra_body={}).body == build_request(URL, "p", "m").body


@pytest.mark.parametrize("value", [{1, 2}, object(), b"bytes", float("nan"), float("inf")])
def test_non_serialisable_extra_body_raises_type_error(value: Any) -> None:
    with pytest.raises(TypeError, match="extra_body"):
        build_request(URL, "p", "m", extra_body={"x": value})


def test_circular_extra_body_raises_type_error() -> None:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    with pytest.raises(TypeError, match="extra_body"):
        build_request(URL, "p", "m", extra_body={"x": loop})


def test_extra_body_that_is_not_a_mapping_raises_type_error() -> None:
    with pytest.raises(TypeError, match="mapping"):
        build_request(URL, "p", "m", extra_body=[("a", 1)])  # type: ignore[arg-type]


def test_request_keeps_url_and_model() -> None:
    request = build_request("https://example.com/x", "p", "gpt-4o")
    assert request.url == "https://example.com/x"
    assert request.model == "gpt-4o"
    assert request.redirects == 0


def test_request_is_immutable() -> None:
    request = build_request(URL, "p", "m")
    with pytest.raises(AttributeError):
        request.url = "https://evil.example/"  # type: ignore[misc]


# --- base URL --------------------------------------------------------------------------------


def test_base_url_argument_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DARKAI_BASE_URL", "https://env.example/chat")
    assert resolve_base_url("https://arg.example/chat") == "https://arg.example/chat"


def test_base_url_comes_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DARKAI_BASE_URL", "http://localhost:8080/chat")
    assert resolve_base_url(None) == "http://localhost:8080/chat"


def test_base_url_defaults_to_the_public_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DARKAI_BASE_URL", raising=False)
    assert resolve_base_url(None) == "https://darkai.foundation/chat"
    assert DEFAULT_BASE_URL == "https://darkai.foundation/chat"


def test_empty_environment_variable_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DARKAI_BASE_URL", "")
    assert resolve_base_url(None) == DEFAULT_BASE_URL


@pytest.mark.parametrize(
    "url",
    [
        "ftp://darkai.foundation/chat",
        "ws://darkai.foundation/chat",
        "file:///etc/passwd",
        "darkai.foundation/chat",
        "/chat",
        "https://",
        "",
        "https://host:99999/chat",
        "https://host:port/chat",
        "http://[::1/chat",
    ],
)
def test_base_url_that_is_not_absolute_http_raises_value_error(url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        resolve_base_url(url)


def test_bad_base_url_from_environment_raises_value_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DARKAI_BASE_URL", "gopher://old.example/")
    with pytest.raises(ValueError):
        resolve_base_url(None)


def test_bad_base_url_error_hides_credentials() -> None:
    with pytest.raises(ValueError) as info:
        resolve_base_url("ftp://user:hunter2@host/")
    assert "hunter2" not in str(info.value)


def test_base_url_of_wrong_type_raises_type_error() -> None:
    with pytest.raises(TypeError):
        resolve_base_url(b"https://x.example/")  # type: ignore[arg-type]


def test_http_and_ipv6_base_urls_are_accepted() -> None:
    assert resolve_base_url("http://127.0.0.1:8000/chat") == "http://127.0.0.1:8000/chat"
    assert resolve_base_url("https://[::1]:8443/chat") == "https://[::1]:8443/chat"


# --- header validation -----------------------------------------------------------------------


def test_validate_headers_none_gives_empty_dict() -> None:
    assert validate_headers(None) == {}


def test_validate_headers_returns_a_plain_copy() -> None:
    mine = {"X-A": "1"}
    checked = validate_headers(mine)
    assert checked == mine
    assert checked is not mine


@pytest.mark.parametrize(
    "headers", [{"X-A": 1}, {"X-A": None}, {"X-A": b"v"}, {1: "v"}, {b"X-A": "v"}]
)
def test_validate_headers_rejects_non_string_names_and_values(headers: Any) -> None:
    with pytest.raises(TypeError):
        validate_headers(headers)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-A": "v\r\nX-Injected: 1"},
        {"X-A": "v\n"},
        {"X-A": "v\rw"},
        {"X-A\r\nX-B": "v"},
        {"X-A\n": "v"},
    ],
)
def test_validate_headers_rejects_line_breaks(headers: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="line break"):
        validate_headers(headers)


def test_validate_headers_rejects_a_non_mapping() -> None:
    with pytest.raises(TypeError, match="mapping"):
        validate_headers([("X-A", "1")])  # type: ignore[arg-type]


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


# --- text UTF-8 cannot carry (issue 12, item 12) ---------------------------------------------


def test_a_prompt_with_a_lone_surrogate_names_the_prompt_not_extra_body() -> None:
    # What `darkai $'\xff'` gives: Python decodes argv with surrogateescape.
    with pytest.raises(ValueError, match=r"^the prompt holds a lone surrogate, U\+DCFF") as info:
        build_request(URL, "caf\udcff", "gpt-4o")
    assert "extra_body" not in str(info.value)
    assert "'caf\\udcff'" in str(info.value)  # shown escaped, with what precedes it


def test_half_of_a_surrogate_pair_is_refused_too() -> None:
    with pytest.raises(ValueError, match=r"U\+D83D"):
        build_request(URL, "smile \ud83d", "gpt-4o")


def test_a_model_name_with_a_lone_surrogate_names_the_model() -> None:
    with pytest.raises(ValueError, match=r"^the model name holds"):
        build_request(URL, "hi", "gpt\udc80")


def test_extra_body_with_a_lone_surrogate_is_a_value_error_naming_it() -> None:
    with pytest.raises(ValueError, match=r'^extra_body holds a lone surrogate.*"note": "a'):
        build_request(URL, "hi", "gpt-4o", extra_body={"note": "a\udcff"})


def test_check_sendable_accepts_any_real_text() -> None:
    check_sendable("text", "caf\u00e9 \U0001f642 \u2028 \x00 \ufffd")


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


# --- every error says exactly what is wrong ----------------------------------------------------


def _at(url: str = URL, redirects: int = 0) -> Request:
    return Request(url=url, headers={}, body=b"{}", model="m", redirects=redirects)


_TAIL = (
    ": it is not text and cannot be sent (a byte that is not UTF-8, decoded with "
    "errors='surrogateescape'?)"
)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: resolve_base_url(5), TypeError, "base_url must be a string, got int"),
        (
            lambda: resolve_base_url("ftp://user:pw@x/chat"),
            ValueError,
            "base_url must be an absolute http:// or https:// URL, got 'ftp://****@x/chat'",
        ),
        (lambda: validate_headers([("a", "b")]), TypeError, "headers must be a mapping, got list"),
        (
            lambda: validate_headers({"a": 1}),
            TypeError,
            "header 'a': names and values must be strings",
        ),
        (
            lambda: validate_headers({1: "b"}),
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
