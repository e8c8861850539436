"""The ``darkai`` command against a real Node.js server: no raw control character, no half emoji.

The server (tests/peers/darkai_server.mjs) sends ``?text=`` in events sliced by
UTF-16 code units: escape sequences and emoji arrive cut in two, in separate
HTTP chunks, as ``JSON.stringify`` writes them.
"""

from __future__ import annotations

import pytest
from cli_support import POSIX_ONLY, darkai, json_lines, run_on_a_terminal
from node_peer import at

pytestmark = [pytest.mark.timeout(60), POSIX_ONLY]

REPLY = "Hi \x1b[31mred\x1b[0m\ttab\r\nnext\rback \x9b2J\x07 \u202e🙂 done"


@pytest.mark.parametrize("units", [1, 3])
def test_on_a_terminal_controls_are_escaped_and_emoji_whole(node_url: str, units: int) -> None:
    code, out, err = run_on_a_terminal("--base-url", at(node_url, text=REPLY, units=units), "hi")
    assert code == 0, err
    assert out == "Hi \\x1b[31mred\\x1b[0m\ttab\nnext\\rback \\x9b2J\\x07 \\u202e🙂 done\n"


def test_json_events_decode_to_exactly_what_node_sent(node_url: str) -> None:
    result = darkai("--base-url", at(node_url, text=REPLY, units=1), "--json", "hi")
    assert result.returncode == 0, result.stderr
    *texts, done = json_lines(result.stdout)
    assert "".join(event["text"] for event in texts) == REPLY
    assert done["type"] == "done" and done["final_message_matches"] is True
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
