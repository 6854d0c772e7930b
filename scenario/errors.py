"""Errors every layer raises in the same shape: the field, what is wrong, and how to fix it."""

from __future__ import annotations


class InvalidSpec(ValueError):
    """A spec the API server would reject (HTTP 422), or a scenario value we cannot express.

    `field` is the API path (`spec.strategy.rollingUpdate.maxSurge`) so the message names the field
    exactly as `kubectl` would.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")
