"""The request builder: endpoint, headers and JSON body, and text it cannot send."""

from __future__ import annotations

import json
from typing import Any

import pytest

from darkai_sdk._request import (
    DEFAULT_BASE_URL,
    USER_AGENT,
    build_request,
    check_sendable,
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
