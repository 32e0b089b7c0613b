#!/bin/sh
# Creates the Partnership Pulse topics on the compose Kafka before the services start
# (run once by the `kafka-init` service; safe to run again: existing topics are kept).
# Topic names mirror shared/topics.py: keep the two in step.
set -eu

BOOTSTRAP="${KAFKA_BOOTSTRAP_SERVERS:-kafka:9092}"
PREFIX="${TOPIC_PREFIX:-}"
PARTITIONS="${TOPIC_PARTITIONS:-3}"
DLQ_RETENTION_MS="${DLQ_RETENTION_MS:-1209600000}" # 14 days: time to inspect and replay
KAFKA_TOPICS="${KAFKA_TOPICS:-/opt/kafka/bin/kafka-topics.sh}"

create() {
    # $1 topic name, then extra kafka-topics.sh arguments
    topic="$1"
    shift
    "$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
        --topic "$topic" --partitions "$PARTITIONS" --replication-factor 1 "$@"
    echo "topic ready: $topic"
}

for name in \
    intake.inbound intake.events \
    reviews.inbound reviews.events \
    training.inbound training.events \
    reporting.snapshots reporting.exceptions; do
    create "${PREFIX}pulse.${name}"
done

# A dead-letter topic for every consumed topic: the inbound ones and the canonical events
# that reporting consumes.
for name in \
    intake.inbound reviews.inbound training.inbound \
    intake.events reviews.events training.events; do
    create "${PREFIX}pulse.${name}.dlq" --config "retention.ms=${DLQ_RETENTION_MS}"
done

"$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP" --list
