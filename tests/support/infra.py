"""Real Kafka and a real MongoDB-compatible server for the tests, found in this order:
1. KAFKA_BOOTSTRAP_SERVERS and MONGODB_URL from the environment;
2. containers (testcontainers) when a Docker engine answers;
3. the local stack (`pulse stack up`), started by the test session and stopped after it
   unless it was already running (then it is left as it was)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ops import stack
from ops.system import Infra, docker_available, infra_from_env, local_sasl


@contextlib.contextmanager
def _containers() -> Iterator[Infra]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.mongodb import MongoDbContainer

    with (
        KafkaContainer("confluentinc/cp-kafka:7.9.0").with_kraft() as kafka,
        MongoDbContainer("mongo:8") as mongo,
    ):
        yield Infra(kafka.get_bootstrap_server(), mongo.get_connection_url(), "docker")


@contextlib.contextmanager
def provide(say: stack.Say = print) -> Iterator[Infra]:
    """Yield the infrastructure; raises `stack.StackError` when none can be had."""
    found = infra_from_env()
    if found is not None:
        yield found
        return
    if docker_available():
        with _containers() as infra:
            yield infra
        return
    cfg = stack.StackConfig.from_env()
    was_running = stack.is_up(cfg)
    if not was_running:
        stack.up(cfg, say=say)
    try:
        yield Infra(
            cfg.bootstrap_servers,
            cfg.mongodb_url,
            "local",
            local_sasl(cfg.sasl_bootstrap_servers),
        )
    finally:
        if not was_running:
            stack.down(say=say)
