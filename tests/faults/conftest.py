"""The fault suite runs on a private local stack (its own ports and data folder), so that it
can stop and restart the broker and the database without disturbing anything else."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ops import processes, stack
from ops.stack import StackConfig, StackError
from ops.system import Infra
from tests.support.processes import free_port


class PrivateStack:
    def __init__(self, cfg: StackConfig, state: Path) -> None:
        self.cfg = cfg
        self.state = state
        self.infra = Infra(cfg.bootstrap_servers, cfg.mongodb_url, "local-private")

    def _env(self) -> dict[str, str | None]:
        previous = {"PULSE_STATE_DIR": os.environ.get("PULSE_STATE_DIR")}
        os.environ["PULSE_STATE_DIR"] = str(self.state)
        return previous

    def _restore(self, previous: dict[str, str | None]) -> None:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def up(self) -> None:
        previous = self._env()
        try:
            stack.up(self.cfg, say=lambda line: print(f"[private stack] {line}"))
        finally:
            self._restore(previous)

    def stop(self, name: str) -> None:
        """Stop 'kafka' or 'ferretdb' (SIGTERM, then SIGKILL)."""
        previous = self._env()
        try:
            processes.stop(name, timeout=30)
        finally:
            self._restore(previous)

    def down(self) -> None:
        previous = self._env()
        try:
            stack.down(say=lambda line: print(f"[private stack] {line}"))
        finally:
            self._restore(previous)


@pytest.fixture(scope="session")
def private_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateStack]:
    cfg = StackConfig(
        kafka_port=free_port(),
        controller_port=free_port(),
        ferretdb_port=free_port(),
        kafka_heap="512m",
        sasl_port=free_port(),
    )
    private = PrivateStack(cfg, tmp_path_factory.mktemp("private-stack"))
    try:
        private.up()
    except StackError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"fault suite needs the local stack: {exc}", pytrace=False)
        pytest.skip(f"fault suite needs the local stack: {exc}")
    try:
        yield private
    finally:
        private.down()
