"""At-least-once consumption with a dead-letter path.

Every subscriber of the project goes through `subscribe`:
- offsets are committed only after the batch handler returned, so its effects (database
  writes, published events) are durable first; FastStream's Kafka default (ACK_FIRST, an
  auto-commit before handling) would lose a batch on a crash;
- a record that cannot be decoded or validated, or that keeps failing its handler after
  bounded retries, is published to `<topic>.dlq` with headers naming why, and the consumer
  moves on;
- an outage of the database or of Kafka is not the record's fault: nothing is dead-lettered,
  the batch is not committed, and it is consumed again once the dependency is back.
Handlers must be idempotent (see `shared.records`), since redelivery is the normal way to
recover.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from aiokafka import ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.middlewares import AckPolicy

from shared.mongo import is_transient as is_transient_db
from shared.observability import PlumbingMetrics
from shared.privacy import without_values
from shared.records import TooManyConflicts
from shared.rejections import Rejected
from shared.topics import agency_of, dlq, inbound_pattern

T = TypeVar("T")
REDACTED_REASONS = frozenset({"personal-data"})
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery(Generic[T]):
    """A decoded record and where it came from."""

    item: T
    record: ConsumerRecord[Any, Any]


Decoder = Callable[[ConsumerRecord[Any, Any]], T]
BatchHandler = Callable[[list[Delivery[T]]], Awaitable[None]]


def is_transient(exc: BaseException) -> bool:
    return (
        is_transient_db(exc)
        or isinstance(exc, KafkaError | ConnectionError | TimeoutError | TooManyConflicts)
        or (isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError))
    )


class DeadLetters:
    """Publishes unusable records to `<topic>.dlq`, keeping their bytes, key and headers."""

    def __init__(self, broker: KafkaBroker, service: str, metrics: PlumbingMetrics) -> None:
        self._broker = broker
        self._service = service
        self._metrics = metrics

    async def send(
        self,
        record: ConsumerRecord[Any, Any],
        reason: str,
        error: str,
        *,
        topic: str | None = None,
    ) -> None:
        """Dead-letter `record` to `topic` (default `<record's topic>.dlq`). A record refused
        because it holds personal data is dead-lettered without its value and headers: the
        dead-letter topic must not become a second copy of what was refused."""
        redact = reason in REDACTED_REASONS
        headers = (
            {"dlq.redacted": "personal data: value and headers dropped"}
            if redact
            else {k: v.decode("utf-8", "replace") for k, v in (record.headers or ())}
        )
        headers.update(
            {
                "dlq.reason": reason,
                "dlq.error": without_values(error)[:2000],
                "dlq.service": self._service,
                "dlq.topic": record.topic,
                "dlq.partition": str(record.partition),
                "dlq.offset": str(record.offset),
                "dlq.time": datetime.now(UTC).isoformat(),
            }
        )
        await self._broker.publish(
            b"" if redact else record.value or b"",
            topic=topic or dlq(record.topic),
            key=None if redact else record.key,
            headers=headers,
        )
        self._metrics.dead_lettered.labels(self._service, record.topic, reason).inc()
        log.warning(
            "dead-lettered %s[%s]@%s: %s: %s",
            record.topic,
            record.partition,
            record.offset,
            reason,
            without_values(error)[:300],
        )


async def _raw_body(msg: Any) -> Any:
    """Keep the bytes: decoding is ours, so a bad record can be dead-lettered, not crash."""
    return msg.body


def _sanitise_headers(records: Sequence[ConsumerRecord[Any, Any]]) -> None:
    # FastStream decodes header values as UTF-8 before our code runs; one hostile header would
    # make the whole batch fail forever. Replace undecodable bytes instead.
    for record in records:
        if record.headers:
            record.headers = [
                (k, v.decode("utf-8", "replace").encode() if v is not None else b"")
                for k, v in record.headers
            ]


async def _safe_parser(records: Any, original: Callable[[Any], Awaitable[Any]]) -> Any:
    _sanitise_headers(records if isinstance(records, tuple) else (records,))
    return await original(records)


@dataclass
class Subscription(Generic[T]):
    topic: str
    service: str
    decode: Decoder[T]
    handle: BatchHandler[T]
    dead_letters: DeadLetters
    metrics: PlumbingMetrics
    retries: int = 3
    backoff_s: float = 0.2
    transient_pause_s: float = 2.0
    # Inbound topics: also consume every agency's own topic `<topic>.<agency>` and refuse a
    # record there whose CloudEvents `source` is not `agency/<agency>`.
    agency_topics: bool = False

    async def _dead_letter(self, record: ConsumerRecord[Any, Any], reason: str, error: str) -> None:
        # Every agency topic of an inbound topic shares the inbound topic's dead-letter topic.
        await self.dead_letters.send(record, reason, error, topic=dlq(self.topic))

    def _bound(self, record: ConsumerRecord[Any, Any], item: T) -> T:
        if not self.agency_topics:
            return item
        agency = agency_of(self.topic, record.topic)
        source = getattr(getattr(item, "envelope", None), "source", None)
        if agency is not None and source != f"agency/{agency}":
            log.warning(
                "refused %s[%s]@%s: source %r written to agency %s's topic",
                record.topic,
                record.partition,
                record.offset,
                source,
                agency,
            )
            raise Rejected(
                "forbidden-source",
                f"a record on {record.topic} must have source 'agency/{agency}', not {source!r}",
                status=403,
            )
        return item

    async def run(self, records: Sequence[ConsumerRecord[Any, Any]]) -> None:
        good: list[Delivery[T]] = []
        for record in records:
            try:
                good.append(Delivery(self._bound(record, self.decode(record)), record))
            except Rejected as exc:
                await self._dead_letter(record, exc.reason, exc.detail)
        if good:
            await self._handle(good)
        self.metrics.consumed.labels(self.service, self.topic).inc(len(records))

    async def _handle(self, batch: list[Delivery[T]]) -> None:
        try:
            await self.handle(batch)
            return
        except Exception as exc:
            if is_transient(exc):
                await self._pause(exc)
            if len(batch) == 1:
                first_error: Exception | None = exc
            else:
                log.info(
                    "batch of %d failed (%s); handling one by one",
                    len(batch),
                    without_values(repr(exc)),
                )
                first_error = None
        for delivery in batch:
            await self._handle_one(delivery, first_error)

    async def _handle_one(self, delivery: Delivery[T], error: Exception | None) -> None:
        attempts = 0
        while True:
            if error is None:
                try:
                    await self.handle([delivery])
                    return
                except Exception as exc:
                    error = exc
            if isinstance(error, Rejected):
                await self._dead_letter(delivery.record, error.reason, error.detail)
                return
            if is_transient(error):
                await self._pause(error)
            if attempts >= self.retries:
                await self._dead_letter(
                    delivery.record, "handler-failed", f"{type(error).__name__}: {error}"
                )
                return
            attempts += 1
            self.metrics.retried.labels(self.service, self.topic, "error").inc()
            await asyncio.sleep(self.backoff_s * attempts)
            error = None

    async def _pause(self, exc: BaseException) -> None:
        """A dependency is down: wait a little, then give the batch back uncommitted."""
        self.metrics.retried.labels(self.service, self.topic, "transient").inc()
        log.warning(
            "dependency unavailable (%s); the batch will be consumed again",
            without_values(repr(exc)),
        )
        await asyncio.sleep(self.transient_pause_s)
        raise exc


class OnAssigned(ConsumerRebalanceListener):  # type: ignore[misc]
    """Calls `then` with the partitions this consumer holds after every rebalance (another
    instance of the service started or stopped), before consumption resumes."""

    def __init__(self, then: Callable[[set[TopicPartition]], None]) -> None:
        self.then = then

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.then(set(assigned))


def subscribe(
    broker: KafkaBroker,
    subscription: Subscription[T],
    *,
    group_id: str,
    batch_size: int = 500,
    description: str | None = None,
    on_assigned: Callable[[set[TopicPartition]], None] | None = None,
) -> None:
    """Register `subscription` on `broker` as an at-least-once batch subscriber;
    `on_assigned` is told of each new assignment of partitions."""

    topics = () if subscription.agency_topics else (subscription.topic,)
    pattern = inbound_pattern(subscription.topic) if subscription.agency_topics else None

    @broker.subscriber(
        *topics,
        pattern=pattern,
        group_id=group_id,
        batch=True,
        max_records=batch_size,
        batch_timeout_ms=100,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=_raw_body,
        parser=_safe_parser,
        title=f"{subscription.topic}:{subscription.service}",
        description=description,
        listener=OnAssigned(on_assigned) if on_assigned is not None else None,
    )
    async def consume(body: list[bytes], msg: KafkaMessage) -> None:
        records = msg.raw_message
        await subscription.run(records if isinstance(records, tuple) else (records,))
