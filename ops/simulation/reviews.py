"""The reviews year: serious incidents, rapid reviews (about nine a year; three CSE reviews
become one thematic LCSPR), the LCSPR's action plan shaped like the seeds' one, a thematic
audit and the escalation log, as the business unit's commands to reviews.

Statutory clocks are mostly met: one SIN is notified late and one rapid review finishes after
its 15 working days, as in a real year. Payloads are built only from reviews' registered
contract models.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from ops.simulation import reference
from ops.simulation.model import Outbound, PartnershipTotals, Plan, Totals
from shared.codes import (
    ActionStatus,
    AgeBand,
    Agreement,
    NotAgreedReason,
    ReviewKind,
    Theme,
)
from shared.contracts import EventData
from shared.contracts.reviews import (
    ACTION_PLAN_SUBMITTED,
    ACTION_UPDATE_SUBMITTED,
    CLOSE_REQUESTED,
    ESCALATION_RESOLUTION_SUBMITTED,
    ESCALATION_SUBMITTED,
    NOTIFICATION_REPORTED,
    OPEN_REQUESTED,
    PUBLICATION_REPORTED,
    RAPID_REVIEW_COMPLETION_REPORTED,
    RECOMMENDATION_SUBMITTED,
    CloseReview,
    CompleteRapidReview,
    OpenReview,
    PlanAction,
    PublishReport,
    RaiseEscalation,
    RecordNotification,
    RecordRecommendation,
    ResolveEscalation,
    UpdateAction,
)
from shared.events import new_event
from shared.workdays import LONDON, add_working_days, working_days_between

BUSINESS_UNIT = "gscp"
SOURCE = f"agency/{BUSINESS_UNIT}"
ESCALATIONS_PER_YEAR = 12
_AGENCIES = ("gcc", "constabulary", "icb", "acute-trust", "community-health-trust", "education")


@dataclass(frozen=True)
class Recommendation:
    number: str
    text: str
    agreement: Agreement | None = None
    reason: NotAgreedReason | None = None


@dataclass(frozen=True)
class PlannedAction:
    """An action of the plan: target in days after publication, and the status it reaches."""

    numbers: tuple[str, ...]
    description: str
    owner_role: str
    owner_agency: str
    target_days: int
    final_status: ActionStatus
    supporting: tuple[str, ...] = ()


_A, _P = Agreement.AGREED, Agreement.PARTLY_AGREED

# The seeds' LCSPR action plan (seeds/003): ten recommendations with sub-recommendations,
# their agreement, and actions with owners (roles, never names), targets and statuses.
RECOMMENDATIONS: tuple[Recommendation, ...] = (
    Recommendation("1", "Undertake a comprehensive review of children's placement commissioning"),
    Recommendation("1.1", "Regular and robust quality assurance of providers with partners", _A),
    Recommendation("1.2", "A framework of good practice for crisis care packages", _A),
    Recommendation("1.3", "Develop commissioners' understanding of children's social care", _A),
    Recommendation("1.4", "Auditable record keeping of decisions on the child's record", _A),
    Recommendation("1.5", "The wider multi-disciplinary team in placement commissioning", _A),
    Recommendation("2", "Executive oversight of children in unregulated and unregistered settings"),
    Recommendation("2.1", "Clear responsibility for planning for children in care", _A),
    Recommendation("2.2", "Terms of reference and SMART actions for multi-agency panels", _A),
    Recommendation("3", "Flexible and responsive therapeutic response to children in care"),
    Recommendation(
        "3.1",
        "CAMHS commissioning for complex needs, trauma informed",
        _P,
        NotAgreedReason.COMMISSIONING,
    ),
    Recommendation("4", "Educational needs of children in unregistered placements"),
    Recommendation("4.1", "The Virtual School involved in planning placement moves", _A),
    Recommendation("4.2", "Education transitions planned and in the Personal Education Plan", _A),
    Recommendation("5", "Health and care planning in unregistered placements"),
    Recommendation("5.1", "The children in care nursing service involved in placements", _A),
    Recommendation("6", "Meeting children's cultural, racial and identity needs"),
    Recommendation("6.1", "Assessing cultural, race and identity needs in care planning", _A),
    Recommendation("6.2", "Understanding racism, bias and adultification", _A),
    Recommendation("7", "Assurance on advocacy and independent visitor services"),
    Recommendation("7.1", "Independent advocates for children in care", _A),
    Recommendation("8", "Strengthen the role of the IRO"),
    Recommendation("8.1", "All relevant agencies involved in child in care reviews", _A),
    Recommendation("8.2", "Monitor external escalation of IRO concerns", _A),
    Recommendation("8.3", "Consult and involve parents in reviews", _A),
    Recommendation("9", "Escalation of concerns"),
    Recommendation("9.1", "Challenge agencies on their response to escalations", _A),
    Recommendation(
        "9.2", "Staff involved in strengthening the escalation policy", _P, NotAgreedReason.POLICY
    ),
    Recommendation("9.3", "Professionals empowered to seek external scrutiny", _A),
    Recommendation("10", "Adults in a position of trust: awareness of the LADO"),
    Recommendation("10.1", "All partners understand when to contact the LADO", _A),
)

_S = ActionStatus
ACTIONS: tuple[PlannedAction, ...] = (
    PlannedAction(
        ("1.1",),
        "Comprehensive review of children's commissioning",
        "assistant-director",
        "gcc",
        50,
        _S.PARTIALLY,
        ("icb",),
    ),
    PlannedAction(
        ("1.2", "1.5"),
        "Standard operating procedures for crisis care packages",
        "director",
        "gcc",
        300,
        _S.UNDERWAY,
    ),
    PlannedAction(
        ("1.3",),
        "Joint training of the placements team",
        "head-of-quality",
        "gcc",
        120,
        _S.NOT_STARTED,
    ),
    PlannedAction(
        ("1.4",),
        "Link placement records to the case management system",
        "commissioning-lead",
        "gcc",
        200,
        _S.UNDERWAY,
    ),
    PlannedAction(
        ("2.1",),
        "Regular reports to the partnership on unregistered placements",
        "director",
        "gcc",
        80,
        _S.NOT_STARTED,
    ),
    PlannedAction(
        ("2.2",),
        "Terms of reference, trackers and records for every panel",
        "director",
        "gcc",
        300,
        _S.PARTIALLY,
    ),
    PlannedAction(
        ("3.1",),
        "A local flexible service for children in care with complex needs",
        "director",
        "gcc",
        330,
        _S.PARTIALLY,
        ("icb", "constabulary"),
    ),
    PlannedAction(
        ("4.1",),
        "Guidance to social workers and IROs; Virtual School on the panel",
        "virtual-school-head",
        "gcc",
        300,
        _S.PARTIALLY,
    ),
    PlannedAction(
        ("4.2",),
        "IRO service follows up unplanned education transitions",
        "head-of-quality",
        "gcc",
        300,
        _S.NOT_STARTED,
    ),
    PlannedAction(
        ("5.1",),
        "Scrutiny of the escalation process for placement breakdown",
        "independent-scrutineer",
        BUSINESS_UNIT,
        40,
        _S.COMPLETE,
    ),
    PlannedAction(
        ("6.1", "6.2"),
        "Review of advocacy services; adultification briefings",
        "assistant-director",
        "gcc",
        50,
        _S.UNDERWAY,
    ),
    PlannedAction(
        ("7.1",),
        "Assurance and data from advocacy and visitor services",
        "partnership-business-manager",
        BUSINESS_UNIT,
        50,
        _S.PARTIALLY,
    ),
    PlannedAction(
        ("8.1", "8.2", "8.3"),
        "IRO service reports to QiiP on this review",
        "head-of-quality",
        "gcc",
        80,
        _S.NOT_STARTED,
    ),
    PlannedAction(
        ("9.1", "9.2", "9.3"),
        "Review of the escalation process and whistleblowing",
        "partnership-business-manager",
        BUSINESS_UNIT,
        40,
        _S.COMPLETE,
    ),
    PlannedAction(
        ("10.1",),
        "Awareness of the allegations management service; LADO audit",
        "head-of-quality",
        "gcc",
        50,
        _S.PARTIALLY,
    ),
)

_NO_LCSPR = "Learning taken forward through single-agency and multi-agency actions."
_LCSPR = "Thematic LCSPR with the other CSE rapid reviews: disruption of perpetrators."


class ReviewsYear:
    """One partnership's reviews year, as reviews inbound commands in time order."""

    def __init__(self, plan: Plan, partnership: str, totals: Totals) -> None:
        self.plan = plan
        self.pid = partnership
        self.rng = plan.rng(partnership, "reviews")
        self.ids = plan.ids(partnership)  # unique per partnership and year
        self.totals: PartnershipTotals = totals.of(partnership)
        self._out: list[tuple[datetime, int, Outbound]] = []

    def __iter__(self) -> Iterator[Outbound]:
        self._incidents()
        self._escalations()
        self._audit()
        for _, _, item in sorted(self._out, key=lambda x: (x[0], x[1])):
            yield item

    # -- helpers ----------------------------------------------------------------------------

    def _day(self, offset: int) -> date:
        return self.plan.start + timedelta(days=offset)

    def _emit(self, kind: str, type_: str, data: EventData, on: date | datetime, key: str) -> None:
        if isinstance(on, datetime):
            at = on
        else:
            # Office hours on that date; the sequence keeps same-day commands in plan order.
            at = datetime.combine(on, time(10, 0), LONDON).astimezone(UTC)
        seq = len(self._out)
        at = at + timedelta(seconds=seq % 3600)
        envelope = new_event(
            id=self.plan.event_id(self.pid, "reviews", key, kind),
            type=type_,
            source=SOURCE,
            partnership=self.pid,
            subject=key,
            time=at,
            data=data.model_dump(mode="json"),
        )
        # One Kafka key for all of a partnership's reviews commands: they depend on each other
        # across reviews (an LCSPR follows its rapid reviews), so they must stay in order.
        # The business unit has no Kafka producer: with --via both its commands go over HTTP.
        item = Outbound("reviews", envelope, f"{self.pid}-reviews", kafka_sender=False)
        self._out.append((at, seq, item))
        self.totals.events_by_type[type_] += 1

    def _cases(self) -> list[tuple[Theme, AgeBand]]:
        if self.pid == self.plan.partnership_ids[0]:
            return list(reference.RAPID_REVIEW_CASES)
        n = self.rng.randint(6, 12)
        cases = [
            (
                Theme.CHILD_SEXUAL_EXPLOITATION,
                self.rng.choice([AgeBand.AGE_10_15, AgeBand.AGE_16_17]),
            )
            for _ in range(reference.RAPID_REVIEWS_INTO_THE_LCSPR)
        ]
        themes = [t for t in Theme if t is not Theme.CHILD_SEXUAL_EXPLOITATION]
        while len(cases) < n:
            theme = self.rng.choice(themes)
            band = (
                AgeBand.UNDER_1
                if theme is Theme.VULNERABLE_BABIES_NAI
                else self.rng.choice(list(AgeBand)[1:])
            )
            cases.append((theme, band))
        return cases

    # -- serious incidents, rapid reviews, the LCSPR ------------------------------------------

    def _incidents(self) -> None:
        rng, t = self.rng, self.totals
        cases = self._cases()
        # CSE cases first in the year, so their thematic LCSPR is published within the year
        # (the reference LCSPR was published in the February).
        cse = [c for c in cases if c[0] is Theme.CHILD_SEXUAL_EXPLOITATION]
        other = [c for c in cases if c[0] is not Theme.CHILD_SEXUAL_EXPLOITATION]
        cse_days = [40, 70, 105][: len(cse)]
        other_days = sorted(rng.sample(range(10, 330), len(other)))
        late_notification = rng.randrange(len(cases))
        late_review = (late_notification + 4) % len(cases)
        lcspr_origins: list[str] = []
        lcspr_decided: date | None = None
        schedule = sorted(
            [(d, c) for d, c in zip(cse_days, cse, strict=True)]
            + [(d, c) for d, c in zip(other_days, other, strict=True)],
            key=lambda x: x[0],
        )
        for i, (offset, (theme, band)) in enumerate(schedule, start=1):
            sin_id, rr_id = f"{self.ids}-sin-{i:02d}", f"{self.ids}-rr-{i:02d}"
            aware_on = self._day(offset + rng.randint(0, 5))
            agency = rng.choice(_AGENCIES)
            notify_wd = 7 if i - 1 == late_notification else rng.randint(1, 5)
            notified_on = add_working_days(aware_on, notify_wd)
            review_wd = 18 if i - 1 == late_review else rng.randint(9, 15)
            completed_on = add_working_days(notified_on, review_wd)
            into_lcspr = theme is Theme.CHILD_SEXUAL_EXPLOITATION
            title = f"Serious incident {i:02d}"
            self._emit(
                "open",
                OPEN_REQUESTED,
                OpenReview(
                    review_id=sin_id,
                    kind=ReviewKind.SIN,
                    title=title,
                    opened_on=aware_on,
                    themes=[theme],
                    age_band=band,
                    aware_agency=agency,
                    aware_on=aware_on,
                ),
                aware_on,
                sin_id,
            )
            self._emit(
                "notified",
                NOTIFICATION_REPORTED,
                RecordNotification(review_id=sin_id, notified_on=notified_on),
                notified_on,
                sin_id,
            )
            self._emit(
                "open",
                OPEN_REQUESTED,
                OpenReview(
                    review_id=rr_id,
                    kind=ReviewKind.RAPID_REVIEW,
                    title=f"Rapid review {i:02d}",
                    opened_on=notified_on,
                    themes=[theme],
                    age_band=band,
                    independent_chair=True,
                    origin_review_ids=[sin_id],
                ),
                notified_on,
                rr_id,
            )
            self._emit(
                "completed",
                RAPID_REVIEW_COMPLETION_REPORTED,
                CompleteRapidReview(
                    review_id=rr_id,
                    completed_on=completed_on,
                    lcspr_required=into_lcspr,
                    rationale=_LCSPR if into_lcspr else _NO_LCSPR,
                ),
                completed_on,
                rr_id,
            )
            closed_on = completed_on + timedelta(days=28)
            if closed_on < self.plan.end and not into_lcspr:
                self._emit(
                    "closed",
                    CLOSE_REQUESTED,
                    CloseReview(review_id=rr_id, closed_on=closed_on),
                    closed_on,
                    rr_id,
                )
            if closed_on < self.plan.end:
                self._emit(
                    "closed",
                    CLOSE_REQUESTED,
                    CloseReview(review_id=sin_id, closed_on=closed_on),
                    closed_on,
                    sin_id,
                )
            t.serious_incidents += 1
            t.rapid_reviews += 1
            t.rapid_reviews_within_15_working_days += (
                working_days_between(notified_on, completed_on) <= 15
            )
            t.rapid_reviews_by_theme[theme.value] += 1
            t.rapid_reviews_by_age_band[band.value] += 1
            if into_lcspr:
                lcspr_origins.append(rr_id)
                lcspr_decided = max(lcspr_decided or completed_on, completed_on)
        if lcspr_origins and lcspr_decided is not None:
            self._lcspr(lcspr_origins, lcspr_decided)

    def _lcspr(self, origins: list[str], decided_on: date) -> None:
        t = self.totals
        review_id = f"{self.ids}-lcspr-01"
        opened_on = decided_on + timedelta(days=7)
        self._emit(
            "open",
            OPEN_REQUESTED,
            OpenReview(
                review_id=review_id,
                kind=ReviewKind.LCSPR,
                title="CSE thematic LCSPR",
                opened_on=opened_on,
                themes=[Theme.CHILD_SEXUAL_EXPLOITATION],
                independent_chair=True,
                origin_review_ids=origins,
            ),
            opened_on,
            review_id,
        )
        t.lcsprs += 1
        published_on = decided_on + timedelta(days=178)  # within the 6 months
        drafted_on = published_on - timedelta(days=21)
        for rec in RECOMMENDATIONS:
            self._emit(
                f"rec-{rec.number}",
                RECOMMENDATION_SUBMITTED,
                RecordRecommendation(
                    review_id=review_id,
                    number=rec.number,
                    text=rec.text,
                    agreement=rec.agreement,
                    not_agreed_reason=rec.reason,
                    recorded_on=drafted_on,
                ),
                drafted_on,
                review_id,
            )
            t.recommendations += 1
            if rec.agreement is not None:
                t.recommendations_by_agreement[rec.agreement.value] += 1
        self._emit(
            "published",
            PUBLICATION_REPORTED,
            PublishReport(review_id=review_id, published_on=published_on),
            published_on,
            review_id,
        )
        for n, action in enumerate(ACTIONS, start=1):
            self._action(review_id, f"{review_id}-a{n:02d}", action, drafted_on, published_on)

    def _action(
        self, review_id: str, action_id: str, a: PlannedAction, planned_on: date, published: date
    ) -> None:
        t = self.totals
        self._emit(
            f"{action_id}/planned",
            ACTION_PLAN_SUBMITTED,
            PlanAction(
                review_id=review_id,
                action_id=action_id,
                recommendation_numbers=list(a.numbers),
                description=a.description,
                owner_role=a.owner_role,
                owner_agency=a.owner_agency,
                supporting_agencies=list(a.supporting),
                target_date=published + timedelta(days=a.target_days),
                status=ActionStatus.NOT_STARTED,
                planned_on=planned_on,
            ),
            planned_on,
            review_id,
        )
        # Progress updates on the plan's versions: work starts, then part or all is done.
        steps = {
            _S.NOT_STARTED: [],
            _S.UNDERWAY: [_S.UNDERWAY],
            _S.PARTIALLY: [_S.UNDERWAY, _S.PARTIALLY],
            _S.COMPLETE: [_S.UNDERWAY, _S.COMPLETE],
        }[a.final_status]
        for k, status in enumerate(steps, start=1):
            on = published + timedelta(days=14 * k)
            self._emit(
                f"{action_id}/update-{k}",
                ACTION_UPDATE_SUBMITTED,
                UpdateAction(
                    review_id=review_id,
                    action_id=action_id,
                    updated_on=on,
                    status=status,
                    note="Progress update recorded at the action plan review.",
                ),
                on,
                review_id,
            )
        t.actions += 1
        t.actions_by_status[a.final_status.value] += 1

    # -- the escalation log and a thematic audit -----------------------------------------------

    def _escalations(self) -> None:
        rng, t = self.rng, self.totals
        n = max(1, round(ESCALATIONS_PER_YEAR * rng.uniform(0.7, 1.3)))
        for i in range(1, n + 1):
            esc_id = f"{self.ids}-esc-{i:03d}"
            raised_by, raised_about = rng.sample(_AGENCIES, 2)
            raised_at = datetime.combine(
                self._day(rng.randint(5, 350)), time(rng.randint(9, 16), rng.randint(0, 59)), LONDON
            ).astimezone(UTC)
            self._emit(
                "raised",
                ESCALATION_SUBMITTED,
                RaiseEscalation(
                    escalation_id=esc_id,
                    raised_by_agency=raised_by,
                    raised_about_agency=raised_about,
                    level=rng.choices([1, 2, 3, 4], [5, 3, 2, 1])[0],
                    subject="Disagreement about threshold for a strategy discussion",
                    raised_at=raised_at,
                ),
                raised_at,
                esc_id,
            )
            t.escalations_raised += 1
            resolved_at = raised_at + timedelta(days=rng.uniform(2, 40))
            if rng.random() < 0.85 and resolved_at.date() < self.plan.end:
                self._emit(
                    "resolved",
                    ESCALATION_RESOLUTION_SUBMITTED,
                    ResolveEscalation(
                        escalation_id=esc_id,
                        resolved_at=resolved_at,
                        outcome="Resolved by discussion between the agencies' managers.",
                    ),
                    resolved_at,
                    esc_id,
                )
                t.escalations_resolved += 1

    def _audit(self) -> None:
        review_id = f"{self.ids}-mata-01"
        opened_on = self._day(320)
        self._emit(
            "open",
            OPEN_REQUESTED,
            OpenReview(
                review_id=review_id,
                kind=ReviewKind.MATA,
                title="Multi-agency audit of contacts to MASH",
                opened_on=opened_on,
                themes=[],
            ),
            opened_on,
            review_id,
        )
