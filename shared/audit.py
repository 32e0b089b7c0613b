"""The audit trail of accepted submissions: which event, from which agency, by which
principal, when and by which path. Written after the submission was accepted; keyed by event
id, so a redelivered submission keeps one entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from shared.mongo import Document, chunks

COLLECTION = "audit"
DUPLICATE_KEY = 11000


@dataclass(frozen=True)
class AuditEntry:
    event_id: str
    agency: str
    principal: str
    channel: str  # "http" or "kafka"
    service: str
    at: datetime


def entry(event_id: str, agency: str, principal: str, channel: str, service: str) -> AuditEntry:
    return AuditEntry(event_id, agency, principal, channel, service, datetime.now(UTC))


async def record(db: AsyncDatabase[Document], entries: Sequence[AuditEntry]) -> None:
    """Insert the entries; one already there (a redelivered submission) is left as it was.
    Plain inserts, because stock FerretDB 1.24 answers each upsert with a scan of the
    collection."""
    for part in chunks(entries):
        docs = [{"_id": e.event_id, **asdict(e)} for e in part]
        try:
            await db[COLLECTION].insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            if any(err.get("code") != DUPLICATE_KEY for err in exc.details.get("writeErrors", [])):
                raise
        except KeyError:
            pass  # FerretDB's reply to a partly duplicate insert, which PyMongo cannot merge


async def for_event(db: AsyncDatabase[Document], event_id: str) -> Document | None:
    return await db[COLLECTION].find_one({"_id": event_id})
