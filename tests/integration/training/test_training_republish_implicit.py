"""A completion that registered its learner implicitly, sent again after the platform has
registered the learner (a redelivery, or an xAPI statement re-sent to another instance),
announces the implicit registration again under the same id and with the same content: an
event re-published under one id never says something else."""

from __future__ import annotations

from datetime import timedelta

from ops.system import Infra
from services.training.domain import Cause
from services.training.handlers import Fact, ingest
from shared.contracts.training import (
    REGISTERED,
    Channel,
    CompletionRecorded,
    RegistrationRecorded,
)
from shared.events import Envelope
from tests.integration.training.test_training_flows import AT, P, _course_body
from tests.support.services import running


async def test_a_repeated_completion_re_announces_its_implicit_registration_unchanged(
    infra: Infra, run_id: str
) -> None:
    statement = "5b0f2a4e-8c1d-4e7a-9a3b-2f6c1d0e9b77"
    completion = Fact(
        Cause(statement, Channel.XAPI, statement_id=statement),
        P,
        CompletionRecorded(
            learner_id="l-1",
            course_id="cp-virtual",
            organisation="acute-trust",
            completed_at=AT + timedelta(days=3),
        ),
    )
    registration = Fact(
        Cause("reg-1", Channel.KAFKA),
        P,
        RegistrationRecorded(learner_id="l-1", organisation="education", registered_at=AT),
    )

    def registered(events: list[Envelope]) -> list[Envelope]:
        return [e for e in events if e.type == REGISTERED]

    async with running("training", infra, run_id, default_partnership=P) as svc:
        assert (await svc.http.put("/courses/cp-virtual", json=_course_body())).status_code == 200
        first = await ingest(svc.runtime, [completion], all_or_nothing=True)
        await ingest(svc.runtime, [registration], all_or_nothing=True)
        again = await ingest(svc.runtime, [completion], all_or_nothing=True)
        learner = (await svc.http.get("/learners/l-1")).json()

    [announced] = registered(first.outcomes[0].events)
    [reannounced] = registered(again.outcomes[0].events)
    assert announced.data["implicit"] is True
    assert (reannounced.id, reannounced.data) == (announced.id, announced.data)
    # The learner itself is the platform's registration.
    assert (learner["implicit"], learner["organisation"]) == (False, "education")
