"""ReplyState: what stream-end, final-response and error events mean for a reply."""

from __future__ import annotations

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
from darkai_sdk._reply import ReplyState


def _state(*chunks: str, raise_on_mismatch: bool = False) -> ReplyState:
    state = ReplyState(raise_on_mismatch=raise_on_mismatch)
    state.chunks.extend(chunks)
    return state


def test_new_state_is_empty_and_not_done() -> None:
    state = ReplyState()
    assert state.text == ""
    assert state.chunks == []
    assert state.final_message is None
    assert not state.done
    assert state.retries == 0
    assert not state.raise_on_mismatch


def test_text_joins_the_chunks() -> None:
    assert _state("Hel", "lo", ", world").text == "Hello, world"


def test_elapsed_grows_from_zero() -> None:
    state = ReplyState()
    first = state.elapsed
    assert first >= 0
    assert state.elapsed >= first


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
    with pytest.warns(StreamIntegrityWarning, match="differs"):
        assert state.handle(FinalResponse("Hello")) is False
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
    assert info.value.partial_text == "Help"
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
    assert "model overloaded" in str(info.value)
    assert info.value.partial_text == "Partial answer"
    assert not state.done


def test_server_error_before_any_text_has_empty_partial_text() -> None:
    with pytest.raises(ServerEventError) as info:
        ReplyState().handle(ServerError(message="boom", raw="boom"))
    assert info.value.partial_text == ""


# --- incomplete ------------------------------------------------------------------------------


def test_incomplete_carries_the_partial_text() -> None:
    error = _state("cut ", "sho").incomplete()
    assert isinstance(error, IncompleteStreamError)
    assert error.partial_text == "cut sho"
    assert "7 characters" in str(error)


def test_incomplete_with_no_text() -> None:
    error = ReplyState().incomplete()
    assert error.partial_text == ""
    assert "0 characters" in str(error)


def test_incomplete_returns_rather_than_raises() -> None:
    state = _state("x")
    error = state.incomplete()
    assert isinstance(error, DarkAIError)
    assert not state.done


def test_mismatch_warning_points_at_the_callers_line() -> None:
    from darkai_sdk._events import FinalResponse

    state = ReplyState()
    state.append("abc")
    with pytest.warns(StreamIntegrityWarning) as record:
        state.handle(FinalResponse("abd"))  # this line is the caller's
    assert record[0].filename == __file__
