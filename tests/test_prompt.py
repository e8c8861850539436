"""format_prompt: the seed's rule, content parts, and errors that name the bad message."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from darkai_sdk import format_prompt

# --- the seed's rule -------------------------------------------------------------------------


def test_plain_string_prompt_passes_through_unchanged() -> None:
    assert format_prompt("  Hello\nworld  ") == "  Hello\nworld  "


def test_empty_string_prompt_passes_through() -> None:
    assert format_prompt("") == ""


def test_single_message_gives_its_content_alone() -> None:
    assert format_prompt([{"role": "user", "content": "Hi there"}]) == "Hi there"


def test_single_message_ignores_its_role() -> None:
    assert format_prompt([{"role": "system", "content": "Be brief"}]) == "Be brief"


def test_two_messages_give_role_lines_and_assistant_cue() -> None:
    messages = [
        {"role": "system", "content": "Be brief"},
        {"role": "user", "content": "Hi"},
    ]
    assert format_prompt(messages) == "System: Be brief\nUser: Hi\nAssistant:"


def test_conversation_keeps_message_order() -> None:
    messages = [
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "two"},
        {"role": "user", "content": "three"},
    ]
    assert format_prompt(messages) == "User: one\nAssistant: two\nUser: three\nAssistant:"


def test_role_is_capitalised_like_str_capitalize() -> None:
    messages = [{"role": "SYSTEM", "content": "a"}, {"role": "uSeR", "content": "b"}]
    assert format_prompt(messages) == "System: a\nUser: b\nAssistant:"


def test_unknown_roles_are_capitalised_too() -> None:
    messages = [{"role": "tool", "content": "a"}, {"role": "user", "content": "b"}]
    assert format_prompt(messages).startswith("Tool: a\n")


def test_multiline_content_is_kept_verbatim() -> None:
    messages = [{"role": "user", "content": "a\nb"}, {"role": "user", "content": "c"}]
    assert format_prompt(messages) == "User: a\nb\nUser: c\nAssistant:"


def test_empty_content_in_conversation_gives_role_and_colon() -> None:
    messages = [{"role": "user", "content": ""}, {"role": "user", "content": "x"}]
    assert format_prompt(messages) == "User: \nUser: x\nAssistant:"


def test_tuple_of_messages_is_accepted() -> None:
    messages = ({"role": "user", "content": "a"}, {"role": "user", "content": "b"})
    assert format_prompt(messages) == "User: a\nUser: b\nAssistant:"


def test_any_mapping_is_a_message() -> None:
    message = OrderedDict(role="user", content="hello")
    assert format_prompt([message]) == "hello"


def test_extra_message_keys_are_ignored() -> None:
    assert format_prompt([{"role": "user", "content": "hi", "name": "bob"}]) == "hi"


# --- content parts ---------------------------------------------------------------------------


def test_text_parts_are_joined() -> None:
    content = [{"type": "text", "text": "Hello, "}, {"type": "text", "text": "world"}]
    assert format_prompt([{"role": "user", "content": content}]) == "Hello, world"


def test_non_text_parts_are_skipped() -> None:
    content = [
        {"type": "text", "text": "Look: "},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        {"type": "text", "text": "a cat"},
    ]
    assert format_prompt([{"role": "user", "content": content}]) == "Look: a cat"


def test_parts_content_inside_a_conversation() -> None:
    messages: list[Any] = [
        {"role": "system", "content": "S"},
        {"role": "user", "content": [{"type": "text", "text": "A"}, {"type": "text", "text": "B"}]},
    ]
    assert format_prompt(messages) == "System: S\nUser: AB\nAssistant:"


def test_only_non_text_parts_give_empty_content() -> None:
    content = [{"type": "image_url", "image_url": {"url": "x"}}]
    assert format_prompt([{"role": "user", "content": content}]) == ""


def test_empty_parts_list_gives_empty_content() -> None:
    assert format_prompt([{"role": "user", "content": []}]) == ""


def test_part_without_type_counts_as_text() -> None:
    assert format_prompt([{"role": "user", "content": [{"text": "plain"}]}]) == "plain"


def test_bare_string_parts_are_text() -> None:
    assert format_prompt([{"role": "user", "content": ["a", "b"]}]) == "ab"


def test_text_part_without_string_text_names_message_and_part() -> None:
    messages: list[Any] = [
        {"role": "user", "content": "ok"},
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text"}]},
    ]
    with pytest.raises(ValueError, match=r"messages\[1\]\.content\[1\]"):
        format_prompt(messages)


def test_part_of_wrong_type_names_message_and_part() -> None:
    with pytest.raises(ValueError, match=r"messages\[0\]\.content\[0\]"):
        format_prompt([{"role": "user", "content": [42]}])


# --- invalid input ---------------------------------------------------------------------------


def test_empty_message_list_raises_value_error() -> None:
    with pytest.raises(ValueError) as info:
        format_prompt([])
    assert str(info.value) == "messages is empty: give at least one message"


@pytest.mark.parametrize("bad", ["just a string", 7, None, ["role", "content"]])
def test_message_that_is_not_a_mapping_names_its_index(bad: Any) -> None:
    messages = [{"role": "user", "content": "ok"}, {"role": "user", "content": "ok"}, bad]
    with pytest.raises(ValueError, match=r"messages\[2\]"):
        format_prompt(messages)


def test_missing_role_names_the_index() -> None:
    messages = [{"role": "user", "content": "ok"}, {"content": "no role"}]
    with pytest.raises(ValueError, match=r"messages\[1\].*role"):
        format_prompt(messages)


@pytest.mark.parametrize("role", [None, 1, b"user", ["user"], ""])
def test_non_string_or_empty_role_names_the_index(role: Any) -> None:
    with pytest.raises(ValueError, match=r"messages\[0\].*role"):
        format_prompt([{"role": role, "content": "x"}])


def test_missing_content_names_the_index() -> None:
    messages = [
        {"role": "user", "content": "a"},
        {"role": "user", "content": "b"},
        {"role": "user", "content": "c"},
        {"role": "assistant"},
    ]
    with pytest.raises(ValueError, match=r"messages\[3\].*content"):
        format_prompt(messages)


def test_missing_content_in_a_single_message_raises() -> None:
    with pytest.raises(ValueError, match=r"messages\[0\]"):
        format_prompt([{"role": "user"}])


@pytest.mark.parametrize("content", [None, 12, {"text": "x"}, b"bytes"])
def test_content_of_wrong_type_names_the_index(content: Any) -> None:
    messages = [{"role": "user", "content": "ok"}, {"role": "user", "content": content}]
    with pytest.raises(ValueError, match=r"messages\[1\]"):
        format_prompt(messages)


def test_first_bad_message_is_the_one_reported() -> None:
    messages: list[Any] = [{"role": "user", "content": "ok"}, {"role": "user"}, "bad"]
    with pytest.raises(ValueError) as info:
        format_prompt(messages)
    assert "messages[1]" in str(info.value)
    assert "messages[2]" not in str(info.value)


@pytest.mark.parametrize("messages", [b"bytes prompt", 42, None, {"role": "user"}])
def test_messages_of_wrong_type_raise_type_error(messages: Any) -> None:
    with pytest.raises(TypeError) as info:
        format_prompt(messages)
    assert str(info.value) == (
        f"messages must be a string or a list of message dicts, got {type(messages).__name__}"
    )


# --- property: the multi-message rule --------------------------------------------------------

_roles = st.sampled_from(["user", "assistant", "system", "USER", "Tool"])
_text = st.text(max_size=20)
_message = st.fixed_dictionaries({"role": _roles, "content": _text})


@given(st.lists(_message, min_size=2, max_size=8))
def test_several_messages_follow_the_seed_rule(messages: list[dict[str, str]]) -> None:
    expected = (
        "\n".join(f"{m['role'].capitalize()}: {m['content']}" for m in messages) + "\nAssistant:"
    )
    assert format_prompt(messages) == expected


@given(_message)
def test_one_message_is_always_its_content(message: dict[str, str]) -> None:
    assert format_prompt([message]) == message["content"]


@given(st.lists(_text, min_size=1, max_size=6))
def test_text_parts_always_join_to_the_string_form(texts: list[str]) -> None:
    parts = [{"type": "text", "text": t} for t in texts]
    as_parts: list[Any] = [{"role": "user", "content": parts}, {"role": "user", "content": "x"}]
    as_string = [{"role": "user", "content": "".join(texts)}, {"role": "user", "content": "x"}]
    assert format_prompt(as_parts) == format_prompt(as_string)
