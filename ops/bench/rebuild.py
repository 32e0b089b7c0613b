"""3. The rebuild: reporting stopped, its canonical topics replayed into fresh read models."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ops.bench.results import BenchError, BenchOptions, Rate
from ops.processes import ServiceProcess


async def rebuild_speed(
    opts: BenchOptions, run: str, reporting: ServiceProcess, tick: Callable[[str, int, int], None]
) -> Rate:
    try:
        module = importlib.import_module("services.reporting.rebuild")
        settings_module = importlib.import_module("services.reporting.settings")
    except ModuleNotFoundError as exc:
        raise BenchError(f"reporting has no rebuild yet ({exc})") from None
    settings = settings_module.ReportingSettings(
        kafka_bootstrap_servers=opts.bootstrap_servers,
        mongodb_url=opts.mongodb_url,
        mongodb_database=reporting.database,
        topic_prefix=f"bench{run}.",
        auth_disabled=True,
    )
    reporting.stop()  # the rebuild must not race the live consumer
    outcome = await module.rebuild(settings, lambda done, total: tick("rebuild", done, total))
    return Rate(
        "reporting rebuild (replay)",
        int(outcome.events),
        float(outcome.seconds),
        note=f"[{outcome.describe_phases()}]",
    )
