"""Several service processes started together for one scenario, and stopped together
whatever happens (by their own pids)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from tests.support.processes import ServiceProcess


@contextlib.asynccontextmanager
async def running(processes: Sequence[ServiceProcess]) -> AsyncIterator[None]:
    try:
        for process in processes:
            await asyncio.to_thread(process.start)
        yield
    finally:
        for process in processes:
            await asyncio.to_thread(process.stop)


def summary(scenario: str, **figures: object) -> str:
    """The scenario's one-line result, as every fault scenario prints it."""
    return f"[fault {scenario}] " + " ".join(f"{k}={v}" for k, v in figures.items())
