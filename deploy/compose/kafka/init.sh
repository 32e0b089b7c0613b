#!/bin/sh
# Run once by the compose `kafka-init` service, as the Kafka `admin` user, before the services
# start; safe to run again (`docker compose run --rm kafka-init`):
#   1. SCRAM-SHA-512 users: one per service and one per agency (passwords re-applied on every
#      run, so a changed password in .env takes effect);
#   2. ACLs: each service reads and writes its own topics and reads its consumer group;
#      reporting also reads the three canonical event topics; each agency may only write (and
#      describe) its own inbound topic(s);
#   3. topics: every topic of shared/topics.py, a `.dlq` for each consumed one, and each
#      agency's inbound topic `<inbound>.<agency>` (existing topics are left alone).
# Topic and group names mirror shared/topics.py and shared/settings.py: keep them in step.
set -eu

BOOTSTRAP="${KAFKA_BOOTSTRAP_SERVERS:-kafka:9092}"
PREFIX="${TOPIC_PREFIX:-}"
PARTITIONS="${TOPIC_PARTITIONS:-3}"
DLQ_RETENTION_MS="${DLQ_RETENTION_MS:-1209600000}" # 14 days: time to inspect and replay
BIN="${PULSE_KAFKA_BIN:-/opt/kafka/bin}"
MECHANISM=SCRAM-SHA-512
SERVICES="intake reviews training reporting"
# `agency:service` pairs: the agency writes `<prefix>pulse.<service>.inbound.<agency>`.
AGENCIES="${PULSE_KAFKA_AGENCIES:-police:intake schools:intake health:intake learning-platform:training business-unit:reviews}"

die() {
    echo "kafka-init: $*" >&2
    exit 1
}

# The password of user $1 from PULSE_KAFKA_PASSWORD_<USER> (upper case, `-` as `_`).
password_of() {
    var="PULSE_KAFKA_PASSWORD_$(printf '%s' "$1" | tr 'a-z-' 'A-Z_')"
    printf '%s' "$var" | grep -Eq '^[A-Z0-9_]+$' || die "not a user name: $1"
    eval "value=\${$var:-}" # the name is checked just above; no printenv in every busybox
    [ -n "$value" ] || die "$var is not set (the Kafka password of user $1)"
    # It goes unquoted into a SCRAM config argument and a JAAS line.
    printf '%s' "$value" | grep -Eq '^[A-Za-z0-9._~-]{8,}$' ||
        die "$var: use at least 8 of A-Z a-z 0-9 . _ ~ -"
    printf '%s' "$value"
}

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
ADMIN="$WORK/admin.properties"
admin_password="$(password_of admin)"
(
    umask 077
    cat >"$ADMIN" <<EOF
security.protocol=SASL_PLAINTEXT
sasl.mechanism=$MECHANISM
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$admin_password";
EOF
)

# Each step is a JVM (about 2 s of CPU): run PARALLEL of them at a time.
PARALLEL="${KAFKA_INIT_PARALLEL:-2}"
pids=""
running=0
spawn() {
    "$@" &
    pids="$pids $!"
    running=$((running + 1))
    [ "$running" -lt "$PARALLEL" ] || settle
}
settle() {
    for pid in $pids; do
        wait "$pid" || die "a step failed (see above)"
    done
    pids=""
    running=0
}

# The ACLs already there, one line each: `TYPE NAME PATTERN PRINCIPAL OPERATION`.
present="$("$BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN" --list |
    awk '/ResourcePattern\(/ {
            r = $0; sub(/.*resourceType=/, "", r)
            type = r; sub(/,.*/, "", type)
            name = r; sub(/.*name=/, "", name); sub(/, patternType=.*/, "", name)
            pattern = r; sub(/.*patternType=/, "", pattern); sub(/\).*/, "", pattern)
            next
        }
        /principal=/ {
            p = $0; sub(/.*principal=/, "", p); sub(/,.*/, "", p)
            o = $0; sub(/.*operation=/, "", o); sub(/,.*/, "", o)
            print type, name, pattern, p, o
        }')"

upper() { printf '%s' "$1" | tr 'a-z' 'A-Z'; }

# acl PRINCIPAL PATTERN TYPE "NAMES" "OPERATIONS": allow PRINCIPAL (a user name) each operation
# on each named resource (PATTERN literal or prefixed, TYPE topic or group), unless it already is.
acl() {
    missing=""
    args=""
    for name in $4; do
        args="$args --$3 $name"
        for op in $5; do
            line="$(upper "$3") $name $(upper "$2") User:$1 $(upper "$op")"
            printf '%s\n' "$present" | grep -Fxq "$line" || missing=yes
        done
    done
    if [ -z "$missing" ]; then
        echo "ACLs present: User:$1 $5 on $2 $3 $4"
        return
    fi
    for op in $5; do
        args="$args --operation $op"
    done
    # shellcheck disable=SC2086 # word splitting wanted: repeated --topic/--operation arguments
    spawn add_acl "$1" --resource-pattern-type "$2" $args
}
add_acl() {
    principal="$1"
    shift
    "$BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN" \
        --add --allow-principal "User:$principal" "$@" >/dev/null
    echo "ACLs added: User:$principal $*"
}

# --- users -------------------------------------------------------------------------------
users="$SERVICES"
for pair in $AGENCIES; do
    agency="${pair%%:*}"
    service="${pair#*:}"
    # An agency code becomes part of a topic name (shared/topics.py: agency_topic).
    printf '%s' "$agency" | grep -Eq '^[a-z0-9][a-z0-9-]{0,62}$' && [ "$agency" != dlq ] ||
        die "PULSE_KAFKA_AGENCIES: $pair: agency codes are a-z, 0-9 and -, not 'dlq'"
    case " $SERVICES " in *" $service "*) ;; *) die "PULSE_KAFKA_AGENCIES: $pair: no service $service" ;; esac
    case " $users " in *" $agency "*) ;; *) users="$users $agency" ;; esac
done
# Every password first, so that a missing one stops the run before anything changes.
for user in $users; do
    password_of "$user" >/dev/null
done
scram_user() {
    "$BIN/kafka-configs.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN" --alter \
        --entity-type users --entity-name "$1" \
        --add-config "$MECHANISM=[iterations=8192,password=$2]" >/dev/null
    echo "user ready: $1"
}
for user in $users; do
    password="$(password_of "$user")"
    spawn scram_user "$user" "$password"
done

# --- ACLs --------------------------------------------------------------------------------
for service in $SERVICES; do
    # Everything under `pulse.<service>.`: its inbound topic and every agency's, its events,
    # its dead-letter topics. Create: each service creates its own topics at start.
    acl "$service" prefixed topic "${PREFIX}pulse.${service}." "Read Write Describe Create"
    acl "$service" literal group "${PREFIX}pulse-${service}" "Read Describe"
done
# Reporting consumes every service's canonical events and dead-letters what it cannot use.
# Create on the event topics only so that its subscriber's create-if-missing (FastStream) is
# answered "exists" instead of being refused and logged as a warning at every start.
events="" events_dlq=""
for service in intake reviews training; do
    events="$events ${PREFIX}pulse.${service}.events"
    events_dlq="$events_dlq ${PREFIX}pulse.${service}.events.dlq"
done
acl reporting literal topic "$events" "Read Describe Create"
acl reporting literal topic "$events_dlq" "Write Describe Create"
# Each agency: write (and describe, for the producer's metadata) its own inbound topic, nothing
# else: no read, no other topic, no group.
for pair in $AGENCIES; do
    acl "${pair%%:*}" literal topic "${PREFIX}pulse.${pair#*:}.inbound.${pair%%:*}" "Write Describe"
done

# --- topics ------------------------------------------------------------------------------
existing="$("$BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN" --list)"
create() {
    # $1 topic name, then extra kafka-topics.sh arguments
    topic="$1"
    shift
    if printf '%s\n' "$existing" | grep -Fxq "$topic"; then
        echo "topic exists: $topic"
        return
    fi
    spawn create_topic "$topic" "$@"
}
create_topic() {
    topic="$1"
    shift
    "$BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN" --create \
        --if-not-exists --topic "$topic" --partitions "$PARTITIONS" --replication-factor 1 "$@" \
        >/dev/null
    echo "topic created: $topic"
}
for name in \
    intake.inbound intake.events \
    reviews.inbound reviews.events \
    training.inbound training.events \
    reporting.snapshots reporting.exceptions; do
    case "$name" in
        # canonical topics: the history every read model is rebuilt from, kept for ever
        *.events)
            create "${PREFIX}pulse.${name}" --config retention.ms=-1 --config retention.bytes=-1
            ;;
        *) create "${PREFIX}pulse.${name}" ;;
    esac
done
# A dead-letter topic for every consumed topic: the inbound ones (agency topics included:
# their dead letters go to the bare inbound topic's) and the canonical events reporting reads.
for name in \
    intake.inbound reviews.inbound training.inbound \
    intake.events reviews.events training.events; do
    create "${PREFIX}pulse.${name}.dlq" --config "retention.ms=${DLQ_RETENTION_MS}"
done
for pair in $AGENCIES; do
    create "${PREFIX}pulse.${pair#*:}.inbound.${pair%%:*}"
done

settle
# Also when an earlier kafka-init created them with the broker's default retention.
keep_for_ever() {
    "$BIN/kafka-configs.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN" --alter \
        --entity-type topics --entity-name "$1" --add-config "retention.ms=-1,retention.bytes=-1" \
        >/dev/null
    echo "kept for ever: $1"
}
for service in $SERVICES; do
    [ "$service" = reporting ] || spawn keep_for_ever "${PREFIX}pulse.${service}.events"
done
settle
echo "kafka-init: done"
