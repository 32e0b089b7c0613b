"""Reviews's command path, shared by the Kafka subscriber and the HTTP routes, and the
overdue sweep.

A command becomes the next version of the review (or escalation) it is about (see `store`),
then its canonical events are published. A redelivered command (same event id) changes
nothing and re-publishes the events stored with its version, with the same ids, so a crash
between storing and publishing loses nothing and subscribers see one event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiokafka import ConsumerRecord
from pydantic import BaseModel

from services.reviews import domain
from services.reviews.settings import ReviewsSettings
from services.reviews.store import ReviewStore, Version
from shared.consumer import Delivery, Subscription, subscribe
from shared.contracts import EventData, Inbound, accepted_types, decode_inbound
from shared.contracts import reviews as c
from shared.events import Envelope, derived_id, new_event
from shared.rejections import Conflict, Rejected
from shared.service import Runtime
from shared.workdays import LONDON

ACCEPTED = accepted_types("reviews")
log = logging.getLogger(__name__)

# A command retries when another one took the version number it wanted.
MAX_ATTEMPTS = 20

ReviewCommand = Callable[[domain.Review, Any], domain.Outcome]
REVIEW_COMMANDS: dict[type[EventData], ReviewCommand] = {
    c.RecordNotification: domain.record_notification,
    c.CompleteRapidReview: domain.complete_rapid_review,
    c.PublishReport: domain.publish_report,
    c.CompleteAudit: domain.complete_audit,
    c.CloseReview: domain.close_review,
    c.RecordRecommendation: domain.record_recommendation,
    c.PlanAction: domain.plan_action,
    c.UpdateAction: domain.update_action,
}


def review_of(state: dict[str, Any]) -> domain.Review:
    return domain.Review.model_validate(state)


def escalation_of(state: dict[str, Any]) -> domain.Escalation:
    return domain.Escalation.model_validate(state)


def state_of(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def settings_of(runtime: Runtime) -> ReviewsSettings:
    settings = runtime.settings
    assert isinstance(settings, ReviewsSettings)
    return settings


def _envelopes(
    cause: Envelope, subject: str, events: Sequence[tuple[str, EventData]]
) -> list[Envelope]:
    return [
        new_event(
            id=derived_id(cause.id, type_),
            type=type_,
            source=c.SOURCE,
            partnership=cause.partnership,
            subject=subject,
            data=data.model_dump(mode="json"),
        )
        for type_, data in events
    ]


def _meta(
    item: Inbound, summary: str, envelopes: list[Envelope], changed: BaseModel | None = None
) -> dict[str, Any]:
    """What a version records besides the state: which command, when, what it changed and
    which events it published."""
    meta: dict[str, Any] = {
        "command": item.envelope.type,
        "at": item.envelope.time.isoformat(),
        "summary": summary,
        "events": [e.model_dump(mode="json") for e in envelopes],
    }
    if isinstance(changed, domain.Action):
        meta["action_id"] = changed.action_id
    elif isinstance(changed, domain.Recommendation):
        meta["recommendation"] = changed.number
    return meta


def _republished(version: Version) -> list[Envelope]:
    return [Envelope.model_validate(e) for e in version.events]


def _subject_of(data: EventData) -> str:
    for name in ("review_id", "escalation_id"):
        value = getattr(data, name, None)
        if isinstance(value, str):
            return value
    raise Rejected("schema", "command names no review or escalation")


async def execute(runtime: Runtime, item: Inbound) -> list[Envelope]:
    """Apply one command and publish its events; raises `Conflict` when it makes no sense."""
    data = item.data
    assert isinstance(data, EventData)
    target = _subject_of(data)
    if item.envelope.subject not in (None, target):
        raise Rejected("subject-mismatch", f"subject {item.envelope.subject!r} is not {target!r}")
    store = ReviewStore(runtime.db)
    if isinstance(data, c.OpenReview):
        envelopes = await _open(store, item, data)
    elif isinstance(data, c.RaiseEscalation | c.ResolveEscalation):
        envelopes = await _escalate(store, item, data)
    else:
        envelopes = await _change_review(store, item, target, REVIEW_COMMANDS[type(data)])
    await runtime.publish(runtime.topics.reviews_events, envelopes)
    return envelopes


async def ingest(runtime: Runtime, items: list[Inbound]) -> list[Envelope]:
    """Commands in their order (those about one review share a partition, so keep theirs)."""
    published: list[Envelope] = []
    for item in items:
        published.extend(await execute(runtime, item))
    return published


# Each command below reads the newest version, then asks whether it was applied already (in
# that order: a concurrent copy of the same command then either shows up as applied or takes
# the version number this one wants), decides, and appends the next version.


async def _open(store: ReviewStore, item: Inbound, data: c.OpenReview) -> list[Envelope]:
    eid = item.envelope.id
    for _ in range(MAX_ATTEMPTS):
        latest = await store.reviews.latest(data.review_id)
        done = None if latest is None else await store.reviews.applied(latest, eid)
        if done is not None:
            # Applied before; a crash may have cut it short of the links.
            for origin_id in data.origin_review_ids:
                await _link(store, origin_id, data.review_id, item)
            return _republished(done)
        if latest is not None:
            raise Conflict(f"review {data.review_id} already exists")
        origins = {}
        for origin_id in data.origin_review_ids:
            found = await store.reviews.latest(origin_id)
            origins[origin_id] = None if found is None else review_of(found.state)
        outcome = domain.open_review(data, item.envelope.partnership, origins)
        envelopes = _envelopes(item.envelope, data.review_id, outcome.events)
        if await store.reviews.append(
            None,
            data.review_id,
            partnership=item.envelope.partnership,
            state=state_of(outcome.review),
            event_id=eid,
            meta=_meta(item, outcome.summary, envelopes),
        ):
            for origin in outcome.linked:
                await _link(store, origin.review_id, data.review_id, item)
            return envelopes
    raise RuntimeError(f"review {data.review_id}: too many concurrent changes")


async def _link(store: ReviewStore, origin_id: str, follow_up_id: str, cause: Inbound) -> None:
    """Record on `origin_id` the review that followed from it, as a version of its own."""
    link_id = f"{cause.envelope.id}:link"
    for _ in range(MAX_ATTEMPTS):
        latest = await store.reviews.latest(origin_id)
        if latest is None or await store.reviews.applied(latest, link_id) is not None:
            return
        origin = review_of(latest.state)
        if follow_up_id in origin.follow_up_review_ids:
            return
        linked = domain.link_follow_up(origin, follow_up_id)
        if await store.reviews.append(
            latest,
            origin_id,
            partnership=origin.partnership,
            state=state_of(linked),
            event_id=link_id,
            meta={
                "command": "link",
                "at": cause.envelope.time.isoformat(),
                "summary": f"followed by review {follow_up_id}",
                "events": [],
            },
        ):
            return
    raise RuntimeError(f"review {origin_id}: too many concurrent changes")


async def _change_review(
    store: ReviewStore, item: Inbound, review_id: str, command: ReviewCommand
) -> list[Envelope]:
    eid = item.envelope.id
    for attempt in range(MAX_ATTEMPTS):
        # First from the head's copy (the newest but under a race); then from the newest.
        probed = attempt > 0
        latest = await store.reviews.latest(review_id, probe=probed)
        if latest is None:
            raise Conflict(f"review {review_id} does not exist")
        done = await store.reviews.applied(latest, eid)
        if done is not None:
            return _republished(done)
        review = review_of(latest.state)
        if review.partnership != item.envelope.partnership:
            raise Conflict(f"review {review_id} belongs to another partnership")
        try:
            outcome = command(review, item.data)
        except Rejected:
            if probed:
                raise
            continue  # refuse only on the newest version, never on a copy behind it
        envelopes = _envelopes(item.envelope, review_id, outcome.events)
        if await store.reviews.append(
            latest,
            review_id,
            partnership=review.partnership,
            state=state_of(outcome.review),
            event_id=eid,
            meta=_meta(item, outcome.summary, envelopes, outcome.item),
        ):
            return envelopes
    raise RuntimeError(f"review {review_id}: too many concurrent changes")


async def _escalate(
    store: ReviewStore, item: Inbound, data: c.RaiseEscalation | c.ResolveEscalation
) -> list[Envelope]:
    eid, escalation_id = item.envelope.id, data.escalation_id
    for _ in range(MAX_ATTEMPTS):
        latest = await store.escalations.latest(escalation_id)
        done = None if latest is None else await store.escalations.applied(latest, eid)
        if done is not None:
            return _republished(done)
        if isinstance(data, c.RaiseEscalation):
            if latest is not None:
                raise Conflict(f"escalation {escalation_id} already exists")
            escalation, event = domain.raise_escalation(data, item.envelope.partnership)
            change: tuple[str, EventData] = (c.ESCALATION_RAISED, event)
        else:
            if latest is None:
                raise Conflict(f"escalation {escalation_id} does not exist")
            before = escalation_of(latest.state)
            if before.partnership != item.envelope.partnership:
                raise Conflict(f"escalation {escalation_id} belongs to another partnership")
            escalation, resolved = domain.resolve_escalation(before, data)
            change = (c.ESCALATION_RESOLVED, resolved)
        subject = escalation.review_id or escalation_id
        envelopes = _envelopes(item.envelope, subject, [change])
        summary = "escalation raised" if latest is None else "escalation resolved"
        if await store.escalations.append(
            latest,
            escalation_id,
            partnership=escalation.partnership,
            state=state_of(escalation),
            event_id=eid,
            meta=_meta(item, summary, envelopes),
        ):
            return envelopes
    raise RuntimeError(f"escalation {escalation_id}: too many concurrent changes")


# ---------------------------------------------------------------------------------------------
# The overdue sweep


def today_in_london() -> date:
    return datetime.now(LONDON).date()


def _swept_event(key: str, type_: str, review: domain.Review, data: EventData) -> Envelope:
    return new_event(
        id=derived_id(key, type_),
        type=type_,
        source=c.SOURCE,
        partnership=review.partnership,
        subject=review.review_id,
        data=data.model_dump(mode="json"),
    )


async def sweep(runtime: Runtime, today: date, *, lease: timedelta | None = None) -> list[Envelope]:
    """Publish 'action overdue' for every action past its target date (once per action and
    target date) and 'clock breached' for every review past a statutory deadline (once per
    review and clock). Returns what this call published.

    Each event's id derives from its key ("overdue:<action>@<target date>",
    "breach:<review>/<clock>"), so whoever publishes it publishes the same event. A sweep
    claims a key by inserting it (an insert with a taken `_id` fails, so only one sweep of
    several running at once wins), publishes, then marks the key done; the others skip it.
    Claiming before publishing would lose the event if the sweep died in between, so the
    claim is a lease: once it runs out without 'done', a later sweep publishes again. The
    event may then be on the topic twice, with the same id, which subscribers (deduping by
    id) see as one. Reviews are read from their heads (see `store`), which a command in
    flight may not have updated yet; the next sweep sees its effect.
    """
    store = ReviewStore(runtime.db)
    if lease is None:
        lease = timedelta(seconds=settings_of(runtime).sweep_claim_lease_s)
    due: dict[str, Envelope] = {}
    for review in map(review_of, await store.reviews.latest_states()):
        for overdue in domain.overdue_actions(review, today):
            key = f"overdue:{overdue.action_id}@{overdue.target_date}"
            due[key] = _swept_event(key, c.ACTION_OVERDUE, review, overdue)
        breach = domain.clock_breach(review, today)
        if breach is not None:
            key = f"breach:{review.review_id}/{breach.clock.clock}"
            due[key] = _swept_event(key, c.CLOCK_BREACHED, review, breach)
    if not due:
        return []
    published = await store.published(list(due))
    now = datetime.now(UTC)
    mine = [k for k in due if k not in published and await store.claim(k, lease, now)]
    events = [due[k] for k in mine]
    await runtime.publish(runtime.topics.reviews_events, events)
    for key in mine:
        await store.done(key)
    if events:
        log.info("sweep for %s published %d event(s)", today, len(events))
    return events


async def sweeper(runtime: Runtime) -> None:
    """Background job: sweep every `sweep_interval_s` (0 turns it off)."""
    interval = settings_of(runtime).sweep_interval_s
    if interval <= 0:
        return
    while True:
        try:
            await sweep(runtime, today_in_london())
        except Exception:
            log.exception("overdue sweep failed; the next run tries again")
        await asyncio.sleep(interval)


async def create_indexes(runtime: Runtime) -> None:
    await ReviewStore(runtime.db).create_indexes()


# ---------------------------------------------------------------------------------------------
# Kafka


def _decode(record: ConsumerRecord[Any, Any]) -> Inbound:
    return decode_inbound(record.value, ACCEPTED)


def setup(runtime: Runtime) -> None:
    async def handle(batch: list[Delivery[Inbound]]) -> None:
        await ingest(runtime, [d.item for d in batch])
        await runtime.audit_kafka(batch)

    subscribe(
        runtime.broker,
        Subscription(
            topic=runtime.topics.reviews_inbound,
            service=runtime.service,
            decode=_decode,
            handle=handle,
            dead_letters=runtime.dead_letters,
            metrics=runtime.metrics,
            retries=runtime.settings.handler_retries,
            agency_topics=True,
        ),
        group_id=runtime.settings.group_id(),
        batch_size=runtime.settings.consumer_batch_size,
        description="Commands from the partnership business unit: reviews, recommendations, "
        "actions, escalations.",
    )
