"""Corrections and Operation Encompass coverage in the contact file and the handler (in-memory
record store). Issue 15: "a second MASH decision, early-help allocation, VIST or Encompass
record for a contact is refused with 409 ("corrections are not accepted"), so one keying
error stays in the timeliness and conversion figures for ever"; the inspection letter:
"These notifications to schools can only take place once police submit a VIST. Some VISTs
are delayed and a few not submitted at all."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from services.intake import domain
from services.intake.handlers import ACCEPTED, record_batch
from services.intake.store import ContactFolding, view_document
from shared import inbound_policy
from shared.contracts import decode_inbound
from shared.contracts.intake import (
    DA_INCIDENT_ATTENDED,
    DECIDED,
    EARLY_HELP_ALLOCATED,
    ENCOMPASS_DUE,
    ENCOMPASS_NOTIFIED,
    VIST_RECORDED,
)
from shared.events import Envelope, encode, new_event
from shared.records import MemoryRecordStore, Repository
from shared.rejections import Rejected
from shared.school_calendar import SchoolCalendar, Term
from tests.unit.intake.factories import at, contact, decision, early_help, encompass, inbound, vist

NOW = at(2026, 12, 10, 12)
SKEW = timedelta(minutes=5)
KEY = ("glos", "c-1")


@pytest.fixture(autouse=True)
def _policy_clock_at_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inbound_policy, "_today", lambda: NOW.date())


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def corrected(data: dict[str, Any], reason: str, hour: int, **changes: Any) -> dict[str, Any]:
    return {
        **data,
        **changes,
        "correction": {"reason": reason, "corrected_at": at(2026, 11, 20, hour).isoformat()},
    }


def incident(contact_id: str = "c-1", **overrides: Any) -> dict[str, Any]:
    return {
        "contact_id": contact_id,
        "incident_at": at(2026, 11, 24, 1, 30).isoformat(),  # a Tuesday, in term
        "attended_at": at(2026, 11, 24, 2).isoformat(),
        **overrides,
    }


def police_incident(data: dict[str, Any], **attrs: Any) -> Envelope:
    return new_event(
        type=DA_INCIDENT_ATTENDED,
        source="agency/glos-police",
        partnership="glos",
        subject=data["contact_id"],
        data=data,
        **attrs,
    )


def lifecycle(*events: Envelope) -> list[tuple[Envelope, domain.Lifecycle]]:
    decoded = [decode_inbound(encode(e), ACCEPTED) for e in events]
    return [(d.envelope, d.data) for d in decoded]  # type: ignore[misc]


def repository(store: MemoryRecordStore | None = None) -> Repository[domain.ContactFile]:
    return Repository(store or MemoryRecordStore(), ContactFolding())


async def send(repo: Repository[domain.ContactFile], *events: Envelope, **kw: Any) -> Any:
    return await record_batch(repo, lifecycle(*events), now=NOW, skew=SKEW, **kw)


async def current(store: MemoryRecordStore) -> domain.ContactFile:
    """The file as a new process folds it from the records."""
    [entity] = (await repository(store).load([KEY])).values()
    return entity.state


# ---------------------------------------------------------------------------------------------
# Corrections


async def test_a_corrected_mash_decision_supersedes_the_first_and_the_timeline_keeps_both() -> None:
    """ "A later decision ... supersedes the earlier one, is versioned with who and why, and
    every figure reflects the current version; the timeline keeps both." (issue 15)"""
    store = MemoryRecordStore()
    repo = repository(store)
    first = inbound("decision", decision(outcome="no-further-action", level=1))
    await send(repo, inbound("contact", contact()), first)
    fix = inbound(
        "decision",
        corrected(decision(), "wrong-outcome", 9, outcome="social-care-assessment", level=4),
        source="agency/glos-mash",
    )
    done = await send(repo, fix, principal="mash-key")

    [announced] = [e for e in done.outgoing if e.type == DECIDED]
    assert announced.data["outcome"] == "social-care-assessment"
    assert announced.data["converted_to_referral"] is True
    assert announced.data["sequence"] == 2
    note = announced.data["correction"]
    assert (note["reason"], note["corrected_by"]) == ("wrong-outcome", "glos-mash")
    assert when(note["corrected_at"]) == at(2026, 11, 20, 9)
    file = await current(store)
    assert file.decision is not None
    assert file.decision.event_id == fix.id
    doc = view_document(file, 2)
    decisions = [e for e in doc["timeline"] if e["type"] == first.type]
    assert [(e["event_id"], e["revision"], e["current"]) for e in decisions] == [
        (fix.id, 2, True),
        (first.id, 1, False),
    ]
    assert decisions[0]["principal"] == "mash-key"
    assert decisions[0]["source"] == "agency/glos-mash"
    assert doc["decision"]["data"]["outcome"] == "social-care-assessment"


async def test_a_second_record_without_a_correction_is_still_refused() -> None:
    repo = repository()
    await send(repo, inbound("decision", decision()))
    with pytest.raises(Rejected) as caught:
        await send(repo, inbound("decision", decision(level=2)))
    assert caught.value.status == 409
    assert "correction" in caught.value.detail


async def test_a_redelivered_correction_is_a_no_op() -> None:
    store = MemoryRecordStore()
    repo = repository(store)
    fix = inbound("decision", corrected(decision(), "wrong-level", 9, level=2))
    await send(repo, inbound("contact", contact()), inbound("decision", decision()))
    once = await send(repo, fix)
    again = await send(repository(store), fix)  # another process, the same event id
    assert len(once.written) == 1
    assert again.written == []
    assert [e.id for e in again.outgoing] == [e.id for e in once.outgoing]
    assert len(store.records[KEY]) == 2


async def test_a_correction_made_earlier_but_arriving_later_is_kept_but_not_current() -> None:
    """An older late correction does not win: the one made latest is current."""
    store = MemoryRecordStore()
    repo = repository(store)
    newer = inbound("decision", corrected(decision(), "wrong-level", 11, level=3))
    older = inbound("decision", corrected(decision(), "wrong-level", 10, level=2))
    await send(repo, inbound("contact", contact()), inbound("decision", decision()))
    await send(repo, newer)
    late = await send(repo, older)
    assert [e for e in late.outgoing if e.type == DECIDED] == []  # nothing new to announce
    file = await current(store)
    assert file.decision is not None
    assert file.decision.data.level == 3
    assert [v.revision for v in file.versions("decision")] == [1, 2, 3]


async def test_an_original_arriving_after_its_correction_never_becomes_current() -> None:
    repo = repository()
    fix = inbound("decision", corrected(decision(), "keying-error", 9, level=2))
    await send(repo, inbound("contact", contact()), fix)
    late = await send(repo, inbound("decision", decision(level=4)))
    assert [e for e in late.outgoing if e.type == DECIDED] == []
    file = await current(repo.store)  # type: ignore[arg-type]
    assert file.decision is not None
    assert file.decision.data.level == 2


async def test_a_correction_is_checked_like_the_original() -> None:
    repo = repository()
    await send(repo, inbound("contact", contact()), inbound("decision", decision()))
    before_receipt = at(2026, 11, 8, 10).isoformat()
    with pytest.raises(Rejected) as caught:
        await send(
            repo,
            inbound("decision", corrected(decision(), "wrong-time", 9, decided_at=before_receipt)),
        )
    assert caught.value.status == 422
    with pytest.raises(Rejected):  # a reason must come from the closed list
        lifecycle(inbound("decision", corrected(decision(), "typed by Jane", 9)))


async def test_a_corrected_decision_time_re_derives_the_early_help_wait() -> None:
    repo = repository()
    await send(
        repo,
        inbound("contact", contact()),
        inbound("decision", decision(outcome="early-help", level=2)),
        inbound("early_help", early_help()),
    )
    fix = inbound(
        "decision",
        corrected(
            decision(),
            "wrong-time",
            9,
            outcome="early-help",
            level=2,
            decided_at=at(2026, 11, 16, 9).isoformat(),
        ),
    )
    done = await send(repo, fix)
    [allocated] = [e for e in done.outgoing if e.type == EARLY_HELP_ALLOCATED]
    assert allocated.data["wait_days"] == 7  # 16 Nov to 23 Nov, was 14 from 9 Nov
    assert allocated.data["sequence"] == 2
    assert allocated.data["correction"]["reason"] == "wrong-time"


async def test_vist_and_allocation_corrections_rise_in_sequence() -> None:
    repo = repository()
    await send(repo, inbound("vist", vist()))
    done = await send(
        repo,
        inbound(
            "vist",
            corrected(vist(), "wrong-time", 9, submitted_at=at(2026, 11, 8, 23, 30).isoformat()),
        ),
    )
    [recorded] = [e for e in done.outgoing if e.type == VIST_RECORDED]
    assert recorded.data["same_day"] is True
    assert recorded.data["sequence"] == 2


# ---------------------------------------------------------------------------------------------
# Operation Encompass: the police incident and the notification


async def test_a_police_incident_is_due_before_school_starts_that_morning() -> None:
    """ "An incident at 02:00 on a school day is due that morning" (issue 15): police attend
    at 02:00 on Tuesday 24 November 2026, the school must know before 08:30 Tuesday."""
    repo = repository()
    done = await send(repo, police_incident(incident()))
    [due] = [e for e in done.outgoing if e.type == ENCOMPASS_DUE]
    assert when(due.data["deadline"]) == at(2026, 11, 24, 8, 30)
    assert done.receipts[0].status == "awaiting-contact"


async def test_the_notice_is_timed_from_police_attendance_on_the_partnership_calendar() -> None:
    repo = repository()
    late_notice = encompass(
        incident_at=at(2026, 11, 24, 1, 30).isoformat(),
        notified_at=at(2026, 11, 24, 9).isoformat(),
    )
    first = await send(repo, inbound("encompass", late_notice))
    [alone] = [e for e in first.outgoing if e.type == ENCOMPASS_NOTIFIED]
    assert alone.data["on_time"] is False  # 09:00 is after Tuesday's 08:30 start
    assert alone.data["incident_recorded"] is False

    # The police incident record arrives: attended at 02:00; the notification is re-derived
    # against it (new id, higher sequence).
    police = police_incident(incident())
    then = await send(repo, police)
    [notified] = [e for e in then.outgoing if e.type == ENCOMPASS_NOTIFIED]
    assert notified.id != alone.id
    assert notified.data["sequence"] == 2
    assert notified.data["incident_recorded"] is True
    assert when(notified.data["attended_at"]) == at(2026, 11, 24, 2)

    # A partnership whose schools start at 09:15 that day (its own term dates).
    late_start = SchoolCalendar(
        "late start",
        (Term(at(2026, 9, 1).date(), at(2026, 12, 18).date()),),
        session_start=at(2026, 1, 1, 9, 15).time(),
    )
    again = await send(repository(repo.store), police, calendars={"glos": late_start})  # type: ignore[arg-type]
    [on_their_calendar] = [e for e in again.outgoing if e.type == ENCOMPASS_NOTIFIED]
    assert when(on_their_calendar.data["deadline"]) == at(2026, 11, 24, 9, 15)
    assert on_their_calendar.data["on_time"] is True
