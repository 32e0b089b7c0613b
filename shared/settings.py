"""Settings read from the environment, with start-up errors a person can act on."""

from __future__ import annotations

import re
import sys
from typing import Any, TypeVar

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

S = TypeVar("S", bound="ServiceSettings")
_MAX_DATABASE_NAME = 63  # MongoDB's limit on a database name, in bytes


class ServiceSettings(BaseSettings):
    """What every service needs. Required values have no default so that a missing one stops
    the service at start instead of failing later on first use."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field(
        description="Kafka bootstrap servers, host:port[,host:port]"
    )
    kafka_sasl_mechanism: str = Field(
        default="",
        description="SCRAM-SHA-512 or SCRAM-SHA-256 to authenticate to Kafka; empty: none",
    )
    kafka_username: str = Field(default="", description="Kafka SASL user (with the mechanism)")
    kafka_password: str = Field(default="", description="Kafka SASL password")
    mongodb_url: str = Field(description="MongoDB connection string, mongodb://host:port/")
    mongodb_database: str = Field(
        default="",
        description="database name; <topic prefix>pulse_<service> if empty (characters a "
        "database name cannot hold as _)",
    )
    topic_prefix: str = Field(
        default="", description="prefix for every topic name (tests, tenants)"
    )
    consumer_group: str = Field(default="", description="consumer group; pulse-<service> if empty")
    http_host: str = Field(default="127.0.0.1", description="address the HTTP server binds")
    http_port: int = Field(default=8000, description="HTTP port for the API, /health and /metrics")
    log_level: str = Field(default="INFO", description="Python logging level")
    consumer_batch_size: int = Field(default=500, ge=1, description="max records per batch")
    handler_retries: int = Field(
        default=3, ge=0, description="retries of a failing event before it is dead-lettered"
    )
    consumer_lag_interval_s: float = Field(
        default=15.0, gt=0, description="how often the consumer lag gauge is measured"
    )
    graceful_timeout_s: float = Field(
        default=30.0, gt=0, description="how long a stopping service waits for a running batch"
    )

    api_keys_file: str = Field(
        default="",
        description="JSON file of hashed API keys (`pulse keys create`); required unless "
        "AUTH_DISABLED is true",
    )
    auth_disabled: bool = Field(
        default=False, description="true: accept HTTP writes without a key (local development)"
    )

    service_name: str = "pulse"

    @model_validator(mode="after")
    def _authentication_is_a_decision(self) -> ServiceSettings:
        if self.kafka_sasl_mechanism not in ("", "SCRAM-SHA-512", "SCRAM-SHA-256"):
            raise ValueError("KAFKA_SASL_MECHANISM: SCRAM-SHA-512, SCRAM-SHA-256 or empty")
        if self.kafka_sasl_mechanism and not (self.kafka_username and self.kafka_password):
            raise ValueError("KAFKA_USERNAME and KAFKA_PASSWORD are needed with SASL")
        if len(self.database_name().encode()) > _MAX_DATABASE_NAME:
            raise ValueError(
                f"MONGODB_DATABASE: {self.database_name()!r} is longer than "
                f"{_MAX_DATABASE_NAME} bytes; set a shorter name (or TOPIC_PREFIX)"
            )
        if not self.api_keys_file and not self.auth_disabled:
            raise ValueError(
                "set API_KEYS_FILE to a key file (see `pulse keys create`), or AUTH_DISABLED=true "
                "to run without authentication (local development only)"
            )
        return self

    def database_name(self) -> str:
        if self.mongodb_database:
            return self.mongodb_database
        # A topic prefix keeps deployments apart on one broker (tenants, test runs), as the
        # consumer group does: their databases on one server follow it.
        prefix = re.sub(r"[^A-Za-z0-9_-]", "_", self.topic_prefix)
        return f"{prefix}pulse_{self.service_name}"

    def group_id(self) -> str:
        return self.consumer_group or f"{self.topic_prefix}pulse-{self.service_name}"

    def kafka_options(self) -> dict[str, Any]:
        """The connection options every aiokafka client of this service takes (admin,
        consumer, producer): SASL/SCRAM when a mechanism is set (compose), else none."""
        if not self.kafka_sasl_mechanism:
            return {}
        return {
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": self.kafka_sasl_mechanism,
            "sasl_plain_username": self.kafka_username,
            "sasl_plain_password": self.kafka_password,
        }


def load_settings(cls: type[S], **overrides: object) -> S:
    """Build settings from the environment; on a missing or bad value, exit with a message
    naming each environment variable instead of a pydantic traceback."""
    try:
        return cls(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = [f"{cls.__name__}: the service cannot start:"]
        for err in exc.errors():
            name = "_".join(str(p) for p in err["loc"]).upper() or "settings"
            lines.append(f"  {name}: {err['msg']}")
        sys.stderr.write("\n".join(lines) + "\n")
        raise SystemExit(2) from None
