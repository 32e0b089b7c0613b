"""Kafka plumbing: a broker with safe producer defaults and the topics a service needs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.security import BaseSecurity, SASLScram256, SASLScram512
from prometheus_client import CollectorRegistry

from shared.events import CONTENT_TYPE, Envelope, encode
from shared.topics import topic_configs

log = logging.getLogger(__name__)


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


async def publish_events(broker: KafkaBroker, topic: str, events: Iterable[Envelope]) -> None:
    """Publish in order and wait until Kafka has every record: a caller may commit its input
    after this. Records are handed to the producer one after another without waiting, so they
    travel in batches; the confirmations are awaited together at the end."""
    pending = [
        await broker.publish(
            encode(event),
            topic=topic,
            key=(event.subject or event.id).encode(),
            headers={
                "content-type": CONTENT_TYPE,
                "ce_type": event.type,
                "ce_partnership": event.partnership,
            },
            no_confirm=True,
        )
        for event in events
    ]
    await asyncio.gather(*pending)


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
