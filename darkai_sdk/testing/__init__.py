"""A faithful local DarkAI server with fault modes, for tests and demos.

``DarkAIServer`` serves the real wire protocol on 127.0.0.1; ``Reply`` scripts
what it sends, faults included. ``MockTransport`` plays replies in memory, with
no socket, for unit tests. The ``darkai_server`` pytest fixture lives in
:mod:`darkai_sdk.testing.pytest_plugin`, so importing this package needs no pytest.
"""

from ._mock import MockAnswer, MockEvent, MockHandler, MockResponse, MockTransport
from ._replies import DEFAULT_MODELS, MALFORMED_DATA, Reply, default_reply_text
from ._server import CHAT_PATH, DarkAIServer, RecordedRequest
from ._wire import encode_event, render_body

__all__ = [
    "CHAT_PATH",
    "DEFAULT_MODELS",
    "MALFORMED_DATA",
    "DarkAIServer",
    "MockAnswer",
    "MockEvent",
    "MockHandler",
    "MockResponse",
    "MockTransport",
    "RecordedRequest",
    "Reply",
    "default_reply_text",
    "encode_event",
    "render_body",
]
