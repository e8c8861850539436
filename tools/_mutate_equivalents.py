"""The surviving mutants of tools/mutate.py known to be equivalent, each with why.

Keyed by (module, function, code before, code after), as mutate.py prints them.
"""

from __future__ import annotations

__all__ = ["EQUIVALENT"]

#: Surviving mutants that cannot be told from the original by any test: (module,
#: function, code before, code after, as printed) -> why. Reported as "equivalent", still
#: counted as survivors in the score.
# A fast-path condition: its mutant only changes which way a read is decoded.
_PATH = "picks the fast path or the general way, which decode alike (property tests compare them)"

EQUIVALENT: dict[tuple[str, str, str, str], str] = {
    ("_retry", "parse_retry_after", "-1.0", "-2.0"): (
        "a sentinel for an unparsable value: any negative is refused alike"
    ),
    ("_retry", "RetryPolicy.delay", "min(attempt, 64)", "min(attempt, 65)"): (
        "only keeps 2 ** attempt finite: either cap is far past max_delay"
    ),
    ("_status", "is_event_stream", "content_type.split(';', 1)", "content_type.split(';', 2)"): (
        "only the part before the first ';' is read"
    ),
    ("_redact", "", "TypeVar('_E', bound=Exception)", "TypeVar('XX_EXX', bound=Exception)"): (
        "a type variable's name is only shown by type checkers"
    ),
    ("_redact", "secrets_of", "pair = ''", "pair = 'XXXX'"): (
        "an undecodable pair: any text without a ':' adds nothing"
    ),
    ("_redact", "secrets_of", "quote(s, safe='')", "quote(s, safe='XXXX')"): (
        "letters are never quoted: making 'X' safe changes nothing"
    ),
    ("_reply", "ReplyState._matches", "return False", "return"): (
        "_matches() is only read as a truth value: None is false"
    ),
    ("_request", "_origin", "parts.hostname or ''", "parts.hostname or 'XXXX'"): (
        "both URLs have a host (base_url needs one; urljoin keeps it for a same-scheme Location)"
    ),
    ("_sse", "SSEDecoder.__init__", "self._data_len = 0", "self._data_len = 1"): (
        "read only once the event has data, whose first line sets it"
    ),
    ("_sse", "SSEDecoder._lines", "data_len = 0", "data_len = 1"): (
        "read only once the event has data, whose first line sets it"
    ),
    ("_sse", "SSEDecoder.fail", "self._tail_len = 0", "self._tail_len = 1"): (
        "a failed decoder only raises its error: the sizes are never read again"
    ),
    ("_sse", "SSEDecoder.fail", "self._data_len = 0", "self._data_len = 1"): (
        "a failed decoder only raises its error: the sizes are never read again"
    ),
    (
        "_sse",
        "SSEDecoder._process",
        "len(text) + self._tail_len > cap",
        "len(text) + self._tail_len >= cap",
    ): ("only says whether to check line lengths: checking one more text finds nothing more"),
    ("_sse", "SSEDecoder._lines", "colon == 0", "colon == 1"): (
        "a comment and a one-letter field are both ignored (no field has a one-letter name)"
    ),
    ("_sse", "SSEDecoder._lines", "colon < 0", "colon <= 0"): (
        "colon == 0 (a comment) was handled just before"
    ),
    ("_sse", "SSEDecoder._lines", "colon < 0", "colon < 1"): (
        "colon == 0 (a comment) was handled just before"
    ),
    ("_template", "", "_PROBE = 'é Z中'", "_PROBE = 'XXé Z中XX'"): (
        "any probe without a quote, backslash or control character proves the slot alike"
    ),
    ("_template", "learn_template", "continue", "break"): (
        "only a UTF-16 payload fails there, and then in every slot alike"
    ),
    ("_template", "_is_text_chunk", "return False", "return"): (
        "only read as a truth value: None is false"
    ),
    ("_template", "_strings", "first >= 0", "first > 0"): (
        "the payload starts with a space or '{', never a quote"
    ),
    ("_template", "_strings", "first >= 0", "first >= 1"): (
        "the payload starts with a space or '{', never a quote"
    ),
    ("_template", "_strings", "last >= 0", "last > 0"): ("a closing quote is never at position 0"),
    ("_template", "_strings", "last >= 0", "last >= 1"): ("a closing quote is never at position 0"),
    ("_template", "_strings", "last < 0", "last <= 0"): ("a closing quote is never at position 0"),
    ("_template", "_strings", "last < 0", "last < 1"): ("a closing quote is never at position 0"),
    ("_template", "_strings", "last + 1", "last + 2"): (
        "in JSON a quote never follows a closing quote directly"
    ),
    ("_template", "_strings", "last + 1", "last - 1"): (
        "the extra, wrong slots it yields all fail the probe; the right ones are still yielded"
    ),
    ("_events", "", "1 << 20", "2 << 20"): ("the slice size only bounds temporary copies"),
    ("_events", "", "1 << 20", "1 << 21"): ("the slice size only bounds temporary copies"),
    ("_events", "EventDecoder.feed", "not self._carry", "self._carry"): _PATH,
    ("_events", "EventDecoder.feed", "len(data) <= self._step", "len(data) < self._step"): _PATH,
    (
        "_events",
        "EventDecoder.feed",
        "len(data) - len(template.close)",
        "len(data) + len(template.close)",
    ): _PATH,
    ("_events", "EventDecoder.feed", "len(body) + 1", "len(body) + 2"): _PATH,
    ("_events", "EventDecoder.feed", "len(whole) > self._step", "len(whole) >= self._step"): _PATH,
    ("_events", "EventDecoder.feed", "end < len(whole)", "end <= len(whole)"): _PATH,
    ("_events", "EventDecoder.feed", "body + '\"'", "body + 'XX\"XX'"): _PATH,
    (
        "_events",
        "EventDecoder.feed",
        "92 not in data or (b'\\\\ud' not in data and b'\\\\uD' not in data)",
        "92 not in data and (b'\\\\ud' not in data and b'\\\\uD' not in data)",
    ): _PATH,
    ("_events", "EventDecoder.feed", "end < 2", "end <= 2"): _PATH,
    ("_events", "EventDecoder.feed", "end < 2", "end < 3"): _PATH,
    (
        "_events",
        "EventDecoder.feed",
        "whole.rfind(b'\\n\\n') + 2",
        "whole.rfind(b'\\n\\n') + 3",
    ): _PATH,
    (
        "_events",
        "EventDecoder.feed",
        "whole.endswith(template.close, 0, end)",
        "whole.endswith(template.close, 1, end)",
    ): _PATH,
    (
        "_events",
        "EventDecoder.feed",
        "whole.find(b'\\n\\n', start) + 2 == end",
        "whole.find(b'\\n\\n', start) + 2 != end",
    ): _PATH,
    (
        "_events",
        "EventDecoder.feed",
        "whole.find(b'\\n\\n', start) + 2",
        "whole.find(b'\\n\\n', start) - 2",
    ): _PATH,
    (
        "_events",
        "EventDecoder.feed",
        "whole.find(b'\\n\\n', start) + 2",
        "whole.find(b'\\n\\n', start) + 3",
    ): _PATH,
    (
        "_events",
        "EventDecoder.feed",
        "whole.find(b'\\n\\n', start)",
        "whole.find(b'XX\\n\\nXX', start)",
    ): _PATH,
    ("_events", "EventDecoder._feed_all", "len(data) <= step", "len(data) < step"): (
        "a read of exactly the slice size is cut in one more place: decoded alike"
    ),
    ("_events", "EventDecoder.close", "(self._carry, b'')", "(self._carry, b'XXXX')"): (
        "a closed decoder takes no more input"
    ),
    ("_events", "EventDecoder._fail", "self._carry = b''", "self._carry = b'XXXX'"): (
        "a failed decoder only raises its error"
    ),
    (
        "_events",
        "EventDecoder._feed",
        "len(carry) + len(data) <= sse.max_line_size",
        "len(carry) + len(data) < sse.max_line_size",
    ): ("the carry decoded on its own or with the read: alike"),
    ("_events", "EventDecoder._feed", "pos < size", "pos <= size"): (
        "one more turn decodes nothing (an empty rest)"
    ),
    ("_events", "EventDecoder._feed", "end < 0", "end <= 0"): _PATH,
    ("_events", "EventDecoder._feed", "end < 0", "end < 1"): _PATH,
    ("_events", "EventDecoder._feed", "continue", "break"): (
        "_run() consumed the whole read: the loop ends either way"
    ),
    ("_events", "EventDecoder._feed", "first < 0", "first < 1"): _PATH,
    ("_events", "EventDecoder._feed", "first < 0", "first <= 0"): _PATH,
    (
        "_events",
        "EventDecoder._feed",
        "first + len(template.close)",
        "first - len(template.close)",
    ): ("only moves where the general way's input is cut: the SSE decoder reads any cut alike"),
    ("_events", "EventDecoder._learn", "end < 0", "end <= 0"): (
        "an idle decoder's read never starts with a blank line's end"
    ),
    ("_events", "EventDecoder._learn", "end < 0", "end < 1"): (
        "an idle decoder's read never starts with a blank line's end"
    ),
    (
        "_events",
        "EventDecoder._learn",
        "data.find(b'text-chunk', pos, end) < 0",
        "data.find(b'text-chunk', pos, end) <= 0",
    ): ("an event never starts with 'text-chunk'"),
    (
        "_events",
        "EventDecoder._learn",
        "data.find(b'text-chunk', pos, end) < 0",
        "data.find(b'text-chunk', pos, end) < 1",
    ): ("an event never starts with 'text-chunk'"),
    ("_events", "EventDecoder._learn", "return False", "return"): (
        "only read as a truth value: None is false"
    ),
    ("_events", "EventDecoder._learn", "return True", "return"): (
        "the template is learned either way; this read's rest goes the general way: alike"
    ),
    ("_events", "EventDecoder._learn", "return True", "return False"): (
        "the template is learned either way; this read's rest goes the general way: alike"
    ),
    ("_events", "EventDecoder._run", "blank >= 0", "blank > 0"): (
        "found at or after the template's opening: never at 0"
    ),
    ("_events", "EventDecoder._run", "blank >= 0", "blank >= 1"): (
        "found at or after the template's opening: never at 0"
    ),
    ("_events", "EventDecoder._run", "last >= 0", "last > 0"): (
        "found at or after the template's opening: never at 0"
    ),
    ("_events", "EventDecoder._run", "last >= 0", "last >= 1"): (
        "found at or after the template's opening: never at 0"
    ),
    ("_events", "EventDecoder._run", "pos < len(data)", "pos <= len(data)"): (
        "an empty rest carried is no rest"
    ),
    ("_events", "EventDecoder._pieces", "hi - lo > 1", "hi - lo >= 1"): (
        "one piece joined is that piece"
    ),
    ("_events", "EventDecoder._pieces", "hi - lo", "hi + lo"): ("one piece joined is that piece"),
    (
        "_texts",
        "decode_bodies",
        "(len(region) - len(joined)) // (len(sep) - 3)",
        "(len(region) - len(joined)) / (len(sep) - 3)",
    ): ("the division is exact: the same number, compared as one"),
    (
        "_texts",
        "decode_bodies",
        "end != len(source) or len(texts) != count",
        "end != len(source) and len(texts) != count",
    ): ("a guard that cannot fire once the quote count is right"),
    ("_texts", "Surrogates.pair", "''.join", "'XXXX'.join"): (
        "only asks whether the texts encode: a separator cannot pair or unpair a surrogate"
    ),
}
