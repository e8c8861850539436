"""DarkAI models behind an OpenAI-compatible HTTP API, for any OpenAI client.

``create_app(client, api_key=None)`` returns an :class:`aiohttp.web.Application`
on an :class:`~darkai_sdk.AsyncDarkAI`; run it (``darkai gateway`` does) or mount
it in your own aiohttp app. It serves:

- ``POST /v1/chat/completions``, streamed (``stream: true``) or not. A reply lost
  after streaming began ends the stream with an error event
  (``data: {"error": {...}}``) and no ``[DONE]``; unstreamed, it is a 502.
  ``usage`` is ``null``: DarkAI reports no token counts.
- ``GET /v1/models`` and ``GET /v1/models/{id}``: the models and aliases.

Errors are OpenAI error JSON with the matching status. Sampling fields the
service cannot honour are ignored and named in the ``x-darkai-ignored-params``
response header; ``n`` > 1, tools, JSON response formats and ``logprobs`` are
a 400 naming the field.
"""

from __future__ import annotations

from ._gateway._app import IGNORED_PARAMS_HEADER, MAX_BODY_BYTES, create_app

__all__ = ["IGNORED_PARAMS_HEADER", "MAX_BODY_BYTES", "create_app"]
