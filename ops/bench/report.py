"""The bench's figures in docs/benchmarks.md, between its markers."""

from __future__ import annotations

from pathlib import Path

from ops.bench.results import BenchResult

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def render(result: BenchResult) -> str:
    m, o = result.machine, result.options
    rows = [
        "| measurement | events | seconds | events/s | vs raw ceiling |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for r in result.rates:
        rows.append(
            f"| {r.name} {r.note} | {r.events:,} | {r.seconds:.1f} | {r.per_second:,.0f} | "
            f"{result.ratio(r)} |"
        )
    lat = [
        f"- latency {x.what} at {x.rate:,} events/s ({x.events:,} events): p50 "
        f"{x.p50 * 1000:,.0f} ms, p95 {x.p95 * 1000:,.0f} ms, p99 {x.p99 * 1000:,.0f} ms, "
        f"max {x.max * 1000:,.0f} ms"
        for x in result.latencies
    ]
    memory = [f"- peak resident memory (VmHWM): {result.memory()}"] if result.peak_rss_mib else []
    failed = [f"- not measured: {f.splitlines()[0]}" for f in result.failures]
    return "\n".join(
        [
            BEGIN,
            f"Run {result.started.strftime('%Y-%m-%d %H:%M UTC')}: `{o.command}`",
            "",
            f"Machine: {m.cpus} CPUs ({m.cpu_model}), {m.memory_gib} GiB memory, {m.system}, "
            f"Python {m.python}; Kafka {o.bootstrap_servers}, MongoDB-compatible "
            f"{o.mongodb_url}. Mean payload {result.payload_bytes:,.0f} bytes.",
            "",
            *rows,
            "",
            *lat,
            *memory,
            *failed,
            END,
        ]
    )


def write_doc(result: BenchResult, path: Path) -> None:
    """Replace the generated section of the document (or append one)."""
    block = render(result)
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
