"""Where the local stack keeps things: built artefacts in a per-user cache shared by every
clone, data, logs and process ids under the clone's ignored `.pulse/` folder."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEPLOY_LOCAL = REPO / "deploy" / "local"


def state_dir() -> Path:
    return Path(os.environ.get("PULSE_STATE_DIR", REPO / ".pulse"))


def cache_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "partnership-pulse"
    return Path(os.environ.get("PULSE_CACHE_DIR", default))


def logs_dir() -> Path:
    return state_dir() / "logs"


def pids_dir() -> Path:
    return state_dir() / "run"
