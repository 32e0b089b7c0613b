"""What a bench run measured: its options, the machine, rates and latencies."""

from __future__ import annotations

import contextlib
import os
import platform
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ops import system
from ops.paths import REPO

DOC = REPO / "docs" / "benchmarks.md"


class BenchError(RuntimeError):
    """A phase could not run; the message says why."""


@dataclass(frozen=True)
class BenchOptions:
    """What `pulse bench` measures, and how much."""

    events: int = 100_000  # pipeline and raw phases (the real figure: 1,000,000)
    rate: int = 1000  # latency phase: events per second
    latency_seconds: float = 30.0
    raw: bool = True
    pipeline: bool = True
    rebuild: bool = True
    poll_interval_s: float = 0.05
    stall_timeout_s: float = 120.0  # give up when reporting's count stops moving this long
    bootstrap_servers: str = field(
        default_factory=lambda: system.infra_or_local_stack().kafka_bootstrap_servers
    )
    mongodb_url: str = field(default_factory=lambda: system.infra_or_local_stack().mongodb_url)
    service_env: dict[str, str] = field(default_factory=dict)  # e.g. RECOMPUTE_MAX_DELAY_S
    keep: bool = False  # keep the bench's topics and databases afterwards
    doc: Path | None = DOC
    command: str = "pulse bench"


@dataclass(frozen=True)
class Machine:
    cpus: int
    memory_gib: float
    cpu_model: str
    system: str
    python: str

    @classmethod
    def this(cls) -> Machine:
        model, mem_kib = "unknown", 0
        with contextlib.suppress(OSError):
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in Path("/proc/meminfo").read_text().splitlines():
                if line.startswith("MemTotal"):
                    mem_kib = int(line.split()[1])
        return cls(
            cpus=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0,
            memory_gib=round(mem_kib / 1024 / 1024, 1),
            cpu_model=model,
            system=f"{platform.system()} {platform.release()}",
            python=platform.python_version(),
        )


@dataclass
class Rate:
    """`events` in `seconds`; the ratio is to the raw ceiling."""

    name: str
    events: int
    seconds: float
    note: str = ""

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Latency:
    rate: int
    events: int
    p50: float
    p95: float
    p99: float
    max: float
    what: str


@dataclass
class BenchResult:
    machine: Machine
    started: datetime
    options: BenchOptions
    rates: list[Rate] = field(default_factory=list)
    latencies: list[Latency] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    payload_bytes: float = 0.0
    peak_rss_mib: dict[str, float] = field(default_factory=dict)  # process -> peak MiB

    @property
    def ceiling(self) -> float | None:
        raw = [r.per_second for r in self.rates if r.name.startswith("raw")]
        return min(raw) if raw else None

    def ratio(self, rate: Rate) -> str:
        ceiling = self.ceiling
        return f"{rate.per_second / ceiling:.1%}" if ceiling else "-"

    def lines(self) -> list[str]:
        out = []
        for r in self.rates:
            out.append(
                f"{r.name:<34} {r.per_second:>10,.0f} events/s  ({r.events:,} in "
                f"{r.seconds:.1f}s)  {self.ratio(r)} of the raw ceiling  {r.note}".rstrip()
            )
        for lat in self.latencies:
            out.append(
                f"latency {lat.what} at {lat.rate:,}/s: p50 {lat.p50 * 1000:,.0f} ms, p95 "
                f"{lat.p95 * 1000:,.0f} ms, p99 {lat.p99 * 1000:,.0f} ms, max "
                f"{lat.max * 1000:,.0f} ms ({lat.events:,} events)"
            )
        if self.peak_rss_mib:
            out.append(f"peak memory: {self.memory()}")
        out.extend(f"not measured: {f}" for f in self.failures)
        return out

    def memory(self) -> str:
        return ", ".join(f"{name} {mib:,.0f} MiB" for name, mib in self.peak_rss_mib.items())
