"""Why an input cannot be used: one exception every decoder and domain rule raises, so the
Kafka path (dead-letter topic) and the HTTP path (4xx) report the same reason."""

from __future__ import annotations


class Rejected(Exception):
    """An input that will never succeed, however often it is retried."""

    def __init__(self, reason: str, detail: str, *, status: int = 422) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.status = status


class Conflict(Rejected):
    """A command that makes no sense in the current state (HTTP 409)."""

    def __init__(self, detail: str) -> None:
        super().__init__("conflict", detail, status=409)
