#!/usr/bin/env bash
# Debian packages the monitoring and browser tests need, installed only where missing:
# Prometheus (with promtool) for `make run` and the alert-rule tests, Chromium for the
# browser tests. Called by `make install`; never downloads a browser from anywhere but apt.
set -euo pipefail

missing=()
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
# de-duplicate
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "missing Debian packages: ${missing[*]} (Prometheus for monitoring, Chromium for the" >&2
    echo "browser tests). Install them with: sudo apt-get install -y ${missing[*]}" >&2
    # Not fatal: `make run` and the tests say clearly what is missing (and fail under CI=true).
    exit 0
fi
echo "installing Debian packages: ${missing[*]} (first run only)..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The Debian prometheus package starts a system service under systemd; the local stack runs
# its own Prometheus, so only the binaries matter here.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
