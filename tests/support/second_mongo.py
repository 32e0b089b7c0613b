"""A second MongoDB-wire server for contract tests: SecantusDB (PyPI `secantusdb`, MongoDB 8.2
wire protocol on WiredTiger), so code proven on the local FerretDB also holds on MongoDB's
semantics."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from tests.support.processes import free_port

# The dev dependency's server command, installed beside this interpreter.
SERVER = Path(sys.executable).with_name("secantusd-py")


class SecondMongoError(RuntimeError):
    """The second server cannot be started; the message says why."""


def _answers(url: str) -> bool:
    client: MongoClient[dict[str, object]] = MongoClient(
        url, serverSelectionTimeoutMS=500, connectTimeoutMS=500
    )
    try:
        client.admin.command("ping")
    except PyMongoError:
        return False
    else:
        return True
    finally:
        client.close()


def _tail(log: Path, lines: int = 30) -> str:
    with contextlib.suppress(FileNotFoundError):
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    return ""


@contextlib.contextmanager
def running(workdir: Path, timeout: float = 60.0) -> Iterator[str]:
    """Start SecantusDB on a free loopback port with its data under `workdir`, yield its URL
    once it answers a ping, and stop it after."""
    if not SERVER.exists():
        raise SecondMongoError(
            f"{SERVER} is missing: the dev dependency `secantusdb` is not installed (make install)"
        )
    workdir.mkdir(parents=True, exist_ok=True)
    # An explicit (empty) config file turns off the server's search of ./, ~/.secantus and
    # /etc/secantus for one, so nothing on the machine changes what the tests run against.
    config = workdir / "secantusd.toml"
    config.write_text("")
    port = free_port()
    url = f"mongodb://127.0.0.1:{port}/"
    log = workdir / "secantusdb.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                str(SERVER),
                "--config",
                str(config),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--storage-path",
                str(workdir / "data"),
                "--log-level",
                "WARNING",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + timeout
        while not _answers(url):
            if proc.poll() is not None:
                raise SecondMongoError(
                    f"SecantusDB exited at start (code {proc.returncode}):\n{_tail(log)}"
                )
            if time.monotonic() > deadline:
                raise SecondMongoError(
                    f"SecantusDB did not answer a ping on {url} within {timeout}s:\n{_tail(log)}"
                )
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
