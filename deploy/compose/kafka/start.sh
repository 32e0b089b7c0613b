#!/usr/bin/env bash
# Entry point of the compose `kafka` service (apache/kafka image): SASL set-up, then the
# image's own start script (/etc/kafka/docker/run), which renders KAFKA_* variables into
# server.properties exactly as without this wrapper.
#
# 1. Writes the broker's JAAS file (the admin password is not a KAFKA_* variable: the image
#    drops any value containing '=' and would copy the rest into server.properties).
# 2. On an empty data volume, formats the storage with the `admin` SCRAM credential
#    (`kafka-storage format --add-scram`): with KRaft, SCRAM users live in the metadata log,
#    so the first one has to be there before the broker can authenticate anybody, itself
#    included. kafka-init adds every other user once the broker is up.
# 3. Writes an admin client configuration for the health check and for `docker compose exec`.
#
# Development set-up: SASL_PLAINTEXT (no TLS) on a private network; see deploy/compose/README.md.
set -euo pipefail

readonly WORK=/tmp/pulse-kafka
readonly DATA="${KAFKA_LOG_DIRS:-/var/lib/kafka/data}"
readonly BIN="${PULSE_KAFKA_BIN:-/opt/kafka/bin}"
readonly MARKER="$DATA/.pulse-scram-admin"

die() {
    echo "kafka-start: $*" >&2
    exit 1
}

password="${PULSE_KAFKA_PASSWORD_ADMIN:-}"
[[ -n "$password" ]] || die "PULSE_KAFKA_PASSWORD_ADMIN is not set"
# Passwords go into a JAAS file, a --add-scram argument and client properties unquoted:
# keep them to characters none of those treat specially.
[[ "$password" =~ ^[A-Za-z0-9._~-]{8,}$ ]] ||
    die "PULSE_KAFKA_PASSWORD_ADMIN: use at least 8 of A-Z a-z 0-9 . _ ~ -"

umask 077
mkdir -p "$WORK"

# The broker's side of SASL. Listener names are lower case here. INTERNAL and HOST (SCRAM) use
# the generic KafkaServer section, whose credentials the broker also presents to itself on the
# inter-broker listener; CONTROLLER uses PLAIN with one static user, admin, because SCRAM
# credentials are stored in the metadata log that the controller listener serves.
cat >"$WORK/jaas.conf" <<EOF
KafkaServer {
    org.apache.kafka.common.security.scram.ScramLoginModule required
    username="admin"
    password="$password";
};
controller.KafkaServer {
    org.apache.kafka.common.security.plain.PlainLoginModule required
    username="admin"
    password="$password"
    user_admin="$password";
};
EOF
export KAFKA_OPTS="${KAFKA_OPTS:-} -Djava.security.auth.login.config=$WORK/jaas.conf"

cat >"$WORK/admin.properties" <<EOF
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$password";
EOF

# server.properties as the image renders it from KAFKA_* variables (same rules: drop the
# prefix, `_` -> `.`, `__` -> `_`, `___` -> `-`, lower case), for the format step only.
render_properties() {
    local line key value
    while IFS= read -r line; do
        key="${line%%=*}"
        value="${line#*=}"
        case "$key" in
            KAFKA_VERSION | KAFKA_HEAP_OPT | KAFKA_LOG4J_OPTS | KAFKA_OPTS | KAFKA_JMX_OPTS | \
                KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_GC_LOG_OPTS | KAFKA_LOG4J_ROOT_LOGLEVEL | \
                KAFKA_LOG4J_LOGGERS | KAFKA_TOOLS_LOG4J_LOGLEVEL | KAFKA_HEAP_OPTS)
                continue
                ;;
        esac
        key="$(printf '%s' "${key#KAFKA_}" |
            sed -E 's/([^_])_([^_])/\1.\2/g; s/___/-/g; s/__/_/g' | tr '[:upper:]' '[:lower:]')"
        printf '%s=%s\n' "$key" "$value"
    done < <(env | grep -E '^KAFKA_[A-Z0-9_]+=')
}

if [[ ! -e "$DATA/meta.properties" ]]; then
    [[ -n "${CLUSTER_ID:-}" ]] || die "CLUSTER_ID is not set"
    render_properties >"$WORK/format.properties"
    echo "kafka-start: formatting $DATA with the admin SCRAM credential"
    "$BIN/kafka-storage.sh" format --cluster-id "$CLUSTER_ID" --config "$WORK/format.properties" \
        --add-scram "SCRAM-SHA-512=[name=admin,password=$password]"
    rm -f "$WORK/format.properties"
    touch "$MARKER"
elif [[ ! -e "$MARKER" ]]; then
    die "$DATA was formatted without SASL users (a volume from before authentication was" \
        "switched on): remove it with 'docker compose down -v' and start again"
fi

exec "${PULSE_KAFKA_RUN:-/etc/kafka/docker/run}" "$@"
