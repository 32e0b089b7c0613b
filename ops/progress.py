"""Progress of the long commands (`pulse bench`, `pulse simulate`, `pulse reporting
rebuild`): rich's bars on a terminal, plain lines anywhere else. Rich draws nothing until the
end when its output is not a terminal, so a 25-minute bench sent to a CI log or a file was
silent until it finished; there, each task prints a line at most every `every` seconds and
one when it completes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TextIO

from rich.console import Console
from rich.progress import Progress, ProgressColumn, TaskID


class LineProgress(Progress):
    """A `Progress` that renders nothing and prints a line per task instead."""

    def __init__(
        self,
        out: TextIO | None = None,
        *,
        every: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(disable=True)
        self._out = out
        self._every = every
        self._clock = clock
        self._printed: dict[TaskID, float] = {}
        self._finished: set[TaskID] = set()

    def update(self, task_id: TaskID, **changes: Any) -> None:
        super().update(task_id, **changes)
        task = self._tasks[task_id]
        now = self._clock()
        done = task.total is not None and task.completed >= task.total
        if task_id in self._finished:
            return
        if not done and now - self._printed.get(task_id, float("-inf")) < self._every:
            return
        self._printed[task_id] = now
        if done:
            self._finished.add(task_id)
        print(_line(task.description, task.completed, task.total), file=self._out, flush=True)


def _line(description: str, completed: float, total: float | None) -> str:
    if not total:
        return f"{description}: {completed:,.0f}"
    return f"{description}: {completed:,.0f} of {total:,.0f} ({completed / total:.0%})"


def progress(*columns: str | ProgressColumn) -> Progress:
    """Bars on a terminal, lines elsewhere (see the module)."""
    if Console().is_terminal:
        return Progress(*columns)
    return LineProgress()
