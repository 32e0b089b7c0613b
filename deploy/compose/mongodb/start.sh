#!/usr/bin/env bash
# Entry point of the compose `mongodb` service (mongo image): makes the replica set's key file,
# then hands over to the image's own docker-entrypoint.sh with the same arguments.
#
# With authentication on, a replica set member needs a key file (members authenticate to one
# another with it; `--keyFile` also switches on access control). One member, so the key only has
# to exist: it is random, made once per volume, and never leaves the container. mongod refuses a
# key file that others can read: mode 400, owner mongodb (uid 999 in the image).
set -euo pipefail

readonly KEYFILE="${PULSE_MONGO_KEYFILE:-/data/configdb/pulse-keyfile}"
readonly DBPATH="${PULSE_MONGO_DBPATH:-/data/db}"
readonly OWNER="${PULSE_MONGO_OWNER:-999:999}"

die() {
    echo "mongodb-start: $*" >&2
    exit 1
}

if [[ ! -s "$KEYFILE" ]]; then
    # The image creates the users (MONGO_INITDB_ROOT_*, docker-entrypoint-initdb.d) only on an
    # empty data directory: data without a key file comes from before authentication was on
    # and has no users.
    if [[ -e "$DBPATH/WiredTiger" ]]; then
        die "$DBPATH holds data made without authentication (no users):" \
            "remove the volumes with 'docker compose down -v' and start again"
    fi
    echo "mongodb-start: making the replica set key file $KEYFILE"
    (
        umask 077
        # 756 random bytes -> 1008 base64 characters (mongod accepts 6 to 1024)
        head -c 756 /dev/urandom | base64 -w 0 >"$KEYFILE.new"
    )
    mv "$KEYFILE.new" "$KEYFILE"
fi
chown "$OWNER" "$KEYFILE"
chmod 400 "$KEYFILE"

exec "${PULSE_MONGO_ENTRYPOINT:-docker-entrypoint.sh}" "$@"
