"""A workforce headcount from the learning platform becomes training's canonical event."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest.mock import MagicMock

import pytest
from pydantic import ValidationError

from services.training.domain import Cause
from services.training.handlers import Fact, plan
from services.training.store import TrainingFolding, TrainingStore
from shared.contracts.training import (
    WORKFORCE_RECORDED,
    WORKFORCE_REPORTED,
    Channel,
    WorkforceRecorded,
    WorkforceReported,
)
from shared.events import derived_id, new_event
from shared.records import EntityCache, MemoryRecordStore, Repository, UnitOfWork


async def test_a_recorded_workforce_is_reported_under_an_id_derived_from_its_cause() -> None:
    data = WorkforceRecorded(organisation="constabulary", financial_year="2020-21", headcount=1800)
    at = datetime(2020, 5, 1, 9, tzinfo=UTC)
    inbound = new_event(
        type=WORKFORCE_RECORDED,
        source="agency/learning-platform",
        partnership="gscp",
        time=at,
        data=data.model_dump(mode="json"),
    )
    fact = Fact(Cause(inbound.id, Channel.KAFKA), "gscp", data, inbound)
    # Nothing is read or written for a headcount: a store without a database will do.
    uow = UnitOfWork(Repository(MemoryRecordStore(), TrainingFolding()))
    planned = await plan(uow, TrainingStore(MagicMock(), EntityCache()), [fact, fact], at)
    for outcome in planned.outcomes:
        assert outcome.error is None
        [event] = outcome.events
        assert event.type == WORKFORCE_REPORTED
        assert event.id == derived_id(inbound.id, WORKFORCE_REPORTED)  # a redelivery: same id
        assert (event.subject, event.time) == ("constabulary", at)
        assert WorkforceReported.model_validate(event.data) == WorkforceReported(
            organisation="constabulary", sector="police", financial_year="2020-21", headcount=1800
        )
    assert not planned.learners
    assert not planned.enrolments
    assert not uow.staged


@pytest.mark.parametrize("year", ["2020-22", "2020/21", "20-21"])
def test_a_year_that_is_not_a_financial_year_is_refused(year: str) -> None:
    with pytest.raises(ValidationError, match="financial_year"):
        WorkforceRecorded(organisation="education", financial_year=year, headcount=10)


def test_a_headcount_must_be_positive() -> None:
    with pytest.raises(ValidationError, match="headcount"):
        WorkforceRecorded(organisation="education", financial_year="2020-21", headcount=0)
