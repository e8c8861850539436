"""The parts of :mod:`darkai_sdk.gateway`: DarkAI behind an OpenAI-compatible HTTP API."""
