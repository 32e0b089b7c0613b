"""Services as real processes (`pulse run <service>`), for tests that kill and restart them:
the operator kit's launcher, named after the test's run id."""

from __future__ import annotations

from pathlib import Path

from ops import processes
from ops.processes import free_port
from ops.system import Infra

__all__ = ["ServiceProcess", "free_port"]


class ServiceProcess(processes.ServiceProcess):
    """One service process with its own port and log file; its topics, group and database
    come from `run_id`, so several processes with the same run_id form one consumer group."""

    def __init__(self, service: str, infra: Infra, run_id: str, log_dir: Path, **env: str) -> None:
        super().__init__(
            service,
            bootstrap_servers=infra.kafka_bootstrap_servers,
            mongodb_url=infra.mongodb_url,
            name=f"t{run_id}",
            log_dir=log_dir,
            **env,
        )
