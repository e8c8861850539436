"""The parts of :mod:`darkai_sdk.batch`: reading its input, writing its results, pacing it."""
