"""The one way the operator kit starts processes: detached background processes with pid
files (the local stack, `make run`), found again and stopped without leftovers; and services
as child processes of the caller (the bench, the fault tests)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from ops.paths import REPO, logs_dir, pids_dir


def pid_file(name: str) -> Path:
    return pids_dir() / f"{name}.pid"


def log_file(name: str) -> Path:
    return logs_dir() / f"{name}.log"


def running_pid(name: str) -> int | None:
    path = pid_file(name)
    try:
        pid = int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        path.unlink(missing_ok=True)
        return None
    except PermissionError:
        return pid
    # A zombie still answers kill(0); treat it as gone.
    with contextlib.suppress(FileNotFoundError):
        if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            return None
    return pid


def start(
    name: str,
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> int:
    """Start `argv` in its own session (so `stop` can end its whole process group), output to
    the log file. Returns the pid."""
    pids_dir().mkdir(parents=True, exist_ok=True)
    logs_dir().mkdir(parents=True, exist_ok=True)
    with log_file(name).open("ab") as log:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    pid_file(name).write_text(str(proc.pid))
    return proc.pid


def stop(name: str, *, timeout: float = 30.0) -> bool:
    """SIGTERM the process group, then SIGKILL after `timeout`. True when something was running."""
    pid = running_pid(name)
    if pid is None:
        pid_file(name).unlink(missing_ok=True)
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _group_alive(pid):
            break
        _reap(pid)
        time.sleep(0.2)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        time.sleep(0.2)
    _reap(pid)
    pid_file(name).unlink(missing_ok=True)
    return True


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    # Only zombies left counts as gone.
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


def _reap(pid: int) -> None:
    # Our own children must be waited for, or they linger as zombies.
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


# ---------------------------------------------------------------------------------------------
# A service as a child of this process (the bench, the fault tests): same command as
# `pulse run`, its own port, topic prefix, consumer group and database


class ProcessError(RuntimeError):
    """A child service exited at start or never became healthy; the message has its log."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServiceProcess:
    """`pulse run <service>` as a child process. `name` gives its topics (`<name>.`), consumer
    group (`<name>-<service>`) and database (`<name>_<service>`), so several processes with
    one name form one consumer group over one database. Stopped by its own pid only."""

    def __init__(
        self,
        service: str,
        *,
        bootstrap_servers: str,
        mongodb_url: str,
        name: str,
        log_dir: Path,
        **env: str,
    ) -> None:
        self.service = service
        self.port = free_port()
        self.database = f"{name}_{service}"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{service}-{self.port}.log"
        self.env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers,
            "MONGODB_URL": mongodb_url,
            "TOPIC_PREFIX": f"{name}.",
            "MONGODB_DATABASE": self.database,
            "CONSUMER_GROUP": f"{name}-{service}",
            "HTTP_PORT": str(self.port),
            "LOG_LEVEL": "INFO",
            "AUTH_DISABLED": "true",
            **env,
        }
        self.env.pop("API_KEYS_FILE", None)  # with auth off, a key file of the shell is moot
        self.proc: subprocess.Popen[bytes] | None = None
        self._peak_at_stop: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> ServiceProcess:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ops.cli", "run", self.service],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ProcessError(f"{self.service} exited at start:\n{self.log_tail()}")
            if self.healthy():
                return self
            time.sleep(0.2)
        raise ProcessError(f"{self.service} not healthy within {timeout:.0f}s:\n{self.log_tail()}")

    def peak_rss_mib(self) -> float | None:
        """The process's peak resident memory so far (Linux `VmHWM`; once stopped, as it was
        then), or None when unknown."""
        if self.proc is None or self.proc.poll() is not None:
            return self._peak_at_stop
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return None

    def healthy(self) -> bool:
        try:
            # Our own loopback http URL, never a caller-given one.
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as r:  # noqa: S310
                return bool(r.status == 200)
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM and wait: the graceful path. Returns the exit status."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def stop(self, timeout: float = 40.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self._peak_at_stop = self.peak_rss_mib()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.terminate(timeout)
            if self.proc.poll() is None:
                self.kill()

    def log_tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""
