"""Reviews's command path, shared by the Kafka subscriber and the HTTP routes, and the
overdue sweep.

A command is one unit of work: load the review (or escalation) it is about, let the domain
decide, append the next version (see `store`), bring the read model up to date, publish its
canonical events. A command that finds its version taken by another writer decides again on
the newer state (`shared.records.retrying`). A redelivered command (same event id) changes
nothing and re-publishes the events stored with its version, with the same ids, so a crash
between storing and publishing loses nothing and subscribers see one event.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiokafka import ConsumerRecord
from pydantic import BaseModel

from services.reviews import assurance, domain
from services.reviews.settings import ReviewsSettings
from services.reviews.store import Aggregates, Chain, ReviewStore, version_change
from shared.consumer import Delivery, Subscription, subscribe
from shared.contracts import EventData, Inbound, accepted_types, decode_inbound
from shared.contracts import reviews as c
from shared.events import Envelope, derived_id, new_event
from shared.records import EntityCache, Key, UnitOfWork, retrying
from shared.rejections import Conflict, Rejected
from shared.service import Runtime
from shared.workdays import LONDON

ACCEPTED = accepted_types("reviews")
log = logging.getLogger(__name__)
_CACHES: weakref.WeakKeyDictionary[Runtime, tuple[EntityCache[Chain], EntityCache[Chain]]] = (
    weakref.WeakKeyDictionary()
)


def store_of(runtime: Runtime) -> ReviewStore:
    """The reviews store of this service process, with the process's caches."""
    return ReviewStore(runtime.db, _CACHES.setdefault(runtime, (EntityCache(), EntityCache())))


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


def _republished(chain: Chain, event_id: str) -> list[Envelope]:
    return [Envelope.model_validate(e) for e in chain.published[event_id]]


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
    if assurance.handles(data):  # returns and cases: facts without a lifecycle
        envelopes = [await assurance.record(runtime.db, item, today_in_london())]
        await runtime.publish(runtime.topics.reviews_events, envelopes)
        return envelopes
    target = _subject_of(data)
    if item.envelope.subject not in (None, target):
        raise Rejected("subject-mismatch", f"subject {item.envelope.subject!r} is not {target!r}")
    store = store_of(runtime)
    if isinstance(data, c.OpenReview):
        envelopes = await _run(store.reviews, lambda uow: _open(uow, item, data))
    elif isinstance(data, c.RaiseEscalation | c.ResolveEscalation):
        envelopes = await _run(store.escalations, lambda uow: _escalate(uow, item, data))
    else:
        command = REVIEW_COMMANDS[type(data)]
        envelopes = await _run(store.reviews, lambda uow: _change_review(uow, item, command))
    await runtime.publish(runtime.topics.reviews_events, envelopes)
    return envelopes


async def ingest(runtime: Runtime, items: list[Inbound]) -> list[Envelope]:
    """Commands in their order (those about one review share a partition, so keep theirs)."""
    published: list[Envelope] = []
    for item in items:
        published.extend(await execute(runtime, item))
    return published


Decide = Callable[[UnitOfWork[Chain]], Any]


async def _run(aggregates: Aggregates, decide: Decide) -> list[Envelope]:
    """One command as a unit of work, retried on conflict; then the read model follows."""

    async def attempt(uow: UnitOfWork[Chain]) -> tuple[list[Envelope], UnitOfWork[Chain]]:
        return await decide(uow), uow

    envelopes, uow = await retrying(aggregates.repository, attempt)
    await aggregates.project((k, e.version, e.state) for k, e in uow.entities.items())
    return envelopes


def _now() -> datetime:
    return datetime.now(UTC)


async def _open(uow: UnitOfWork[Chain], item: Inbound, data: c.OpenReview) -> list[Envelope]:
    p, eid = item.envelope.partnership, item.envelope.id
    key = (p, data.review_id)
    origin_keys = [(p, origin_id) for origin_id in data.origin_review_ids]
    loaded = await uow.load([key, *origin_keys])
    chain = loaded[key]
    if eid in chain.applied:
        envelopes = _republished(chain.state, eid)  # applied before: only the links may lack
    else:
        if chain.version > 0:
            raise Conflict(f"review {data.review_id} already exists")
        origins = {k[1]: _review_or_none(loaded[k].state) for k in origin_keys}
        outcome = domain.open_review(data, p, origins)
        envelopes = _envelopes(item.envelope, data.review_id, outcome.events)
        uow.stage(
            key,
            [version_change(state_of(outcome.review), _meta(item, outcome.summary, envelopes))],
            [eid],
            _now(),
        )
    for origin_key in origin_keys:
        _link(uow, origin_key, data.review_id, item)
    return envelopes


def _review_or_none(chain: Chain) -> domain.Review | None:
    return None if chain.state is None else review_of(chain.state)


def _link(uow: UnitOfWork[Chain], origin_key: Key, follow_up_id: str, cause: Inbound) -> None:
    """Record on the origin review the review that followed from it, as a version of its own
    (in the same unit of work as the opening, so both land or the command runs again)."""
    link_id = f"{cause.envelope.id}:link"
    origin = uow.current(origin_key)
    if origin.state.state is None or link_id in origin.applied:
        return
    review = review_of(origin.state.state)
    if follow_up_id in review.follow_up_review_ids:
        return
    meta = {
        "command": "link",
        "at": cause.envelope.time.isoformat(),
        "summary": f"followed by review {follow_up_id}",
        "events": [],
    }
    linked = domain.link_follow_up(review, follow_up_id)
    uow.stage(origin_key, [version_change(state_of(linked), meta)], [link_id], _now())


async def _change_review(
    uow: UnitOfWork[Chain], item: Inbound, command: ReviewCommand
) -> list[Envelope]:
    eid = item.envelope.id
    assert isinstance(item.data, EventData)
    review_id = _subject_of(item.data)
    key = (item.envelope.partnership, review_id)
    chain = (await uow.load([key]))[key]
    if chain.state.state is None:
        # Another partnership's review is not there as far as this one is concerned.
        raise Conflict(f"review {review_id} does not exist")
    if eid in chain.applied:
        return _republished(chain.state, eid)
    outcome = command(review_of(chain.state.state), item.data)
    envelopes = _envelopes(item.envelope, review_id, outcome.events)
    meta = _meta(item, outcome.summary, envelopes, outcome.item)
    uow.stage(key, [version_change(state_of(outcome.review), meta)], [eid], _now())
    return envelopes


async def _escalate(
    uow: UnitOfWork[Chain], item: Inbound, data: c.RaiseEscalation | c.ResolveEscalation
) -> list[Envelope]:
    eid, escalation_id = item.envelope.id, data.escalation_id
    key = (item.envelope.partnership, escalation_id)
    chain = (await uow.load([key]))[key]
    if eid in chain.applied:
        return _republished(chain.state, eid)
    before = chain.state.state
    if isinstance(data, c.RaiseEscalation):
        if before is not None:
            raise Conflict(f"escalation {escalation_id} already exists")
        escalation, event = domain.raise_escalation(data, item.envelope.partnership)
        change: tuple[str, EventData] = (c.ESCALATION_RAISED, event)
    else:
        if before is None:
            raise Conflict(f"escalation {escalation_id} does not exist")
        escalation, resolved = domain.resolve_escalation(escalation_of(before), data)
        change = (c.ESCALATION_RESOLVED, resolved)
    subject = escalation.review_id or escalation_id
    envelopes = _envelopes(item.envelope, subject, [change])
    summary = "escalation raised" if before is None else "escalation resolved"
    uow.stage(
        key, [version_change(state_of(escalation), _meta(item, summary, envelopes))], [eid], _now()
    )
    return envelopes


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
    store = store_of(runtime)
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
    await store_of(runtime).create_indexes()


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
