"""Progress of long commands where rich draws nothing (a CI log, a file): plain lines."""

from __future__ import annotations

import io

from ops.progress import LineProgress


def test_lines_come_at_most_every_interval_and_once_at_the_end() -> None:
    now = [0.0]
    out = io.StringIO()
    with LineProgress(out, every=10.0, clock=lambda: now[0]) as progress:
        task = progress.add_task("pipeline: reporting counts", total=1_000_000)
        for step in range(1, 101):  # 100 updates over 50 seconds
            now[0] = step * 0.5
            progress.update(task, completed=step * 10_000)
        progress.update(task, completed=1_000_000)  # repeated: no second final line
        unknown = progress.add_task("replaying canonical events", total=None)
        progress.update(unknown, completed=5)
    lines = out.getvalue().splitlines()
    assert lines[0] == "pipeline: reporting counts: 10,000 of 1,000,000 (1%)"
    assert len([line for line in lines if line.startswith("pipeline")]) == 6  # 0, 10 ... 50 s
    assert lines[-2] == "pipeline: reporting counts: 1,000,000 of 1,000,000 (100%)"
    assert lines[-1] == "replaying canonical events: 5"
