"""ReplyState: what stream-end, final-response and error events mean for a reply."""

from __future__ import annotations

import dataclasses
import sys
import time
import warnings

import pytest

from darkai_sdk._events import FinalResponse, ServerError, StreamEnd
from darkai_sdk._exceptions import (
    DarkAIError,
    IncompleteStreamError,
    ServerEventError,
    StreamIntegrityError,
    StreamIntegrityWarning,
)
from darkai_sdk._reply import ReplyState, StreamMetrics


def _state(*chunks: str, raise_on_mismatch: bool = False) -> ReplyState:
    state = ReplyState(raise_on_mismatch=raise_on_mismatch)
    for chunk in chunks:
        state.append(chunk)
    return state


def test_new_state_is_empty_and_not_done() -> None:
    state = ReplyState()
    assert state.text == ""
    assert state.chunks == 0
    assert state.received == 0
    assert not state.has_text()
    assert state.final_message is None
    assert not state.done
    assert state.retries == 0
    assert not state.raise_on_mismatch


def test_text_joins_the_chunks() -> None:
    assert _state("Hel", "lo", ", world").text == "Hello, world"


def test_metrics_count_from_begin_and_stop_at_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    state = ReplyState()
    assert state.metrics() == StreamMetrics(None, 0.0, 0, 0, 0, 0.0)  # not begun
    state.begin()
    now[0] = 102.5
    assert state.metrics().elapsed == 2.5
    state.first_text = 101.0
    state.append("Hello")
    state.append(" you")
    state.settle()
    state.handle(StreamEnd())
    state.end()
    now[0] = 200.0  # after the end the clock has stopped
    metrics = state.metrics()
    assert metrics == StreamMetrics(
        time_to_first_text=1.0,
        elapsed=2.5,
        chars=9,
        events=3,
        retries=0,
        chars_per_second=9 / 2.5,
    )
    assert metrics.as_dict()["chars_per_second"] == 3.6


def test_metrics_are_a_frozen_snapshot() -> None:
    metrics = ReplyState().metrics()
    with pytest.raises(dataclasses.FrozenInstanceError):
        metrics.chars = 5  # type: ignore[misc]
    assert not hasattr(metrics, "__dict__")  # slots: a snapshot per read stays small


@pytest.mark.parametrize(
    ("stop", "elapsed", "rate"),
    [(100.5, 0.5, 10.0), (100.0, 0.0, 0.0), (99.0, 0.0, 0.0)],
    ids=["under-a-second", "no-time", "clock-went-back"],
)
def test_rate_is_chars_over_elapsed_and_zero_without_time(
    monkeypatch: pytest.MonkeyPatch, stop: float, elapsed: float, rate: float
) -> None:
    now = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    state = ReplyState()
    state.begin()
    state.append("Hello")
    now[0] = stop
    state.end()
    metrics = state.metrics()
    assert (metrics.chars, metrics.elapsed, metrics.chars_per_second) == (5, elapsed, rate)


def test_time_to_first_text_is_none_without_text() -> None:
    state = ReplyState()
    state.begin()
    state.first_text = state.started
    assert state.metrics().time_to_first_text is None


@pytest.mark.parametrize("settle", [False, True], ids=["pending", "settled"])
def test_text_count_and_characters_are_the_same_before_and_after_settling(settle: bool) -> None:
    state = _state("Hé", "中😀", "!")
    if settle:
        state.settle()
    state.append("?")
    assert state.text == "Hé中😀!?"
    assert state.chunks == 4
    assert state.received == 6
    assert state.has_text()


@pytest.mark.parametrize("keep_text", [True, False])
def test_one_settled_character_is_text(keep_text: bool) -> None:
    state = ReplyState(keep_text=keep_text)
    state.append("a")
    state.settle()
    assert state.has_text()
    assert state.received == 1


@pytest.mark.parametrize("keep_text", [True, False])
def test_a_lone_surrogate_is_kept_and_compared_exactly(keep_text: bool) -> None:
    # The decoder never hands one over (it repairs them); the store takes any str.
    state = ReplyState(keep_text=keep_text, raise_on_mismatch=True)
    state.append("a\ud83d")
    state.settle()
    state.append("b")
    assert state.text == ("a\ud83db" if keep_text else "")
    assert state.handle(FinalResponse("a\ud83db")) is False
    with pytest.raises(StreamIntegrityError):
        state.handle(FinalResponse("a\ud83cb"))


def test_settled_text_is_kept_as_utf8() -> None:
    state = _state("é" * 1000, "😀")
    state.settle()
    # One str of the text would cost 4 bytes a character (an emoji makes it UCS-4).
    assert sys.getsizeof(state._kept) < 2 * len(("é" * 1000 + "😀").encode())


def test_without_keeping_text_the_final_response_is_still_checked() -> None:
    state = ReplyState(keep_text=False, raise_on_mismatch=True)
    for chunk in ("Hel", "lo"):
        state.append(chunk)
    state.settle()
    assert state.text == ""
    assert state.received == 5
    assert state.handle(FinalResponse("Hello")) is False
    with pytest.raises(StreamIntegrityError):
        state.handle(FinalResponse("Hellp"))  # same length, other text
    with pytest.raises(StreamIntegrityError):
        state.handle(FinalResponse("Hello!"))  # other length


# --- stream-end ------------------------------------------------------------------------------


def test_stream_end_returns_true_and_marks_done() -> None:
    state = _state("Hi")
    assert state.handle(StreamEnd()) is True
    assert state.done
    assert state.text == "Hi"


def test_stream_end_with_no_text_is_still_done() -> None:
    state = ReplyState()
    assert state.handle(StreamEnd())
    assert state.done


# --- final-response --------------------------------------------------------------------------


def test_matching_final_response_returns_false_without_warning() -> None:
    state = _state("Hel", "lo")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert state.handle(FinalResponse("Hello")) is False
    assert state.final_message == "Hello"
    assert not state.done


def test_matching_final_response_does_not_raise_when_strict() -> None:
    state = _state("Hel", "lo", raise_on_mismatch=True)
    assert state.handle(FinalResponse("Hello")) is False


def test_differing_final_response_warns() -> None:
    state = _state("Hel")
    with pytest.warns(StreamIntegrityWarning) as warned:
        assert state.handle(FinalResponse("Hello")) is False
    assert [str(w.message) for w in warned] == [
        "final-response (5 characters) differs from the 3 characters of text-chunk events received"
    ]
    assert state.final_message == "Hello"
    assert state.text == "Hel"
    assert not state.done


def test_mismatch_warning_gives_both_lengths() -> None:
    with pytest.warns(StreamIntegrityWarning) as record:
        _state("abc").handle(FinalResponse("abcdefg"))
    message = str(record[0].message)
    assert "7 characters" in message
    assert "3 characters" in message


def test_final_response_with_no_chunks_warns() -> None:
    with pytest.warns(StreamIntegrityWarning):
        ReplyState().handle(FinalResponse("the whole reply"))


def test_mismatch_warning_is_a_user_warning() -> None:
    assert issubclass(StreamIntegrityWarning, UserWarning)


def test_differing_final_response_raises_when_asked() -> None:
    state = _state("Hel", "p", raise_on_mismatch=True)
    with pytest.raises(StreamIntegrityError) as info:
        state.handle(FinalResponse("Hello"))
    assert info.value.final_message == "Hello"
    assert state.fail(info.value).partial_text == "Help"
    assert state.final_message == "Hello"


def test_integrity_error_is_a_darkai_error() -> None:
    with pytest.raises(DarkAIError):
        _state("a", raise_on_mismatch=True).handle(FinalResponse("b"))


def test_raise_on_mismatch_does_not_warn() -> None:
    state = _state("x", raise_on_mismatch=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(StreamIntegrityError):
            state.handle(FinalResponse("y"))


def test_whitespace_difference_counts_as_a_mismatch() -> None:
    with pytest.raises(StreamIntegrityError):
        _state("Hello ", raise_on_mismatch=True).handle(FinalResponse("Hello"))


def test_final_response_then_stream_end_completes() -> None:
    state = _state("Hi")
    assert state.handle(FinalResponse("Hi")) is False
    assert state.handle(StreamEnd()) is True
    assert state.done


# --- error events ----------------------------------------------------------------------------


def test_server_error_raises_server_event_error_with_partial_text() -> None:
    state = _state("Partial ", "answer")
    with pytest.raises(ServerEventError) as info:
        state.handle(ServerError(message="model overloaded", raw='{"message":"model overloaded"}'))
    assert str(info.value) == "the server reported an error: model overloaded"
    assert state.fail(info.value).partial_text == "Partial answer"
    assert not state.done


def test_server_error_before_any_text_has_empty_partial_text() -> None:
    state = ReplyState()
    with pytest.raises(ServerEventError) as info:
        state.handle(ServerError(message="boom", raw="boom"))
    assert state.fail(info.value).partial_text == ""


# --- incomplete ------------------------------------------------------------------------------


def test_fail_records_the_error_with_the_text_received() -> None:
    state = _state("cut ", "sho")
    error = IncompleteStreamError("cut short")
    assert state.fail(error) is error
    assert error.partial_text == "cut sho"
    assert state.error is error
    with pytest.raises(IncompleteStreamError) as info:
        state.whole_text()
    assert info.value is error


def test_whole_text_before_stream_end_raises_incomplete_with_the_text() -> None:
    state = _state("cut ", "sho")
    with pytest.raises(IncompleteStreamError) as info:
        state.whole_text()
    assert info.value.partial_text == "cut sho"
    assert "after 7 characters" in str(info.value)


def test_whole_text_after_stream_end_is_the_text() -> None:
    state = _state("all ", "of it")
    state.handle(StreamEnd())
    assert state.whole_text() == "all of it"


def test_replaced_surrogates_are_warned_once_each() -> None:
    state = ReplyState()
    with pytest.warns(StreamIntegrityWarning, match="2 unpaired UTF-16 surrogate"):
        state.report_replaced(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        state.report_replaced(2)  # nothing new
    with pytest.warns(StreamIntegrityWarning, match="1 unpaired"):
        state.report_replaced(3)


def test_mismatch_warning_points_at_the_callers_line() -> None:
    from darkai_sdk._events import FinalResponse

    state = ReplyState()
    state.append("abc")
    with pytest.warns(StreamIntegrityWarning) as record:
        state.handle(FinalResponse("abd"))  # this line is the caller's
    assert record[0].filename == __file__
