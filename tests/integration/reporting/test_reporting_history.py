"""The canonical topics keep their whole history, and a rebuild refuses a history that has
been cut rather than computing figures from what is left."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from ops.system import Infra
from services.reporting.rebuild import HistoryCut, rebuild
from shared.kafka import ensure_topics
from shared.topics import Topics
from tests.support.kafka import eventually, produce
from tests.support.services import settings_for


async def test_a_rebuild_refuses_a_canonical_topic_whose_first_events_were_deleted(
    infra: Infra, run_id: str
) -> None:
    bootstrap = infra.kafka_bootstrap_servers
    settings = settings_for("reporting", infra, run_id)
    topics = Topics(settings.topic_prefix)
    topic = topics.intake_events
    await ensure_topics(bootstrap, [*topics.canonical, topics.reporting_snapshots])

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        # created keeping events for ever, whatever the broker's default
        async def configured() -> dict[str, str]:
            # a topic just created may not be described yet by the broker answering
            responses = await admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, topic)]
            )
            return {
                entry[0]: entry[1]
                for response in responses
                for resource in response.resources
                if resource[3] == topic
                for entry in resource[4]
            }

        entries = await eventually(configured)
        assert entries.get("retention.ms") == "-1"
        assert entries.get("retention.bytes") == "-1"

        await produce(bootstrap, topic, *[b"not an event"] * 5)
        result = await rebuild(settings, lambda done, total: None, force=True)
        assert result.events == 5  # the whole history replays (as unusable records)

        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
        await consumer.start()
        try:
            partitions = [
                TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()
            ]
            if not partitions:
                partitions = [TopicPartition(topic, p) for p in range(3)]
            ends = await consumer.end_offsets(partitions)
        finally:
            await consumer.stop()
        [written] = [tp for tp, end in ends.items() if end == 5]
        await admin.delete_records({written: RecordsToDelete(before_offset=2)})
    finally:
        await admin.close()

    with pytest.raises(HistoryCut, match=rf"{topic}\[{written.partition}\] starts at offset 2"):
        await rebuild(settings, lambda done, total: None, force=True)
