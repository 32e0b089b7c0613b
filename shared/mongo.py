"""MongoDB clients. An AsyncMongoClient belongs to the event loop that made it, so clients are
made by the running service (or test), never at import time."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

Document = dict[str, Any]


def create_client(url: str, *, app_name: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(
        url,
        appname=app_name,
        serverSelectionTimeoutMS=5_000,
        connectTimeoutMS=5_000,
        tz_aware=True,
    )


def is_transient(exc: BaseException) -> bool:
    """A database error that will pass by itself (server restarting, network blip)."""
    if isinstance(exc, ConnectionFailure):
        return True
    if isinstance(exc, OperationFailure):
        return False
    return isinstance(exc, PyMongoError) and exc.has_error_label("RetryableWriteError")
