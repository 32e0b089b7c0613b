"""The local stack: a real Apache Kafka broker (KRaft, official jars from Maven Central) and
FerretDB (MongoDB wire protocol, SQLite backend, built from the Go module proxy), on
127.0.0.1, for machines without a Docker engine."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ops import ferretdb_patch, processes
from ops.paths import DEPLOY_LOCAL, cache_dir, state_dir

Say = Callable[[str], None]


class StackError(RuntimeError):
    """The local stack cannot be provisioned or started; the message says what to do."""


# The local broker's second client listener authenticates with SASL/SCRAM, as compose's do,
# so that the tests prove every Kafka client of the services against it. The stack listens
# on 127.0.0.1 only; this user exists on no other broker.
SASL_MECHANISM = "SCRAM-SHA-512"
SASL_USERNAME = "pulse-local"
SASL_PASSWORD = "pulse-local-NOT-A-SECRET"  # noqa: S105 (a local-stack credential, loopback only)


@dataclass(frozen=True)
class StackConfig:
    kafka_port: int = 19092
    controller_port: int = 19093
    ferretdb_port: int = 27027
    kafka_heap: str = "1g"
    sasl_port: int = 19094

    @classmethod
    def from_env(cls) -> StackConfig:
        return cls(
            kafka_port=int(os.environ.get("PULSE_KAFKA_PORT", cls.kafka_port)),
            controller_port=int(os.environ.get("PULSE_KAFKA_CONTROLLER_PORT", cls.controller_port)),
            ferretdb_port=int(os.environ.get("PULSE_FERRETDB_PORT", cls.ferretdb_port)),
            kafka_heap=os.environ.get("PULSE_KAFKA_HEAP", cls.kafka_heap),
            sasl_port=int(os.environ.get("PULSE_KAFKA_SASL_PORT", cls.sasl_port)),
        )

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def sasl_bootstrap_servers(self) -> str:
        """The SASL/SCRAM listener (`SASL_USERNAME`, `SASL_PASSWORD`)."""
        return f"127.0.0.1:{self.sasl_port}"

    @property
    def mongodb_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.ferretdb_port}/"


def _need(tool: str, what: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise StackError(
            f"`{tool}` is not on PATH: the local stack needs it to {what}. Install it "
            "(Debian: apt-get install openjdk-17-jre-headless maven golang), or set "
            "KAFKA_BOOTSTRAP_SERVERS and MONGODB_URL to use servers you already have."
        )
    return path


def _digest(*files: Path) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def _run(argv: list[str], *, cwd: Path | None, log: Path, what: str) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        result = subprocess.run(argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        raise StackError(
            f"{what} failed (exit {result.returncode}); see {log}:\n" + "\n".join(tail)
        )


def kafka_classpath(say: Say) -> Path:
    """The broker's jars, resolved once per pom version into the user cache."""
    pom = DEPLOY_LOCAL / "kafka" / "pom.xml"
    libs = cache_dir() / f"kafka-{_digest(pom)}" / "libs"
    if (libs / ".complete").exists():
        return libs
    _need("java", "run the Kafka broker")
    mvn = _need("mvn", "download the Kafka jars from Maven Central")
    say("resolving Apache Kafka jars with Maven (first run only)...")
    tmp = libs.with_name("libs.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    _run(
        [
            mvn,
            "-q",
            "-B",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={tmp}",
        ],
        cwd=None,
        log=cache_dir() / "maven.log",
        what="Maven dependency resolution",
    )
    shutil.rmtree(libs, ignore_errors=True)
    tmp.rename(libs)
    (libs / ".complete").touch()
    return libs


def ferretdb_binary(say: Say) -> Path:
    """Our small FerretDB program with `ferretdb_patch`'s fixes, built once per source
    version into the user cache."""
    src = DEPLOY_LOCAL / "ferretdb"
    key = _digest(src / "go.mod", src / "go.sum", src / "main.go", *ferretdb_patch.sources())
    binary = cache_dir() / f"ferretdb-{key}" / "ferretdb-local"
    if binary.exists():
        return binary
    go = _need("go", "build FerretDB from the Go module proxy")
    say("building FerretDB from the Go module proxy (first run only, about a minute)...")
    binary.parent.mkdir(parents=True, exist_ok=True)
    log = cache_dir() / "go-build.log"
    _run([go, "mod", "download", ferretdb_patch.MODULE], cwd=src, log=log, what="go mod download")
    listed = subprocess.run(
        [go, "list", "-m", "-f", "{{.Dir}}", ferretdb_patch.MODULE],
        cwd=src,
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0 or not listed.stdout.strip():
        raise StackError(
            f"cannot find {ferretdb_patch.MODULE} in the Go module cache: {listed.stderr.strip()}"
        )
    build = binary.parent / "build"
    try:
        patched = ferretdb_patch.patched_copy(Path(listed.stdout.strip()), build / "FerretDB")
    except ferretdb_patch.PatchError as exc:
        raise StackError(str(exc)) from None
    mod = ferretdb_patch.modfile(src / "go.mod", patched, build / "go.mod")
    _run(
        [go, "build", "-trimpath", f"-modfile={mod}", "-o", str(binary) + ".partial", "."],
        cwd=src,
        log=log,
        what="Building FerretDB",
    )
    Path(str(binary) + ".partial").rename(binary)
    return binary


def _kafka_dirs() -> tuple[Path, Path]:
    base = state_dir() / "kafka"
    return base / "data", base / "server.properties"


def _write_server_properties(cfg: StackConfig) -> Path:
    data, props = _kafka_dirs()
    data.mkdir(parents=True, exist_ok=True)
    template = (DEPLOY_LOCAL / "kafka" / "server.properties").read_text()
    props.write_text(
        template.format(
            port=cfg.kafka_port,
            controller_port=cfg.controller_port,
            sasl_port=cfg.sasl_port,
            data_dir=data,
        )
    )
    return props


def _java_cmd(libs: Path, main: str, *args: str, heap: str = "256m") -> list[str]:
    return [
        _need("java", "run the Kafka broker"),
        f"-Xmx{heap}",
        "-XX:+UseG1GC",
        f"-Dlog4j2.configurationFile={DEPLOY_LOCAL / 'kafka' / 'log4j2.yaml'}",
        "-cp",
        f"{libs}/*",
        main,
        *args,
    ]


_SCRAM_USER = f"{SASL_MECHANISM}=[name={SASL_USERNAME},password={SASL_PASSWORD}]"


def _scram_marker() -> Path:
    return state_dir() / "kafka" / "scram-user"


def _format_storage(libs: Path, props: Path) -> None:
    data, _ = _kafka_dirs()
    if (data / "meta.properties").exists():
        return
    cluster_id = uuid.uuid4().hex[:22]
    # (the SCRAM user is written into the new cluster's metadata at format)
    _kafka_tool(
        libs,
        "Formatting Kafka storage",
        "kafka-format.log",
        ["kafka.tools.StorageTool", "format", "--standalone", "-t", cluster_id, "-c", str(props)],
        ["--add-scram", _SCRAM_USER],
    )
    _scram_marker().write_text(SASL_USERNAME + "\n")


def _kafka_tool(libs: Path, what: str, log_name: str, *argv: list[str]) -> None:
    """Run one of Kafka's command-line tools (a main class and its arguments)."""
    main, *args = [arg for part in argv for arg in part]
    _run(_java_cmd(libs, main, *args), cwd=None, log=state_dir() / "logs" / log_name, what=what)


def _ensure_scram_user(libs: Path, cfg: StackConfig) -> None:
    """Storage formatted before the SASL listener existed has no SCRAM user: add it once,
    through the running broker."""
    if _scram_marker().exists():
        return
    _kafka_tool(
        libs,
        "Adding the local SCRAM user",
        "kafka-scram.log",
        ["kafka.admin.ConfigCommand", "--bootstrap-server", cfg.bootstrap_servers, "--alter"],
        ["--add-config", f"{SASL_MECHANISM}=[password={SASL_PASSWORD}]"],
        ["--entity-type", "users", "--entity-name", SASL_USERNAME],
    )
    _scram_marker().write_text(SASL_USERNAME + "\n")


async def _kafka_ready(bootstrap: str) -> bool:
    from aiokafka.admin import AIOKafkaAdminClient

    # A refused connection is the expected answer while the broker starts; don't print it.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    try:
        await admin.start()
        await admin.list_topics()
        return True
    except Exception:
        return False
    finally:
        await admin.close()


async def _mongo_ready(url: str) -> bool:
    from pymongo import AsyncMongoClient

    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        url, serverSelectionTimeoutMS=1500, socketTimeoutMS=3000
    )
    try:
        await client.admin.command("ping")
        return True
    except Exception:
        return False
    finally:
        await client.close()


def _wait(name: str, probe: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        if processes.running_pid(name) is None:
            tail = processes.log_file(name).read_text(errors="replace").splitlines()[-20:]
            raise StackError(
                f"{name} exited during start-up; last lines of its log:\n" + "\n".join(tail)
            )
        time.sleep(0.5)
    raise StackError(f"{name} did not answer within {timeout:.0f}s; see {processes.log_file(name)}")


def kafka_answers(cfg: StackConfig) -> bool:
    return asyncio.run(_kafka_ready(cfg.bootstrap_servers))


def ferretdb_answers(cfg: StackConfig) -> bool:
    return asyncio.run(_mongo_ready(cfg.mongodb_url))


def up(cfg: StackConfig | None = None, say: Say = print) -> StackConfig:
    """Provision (first run) and start Kafka and FerretDB; wait until each answers a real
    client. Idempotent: what is already running is left alone."""
    cfg = cfg or StackConfig.from_env()
    libs = kafka_classpath(say)
    ferret = ferretdb_binary(say)

    if processes.running_pid("ferretdb") is None:
        data = state_dir() / "ferretdb" / "data"
        data.mkdir(parents=True, exist_ok=True)
        processes.start(
            "ferretdb",
            [
                str(ferret),
                "-listen",
                f"127.0.0.1:{cfg.ferretdb_port}",
                "-data",
                str(data),
                "-log-level",
                "error",
            ],
        )
    if processes.running_pid("kafka") is None:
        props = _write_server_properties(cfg)
        _format_storage(libs, props)
        processes.start("kafka", _java_cmd(libs, "kafka.Kafka", str(props), heap=cfg.kafka_heap))
    _wait("ferretdb", lambda: ferretdb_answers(cfg), 30)
    _wait("kafka", lambda: kafka_answers(cfg), 90)
    _ensure_scram_user(libs, cfg)
    say(
        f"kafka     {cfg.bootstrap_servers}  (Apache Kafka 4.1.1, KRaft; "
        f"SASL/SCRAM on {cfg.sasl_bootstrap_servers})"
    )
    say(f"ferretdb  {cfg.mongodb_url}  (FerretDB 1.24.0, SQLite)")
    return cfg


def down(say: Say = print) -> None:
    for name in ("kafka", "ferretdb"):
        if processes.stop(name, timeout=30):
            say(f"{name} stopped")


def status(cfg: StackConfig | None = None) -> dict[str, str]:
    cfg = cfg or StackConfig.from_env()
    result = {}
    for name, probe, where in (
        ("kafka", kafka_answers, cfg.bootstrap_servers),
        ("ferretdb", ferretdb_answers, cfg.mongodb_url),
    ):
        pid = processes.running_pid(name)
        if pid is None:
            result[name] = "stopped"
        else:
            result[name] = f"{'up' if probe(cfg) else 'not answering'} pid={pid} {where}"
    return result


def is_up(cfg: StackConfig | None = None) -> bool:
    return all(s.startswith("up") for s in status(cfg).values())
