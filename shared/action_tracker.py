"""The action tracker's two rules, stated once for the reviews service (its tracker view and
overdue sweep) and reporting (overdue actions and RAG as at each period's end).

PRODUCT.md: reviews keeps "actions with owner, target date and status" and "raises `action
overdue`"; the seeds' action plan (seeds/003): "Actions are clear, measurable, achievable, and
relevant with the owner and timescale of each step clearly identified. Progress against the
implementation and delivery of the action plans will be monitored by ... QiiP".

- Overdue as at a day: not complete, and its target date is before that day (an action due
  on 31 March is on time all that day and overdue from 1 April).
- RAG as at a day: red when overdue; amber when not complete and due within
  `DUE_SOON_DAYS` days, or without a target date (no timescale identified); green when
  complete, or not yet due within that window (on track).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from shared.codes import ActionStatus

DUE_SOON_DAYS = 28


class ActionRag(StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"


def is_complete(status: str | ActionStatus) -> bool:
    return str(status) == ActionStatus.COMPLETE.value


def is_overdue(status: str | ActionStatus, target_date: date | None, as_of: date) -> bool:
    """Overdue as at the day `as_of`: not complete and past its target date."""
    return not is_complete(status) and target_date is not None and target_date < as_of


def action_rag(status: str | ActionStatus, target_date: date | None, as_of: date) -> ActionRag:
    """The tracker's RAG for one action as at the day `as_of` (see the module's rules)."""
    if is_complete(status):
        return ActionRag.GREEN
    if target_date is None:
        return ActionRag.AMBER
    if target_date < as_of:
        return ActionRag.RED
    return ActionRag.AMBER if (target_date - as_of).days <= DUE_SOON_DAYS else ActionRag.GREEN
