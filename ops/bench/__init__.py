"""`pulse bench`: how fast the system is, next to the raw Kafka ceiling, in one run on one
machine.

1. Raw ceiling: aiokafka producing (acks=all, idempotent, the simulator's producer settings)
   and then consuming the same payloads as the pipeline's contacts, doing nothing with them.
2. Pipeline: intake and reporting started as real processes (`pulse run ...`) on a topic
   prefix and databases of their own; N contacts published on intake's inbound topic; the
   clock stops when reporting's figures (its internal HTTP API) count all N. Before that,
   latency at a steady rate: contacts published at a fixed rate for a while, reporting's
   count polled; each event's latency is the time from its publication to the first poll that
   counts it (count-based: assumes events become visible roughly in publication order,
   and the poll interval bounds the resolution).
3. Rebuild: reporting stopped, `services.reporting.rebuild.rebuild` replays its canonical
   topics into fresh read models; events per second replayed. Beside it, the peer: a plain
   dataframe recount of the same canonical events (`peer`), and the rebuild's share
   of its speed.

Every figure is printed with its ratio to the raw ceiling and written to docs/benchmarks.md
between the `bench:begin`/`bench:end` markers, with the machine, date and command.
Nothing here asserts a timing: it measures and reports.
"""

from ops.bench.payloads import financial_year_label, payloads
from ops.bench.peer import dataframe_recount
from ops.bench.pipeline import percentile
from ops.bench.report import BEGIN, END, render, write_doc
from ops.bench.results import DOC, BenchError, BenchOptions, BenchResult, Latency, Machine, Rate
from ops.bench.run import bench, run

__all__ = [
    "BEGIN",
    "DOC",
    "END",
    "BenchError",
    "BenchOptions",
    "BenchResult",
    "Latency",
    "Machine",
    "Rate",
    "bench",
    "dataframe_recount",
    "financial_year_label",
    "payloads",
    "percentile",
    "render",
    "run",
    "write_doc",
]
