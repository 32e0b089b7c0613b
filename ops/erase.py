"""`pulse erase`: remove one contact, or every contact of one child reference, from every
service that holds it (intake's history and read model, reporting's facts and figures), and
leave tombstones so that no later event or rebuild brings it back. The canonical topics keep
their events (they are the history, kept for ever); the tombstones keep them out of figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.intake import erasure as intake_erasure
from services.intake.settings import IntakeSettings
from services.reporting import erasure as reporting_erasure
from services.reporting.recompute import recompute_year
from services.reporting.settings import ReportingSettings
from services.reporting.store import ReportingStore
from shared.mongo import create_client


@dataclass(frozen=True)
class Erasure:
    partnership: str
    contacts: int  # contacts erased
    records: int  # intake records deleted
    years: list[str]  # financial years whose figures were recomputed


async def erase(
    intake: IntakeSettings,
    reporting: ReportingSettings,
    partnership: str,
    *,
    contact_ids: Sequence[str] = (),
    child_ref: str | None = None,
) -> Erasure:
    intake_client = create_client(intake.mongodb_url, app_name="pulse-erase")
    reporting_client = create_client(reporting.mongodb_url, app_name="pulse-erase")
    try:
        intake_db = intake_client[intake.database_name()]
        ids = list(dict.fromkeys(contact_ids))
        if child_ref is not None:
            ids += await intake_erasure.contacts_of_child(intake_db, partnership, child_ref)
        if not ids:
            return Erasure(partnership, 0, 0, [])
        records = await intake_erasure.erase_contacts(intake_db, partnership, ids)
        store = ReportingStore(reporting_client[reporting.database_name()])
        years = await reporting_erasure.erase_contacts(store, partnership, ids)
        for _, fy in sorted(years):
            await recompute_year(store, partnership, fy)
        return Erasure(partnership, len(ids), records, sorted(fy for _, fy in years))
    finally:
        await intake_client.close()
        await reporting_client.close()
