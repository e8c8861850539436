"""Credentials stay out of messages: URL redaction, secret collection, scrubbing, wrapping."""

from __future__ import annotations

import base64

import pytest

from darkai_sdk._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ProtocolError,
)
from darkai_sdk._redact import (
    SECRET_HEADERS,
    mask_error,
    merge_secrets,
    redact_url,
    scrub,
    scrub_bytes,
    secrets_of,
    wrap_error,
)

# --- redact_url ------------------------------------------------------------------------------


def test_url_without_credentials_is_unchanged() -> None:
    url = "https://darkai.foundation:8443/chat?x=1#top"
    assert redact_url(url) == url


def test_user_and_password_are_hidden() -> None:
    assert (
        redact_url("http://alice:hunter2@proxy.example:3128/") == "http://****@proxy.example:3128/"
    )


def test_user_alone_is_hidden() -> None:
    assert redact_url("http://alice@proxy.example/") == "http://****@proxy.example/"


def test_empty_password_is_hidden() -> None:
    assert redact_url("http://alice:@proxy.example/") == "http://****@proxy.example/"


def test_path_query_and_fragment_are_kept() -> None:
    redacted = redact_url("https://u:p@host.example/a/b?q=1#frag")
    assert redacted == "https://****@host.example/a/b?q=1#frag"


def test_ipv6_host_keeps_its_brackets() -> None:
    assert redact_url("http://u:p@[::1]:8080/x") == "http://****@[::1]:8080/x"


def test_password_containing_at_sign_is_hidden_whole() -> None:
    redacted = redact_url("http://user:p@ss@host.example/")
    assert "p@ss" not in redacted
    assert "ss@" not in redacted
    assert redacted.endswith("host.example/")


@pytest.mark.parametrize(
    "url",
    ["http://u:secret@[::1/x", "http://u:secret@host:99999/", "http://u:secret@host:abc/"],
)
def test_unparseable_url_is_masked_whole(url: str) -> None:
    assert redact_url(url) == "****"


# --- secrets_of ------------------------------------------------------------------------------


def test_no_proxy_and_no_headers_gives_no_secrets() -> None:
    assert secrets_of(None, {}) == ()


def test_proxy_without_credentials_gives_no_secrets() -> None:
    assert secrets_of("http://proxy.example:3128", {}) == ()


def test_proxy_user_and_password_are_secrets() -> None:
    secrets = secrets_of("http://alice:hunter2@proxy.example:3128", {})
    assert "alice" in secrets
    assert "hunter2" in secrets


def test_percent_encoded_proxy_credentials_are_collected_in_both_forms() -> None:
    secrets = secrets_of("http://al%40ice:p%3Ass%2Fw0rd@proxy.example", {})
    assert "al%40ice" in secrets
    assert "al@ice" in secrets
    assert "p%3Ass%2Fw0rd" in secrets
    assert "p:ss/w0rd" in secrets


def test_authorization_value_and_token_are_secrets() -> None:
    secrets = secrets_of(None, {"Authorization": "Bearer sk-abcdef123"})
    assert "Bearer sk-abcdef123" in secrets
    assert "sk-abcdef123" in secrets


def test_cookie_value_is_a_secret() -> None:
    secrets = secrets_of(None, {"cookie": "session=0123456789abcdef"})
    assert "session=0123456789abcdef" in secrets


@pytest.mark.parametrize("name", ["AUTHORIZATION", "Cookie", "Proxy-Authorization", "X-Api-Key"])
def test_secret_header_names_are_matched_case_insensitively(name: str) -> None:
    assert "topsecretvalue" in secrets_of(None, {name: "topsecretvalue"})


def test_secret_header_set() -> None:
    assert {"authorization", "cookie", "proxy-authorization", "x-api-key"} <= SECRET_HEADERS


def test_ordinary_headers_are_not_secrets() -> None:
    assert secrets_of(None, {"User-Agent": "my-app/1.0", "X-Trace": "abcdef"}) == ()


def test_very_short_values_are_not_collected() -> None:
    assert secrets_of("http://ab:cd@proxy.example", {"Authorization": "xy"}) == ()


def test_secrets_are_unique_and_longest_first() -> None:
    secrets = secrets_of(
        "http://tok:tokenvalue@proxy.example", {"Authorization": "Bearer tokenvalue"}
    )
    assert len(secrets) == len(set(secrets))
    assert [len(s) for s in secrets] == sorted((len(s) for s in secrets), reverse=True)


def test_unparseable_proxy_gives_no_proxy_secrets() -> None:
    assert secrets_of("http://[::1", {}) == ()


# --- scrub -----------------------------------------------------------------------------------


def test_scrub_masks_every_occurrence() -> None:
    assert scrub("hunter2 then hunter2", ["hunter2"]) == "**** then ****"


def test_scrub_without_secrets_changes_nothing() -> None:
    assert scrub("nothing to see", []) == "nothing to see"
    assert scrub("nothing to see", ["absent"]) == "nothing to see"


def test_scrub_with_collected_secrets_masks_a_secret_containing_another() -> None:
    secrets = secrets_of(None, {"Authorization": "Bearer sk-abcdef123"})
    text = "sent Authorization: Bearer sk-abcdef123"
    scrubbed = scrub(text, secrets)
    assert "sk-abcdef123" not in scrubbed
    assert "abcdef" not in scrubbed


def test_scrub_masks_percent_decoded_proxy_password() -> None:
    secrets = secrets_of("http://u%3Aser:p%40ss1@proxy.example", {})
    scrubbed = scrub("proxy refused user 'u:ser' with password 'p@ss1'", secrets)
    assert "u:ser" not in scrubbed
    assert "p@ss1" not in scrubbed


# --- wrap_error ------------------------------------------------------------------------------


def test_wrap_error_builds_the_requested_class_with_context() -> None:
    cause = ConnectionRefusedError("connection refused")
    error = wrap_error(APIConnectionError, "cannot connect", cause, ())
    assert type(error) is APIConnectionError
    assert str(error) == "cannot connect: ConnectionRefusedError: connection refused"


def test_wrap_error_of_an_exception_without_text_names_its_type() -> None:
    error = wrap_error(APITimeoutError, "read timed out", TimeoutError(), ())
    assert str(error) == "read timed out: TimeoutError"


def test_wrap_error_chains_the_cause_when_nothing_was_masked() -> None:
    cause = OSError("network unreachable")
    error = wrap_error(APIConnectionError, "failed", cause, ("hunter2",))
    assert error.__cause__ is cause
    assert error.__suppress_context__


def test_wrap_error_masks_secrets_and_drops_the_cause() -> None:
    cause = OSError("cannot reach http://alice:hunter2@proxy.example:3128")
    secrets = secrets_of("http://alice:hunter2@proxy.example:3128", {})
    error = wrap_error(APIConnectionError, "proxy failed", cause, secrets)
    assert "hunter2" not in str(error)
    assert "alice" not in str(error)
    assert "proxy.example" in str(error)
    assert error.__cause__ is None
    assert error.__suppress_context__


def test_wrapped_error_raised_from_an_except_block_hides_the_original() -> None:
    secrets = ("hunter2",)
    with pytest.raises(APIConnectionError) as info:
        try:
            raise OSError("auth failed for hunter2")
        except OSError as exc:
            raise wrap_error(APIConnectionError, "proxy", exc, secrets)  # noqa: B904
    error = info.value
    assert error.__cause__ is None
    assert error.__suppress_context__
    assert "hunter2" not in str(error)


def test_basic_authorization_is_masked_decoded_too() -> None:
    import base64

    token = base64.b64encode(b"bob:s3cr3tPW").decode()
    secrets = secrets_of(None, {"Authorization": f"Basic {token}"})
    text = scrub(f"bad credentials bob:s3cr3tPW ({token})", secrets)
    assert "s3cr3tPW" not in text and token not in text


def test_credentials_in_the_endpoint_url_are_secrets() -> None:
    assert "s3cr3tPW" in secrets_of("http://bob:s3cr3tPW@host/chat", {})


# --- one sorted list, overlapping secrets (issue 12, item 10) ---------------------------------


def test_merge_secrets_is_one_list_unique_and_longest_first() -> None:
    merged = merge_secrets(("sec", "token"), ["secret123", "sec", "ab"])
    assert merged == ("secret123", "token", "sec")


def test_a_secret_prefixed_by_a_shorter_one_is_masked_whole_in_any_order() -> None:
    for secrets in (["sec", "secret123"], ["secret123", "sec"]):
        assert scrub("password secret123, cookie sec", secrets) == "password ****, cookie ****"


def test_secrets_that_overlap_in_the_text_leave_no_fragment() -> None:
    # Neither contains the other, but their occurrences overlap: mask the union.
    for secrets in (["abc123", "xxab"], ["xxab", "abc123"]):
        assert scrub("key=xxabc123!", secrets) == "key=****!"
        assert scrub_bytes(b"key=xxabc123!", secrets) == b"key=****!"


def test_adjacent_and_repeated_occurrences_are_all_masked() -> None:
    assert scrub("hunter2hunter2 hunter2", ["hunter2"]) == "**** ****"


def test_percent_encoded_forms_of_secrets_are_masked() -> None:
    secrets = secrets_of(None, {"Authorization": "Bearer a/b+c=="})
    assert scrub("echo=a%2Fb%2Bc%3D%3D", secrets) == "echo=****"


def test_mask_error_masks_message_body_headers_and_line_not_partial_text() -> None:
    status = APIStatusError(
        "HTTP 401: bad key hunter2",
        status_code=401,
        body='{"error": "bad key hunter2"}',
        headers={"www-authenticate": "Bearer token=hunter2"},
        partial_text="the reply said hunter2",
    )
    assert mask_error(status, ["hunter2"]) is status
    assert (str(status), status.message) == ("HTTP 401: bad key ****",) * 2
    assert status.body == '{"error": "bad key ****"}'
    assert status.headers == {"www-authenticate": "Bearer token=****"}
    assert status.partial_text == "the reply said hunter2"  # the reply stays exact
    protocol = mask_error(ProtocolError("bad line hunter2", line="data: hunter2"), ["hunter2"])
    assert (str(protocol), getattr(protocol, "line", None)) == ("bad line ****", "data: ****")


# --- exactly what is collected (each rule, at its bounds) -----------------------------------


def _b64(pair: str) -> str:
    return base64.b64encode(pair.encode()).decode()


@pytest.mark.parametrize("scheme", ["Basic", "Bearer", "Digest", "Negotiate", "Token"])
def test_an_authorization_scheme_word_is_no_secret(scheme: str) -> None:
    found = secrets_of(None, {"Authorization": f"{scheme} abcd"})
    # The value (as sent and percent-encoded) and its 4-character token, not the scheme.
    assert set(found) == {f"{scheme} abcd", f"{scheme}%20abcd", "abcd"}


@pytest.mark.parametrize(
    ("userinfo", "expected"),
    [
        ("abc:xy", {"abc", _b64("abc:xy")}),  # a three-character user is enough
        ("xy:abc", {"abc", _b64("xy:abc")}),  # or a three-character password
        ("ab:cd", set()),  # both shorter: too likely to occur by chance
        (  # as written and decoded, and each percent-encoded
            "us%40er:p%3Ass",
            {"us%40er", "us@er", "p%3Ass", "p:ss", "us%2540er", "p%253Ass"}
            | {_b64("us%40er:p%3Ass"), _b64("us@er:p:ss")}
            | {_b64("us%40er:p%3Ass").replace("=", "%3D"), _b64("us@er:p:ss").replace("=", "%3D")},
        ),
    ],
)
def test_proxy_credentials_and_their_base64_pair_are_collected(
    userinfo: str, expected: set[str]
) -> None:
    assert set(secrets_of(f"http://{userinfo}@proxy.example:3128", {})) == expected


def test_a_basic_pair_is_split_once_at_its_first_colon() -> None:
    found = secrets_of(None, {"Authorization": "Basic " + _b64("alice:pa:ss")})
    assert {"alice:pa:ss", "alice", "pa:ss"} <= set(found)


def test_a_basic_token_that_is_not_strict_base64_yields_no_pair() -> None:
    token = _b64("alice:s3cret") + "!!"  # junk a lenient decoder would skip
    found = secrets_of(None, {"Authorization": f"Basic {token}"})
    assert not {"alice", "s3cret", "alice:s3cret"} & set(found)
    assert token in found


def test_a_url_with_credentials_but_no_host_keeps_the_empty_host() -> None:
    assert redact_url("http://user:pw@/chat") == "http://****@/chat"


def test_overlapping_occurrences_of_one_secret_are_masked_whole() -> None:
    assert scrub("aaaa", ["aaa"]) == "****"
    assert scrub("xaaaay", ["aaa"]) == "x****y"


def test_mask_error_without_secrets_returns_the_error_unchanged() -> None:
    error = ProtocolError("line with abc", line="abc")
    assert mask_error(error, ()) is error
    assert (str(error), error.line) == ("line with abc", "abc")
