"""Fixtures shared by the whole suite. Integration tests (under tests/integration) get real
Kafka and a real MongoDB-compatible server; under CI=true they fail, never skip, when none
can be had."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ops.stack import StackError
from ops.system import Infra
from tests.support import infra as infra_support
from tests.support import second_mongo

INTEGRATION_DIRS = ("integration", "e2e", "faults")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(part in INTEGRATION_DIRS for part in Path(str(item.fspath)).parts):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    try:
        with infra_support.provide(say=lambda line: print(f"[infra] {line}")) as found:
            print(
                f"\n[infra] Kafka {found.kafka_bootstrap_servers}, "
                f"MongoDB {found.mongodb_url} ({found.origin})"
            )
            yield found
    except StackError as exc:
        message = f"no Kafka/MongoDB for integration tests: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="session")
def second_mongo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a second MongoDB-wire server (SecantusDB, MongoDB 8.2 semantics), started for
    the session on a free loopback port, for tests that must hold on both servers."""
    try:
        with second_mongo.running(tmp_path_factory.mktemp("secantusdb")) as url:
            print(f"\n[second-mongo] SecantusDB {url}")
            yield url
    except second_mongo.SecondMongoError as exc:
        message = f"no second MongoDB-wire server: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture
def run_id() -> str:
    """Unique per test: topic prefix, consumer group and database names derive from it."""
    return uuid.uuid4().hex[:10]
