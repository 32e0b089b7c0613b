"""Kafka plumbing: a broker with safe producer defaults and the topics a service needs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.security import BaseSecurity, SASLScram256, SASLScram512
from prometheus_client import CollectorRegistry

from shared.events import CONTENT_TYPE, Envelope, encode
from shared.topics import topic_configs

log = logging.getLogger(__name__)
_CONTENT_TYPE = CONTENT_TYPE.encode()


def sasl(mechanism: str, username: str, password: str) -> BaseSecurity | None:
    """SCRAM credentials for a broker with SASL (the compose file's), or None for PLAINTEXT."""
    if not mechanism:
        return None
    scram = SASLScram512 if mechanism == "SCRAM-SHA-512" else SASLScram256
    return scram(username, password, use_ssl=False)


def create_broker(
    bootstrap_servers: str,
    *,
    client_id: str,
    registry: CollectorRegistry | None = None,
    graceful_timeout: float = 30.0,
    security: BaseSecurity | None = None,
) -> KafkaBroker:
    """A broker whose producer waits for every in-sync replica and is idempotent: FastStream's
    own default (acks=1, no idempotence) can lose or duplicate a record on a leader change."""
    middlewares: Sequence[Any] = ()
    if registry is not None:
        middlewares = (KafkaPrometheusMiddleware(registry=registry, app_name=client_id),)
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        graceful_timeout=graceful_timeout,
        middlewares=middlewares,
        security=security,
        # Agency topics appear while a service runs; notice them within half a minute.
        metadata_max_age_ms=30_000,
        logger=logging.getLogger(f"pulse.{client_id}.kafka"),
    )


class EventProducer:
    """Publishes this service's canonical events with aiokafka's producer directly, set up
    as `create_broker`'s is (every in-sync replica, idempotent). FastStream's publish path
    (command objects, middlewares, headers dict per record) cost intake about 45 µs a record,
    more than the producer itself; the dead-letter path keeps using the broker. Created on
    start, inside the running loop, like every client here."""

    def __init__(self, bootstrap_servers: str, *, client_id: str, **options: Any) -> None:
        self._bootstrap = bootstrap_servers
        self._client_id = client_id
        self._options = options
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            acks="all",
            enable_idempotence=True,
            metadata_max_age_ms=30_000,
            **self._options,
        )
        await producer.start()
        self._producer = producer

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish(self, topic: str, events: Iterable[Envelope]) -> int:
        """Publish in order and wait until Kafka has every record: a caller may commit its
        input after this. Records are handed to the producer one after another without
        waiting, so they travel in batches; the confirmations are awaited together at the
        end. Returns how many were published."""
        if self._producer is None:
            raise RuntimeError("the event producer is started with the service")
        send = self._producer.send
        pending = [
            await send(
                topic,
                encode(event),
                key=(event.subject or event.id).encode(),
                headers=[
                    ("content-type", _CONTENT_TYPE),
                    ("ce_type", event.type.encode()),
                    ("ce_partnership", event.partnership.encode()),
                ],
            )
            for event in events
        ]
        await asyncio.gather(*pending)
        return len(pending)


async def ensure_topics(
    bootstrap_servers: str,
    topics: Iterable[str],
    *,
    partitions: int = 3,
    admin_options: dict[str, Any] | None = None,
) -> None:
    """Create any missing topic. Consumers subscribed to a topic that does not exist yet would
    only notice it at their next metadata refresh (minutes), so services create theirs first.
    Canonical topics are created keeping their events for ever (`topics.topic_configs`)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **(admin_options or {}))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in dict.fromkeys(topics) if t not in existing]
        if not missing:
            return
        # Another instance may create the topic between our list and our create.
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(
                [
                    NewTopic(
                        t,
                        num_partitions=partitions,
                        replication_factor=1,
                        topic_configs=topic_configs(t),
                    )
                    for t in missing
                ]
            )
        log.info("created topics %s", ", ".join(missing))
    finally:
        await admin.close()
