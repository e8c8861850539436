"""The parts of the ``darkai`` command; :mod:`darkai_sdk.cli` is its entry point."""
