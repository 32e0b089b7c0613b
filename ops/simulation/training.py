"""The training year: the learning platform's events — the catalogue, learner registrations,
enrolments and completions — reproducing the annual report's 2020/21 tables at
`--scale 1` for the first partnership (others and other scales get the same tables scaled),
counted as the training reference fixture (tests/fixtures/training_reference.py) counts them.

The year follows the report's phases: the platform opens in late May, eLearning goes to
education and early years from July, the virtual child protection course runs from September,
statutory agencies join from November and other agencies from February; the constabulary
registers but takes almost no courses. Payloads are built only from training's registered
contract models.

Year after year: each year registers its own new learners (ids unique per partnership and
year) with the same tables, and learners recur. After the platform's first year (2020-21: the
LMS opened in May 2020), a share of the learners who completed an eLearning course the year
before take it again as a refresher: a new enrolment (a new occurrence of the course for
training), completed at the same rate. Their registration is the one of the year they were
first registered, sent again unchanged (same event id), so a year simulated on its own still
registers them in the year they registered, and a year run after the one before changes
nothing. The tables of the first year are the annual report's; refreshers come on top.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from ops.simulation import reference
from ops.simulation.model import Outbound, PartnershipTotals, Plan, Totals, financial_year
from shared.codes import Organisation, TrainingFormat
from shared.contracts import EventData
from shared.contracts.training import (
    COMPLETION_RECORDED,
    COURSE_UPSERTED,
    ENROLMENT_RECORDED,
    REGISTRATION_RECORDED,
    WORKFORCE_RECORDED,
    CompletionRecorded,
    CourseTheme,
    CourseUpserted,
    EnrolmentRecorded,
    RegistrationRecorded,
    WorkforceRecorded,
)
from shared.events import new_event
from shared.workdays import LONDON

SOURCE = "agency/learning-platform"
CONSTABULARY_LEARNERS = 6  # registered, but (as the report says) hardly any courses taken
Org = Organisation


@dataclass(frozen=True)
class Course:
    course_id: str
    title: str
    theme: CourseTheme
    format: TrainingFormat
    group: str  # which of the report's tables it counts in


ELEARNING = [
    Course(
        "el-cp-intro",
        "Introduction to child protection",
        CourseTheme.CHILD_PROTECTION,
        TrainingFormat.ELEARNING,
        "elearning",
    ),
    Course(
        "el-neglect",
        "Recognising neglect",
        CourseTheme.NEGLECT,
        TrainingFormat.ELEARNING,
        "elearning",
    ),
    Course(
        "el-domestic-abuse",
        "Domestic abuse and children",
        CourseTheme.DOMESTIC_ABUSE,
        TrainingFormat.ELEARNING,
        "elearning",
    ),
    Course(
        "el-cse",
        "Child sexual exploitation",
        CourseTheme.CHILD_SEXUAL_EXPLOITATION,
        TrainingFormat.ELEARNING,
        "elearning",
    ),
    Course(
        "el-online-safety",
        "Online safety",
        CourseTheme.ONLINE_SAFETY,
        TrainingFormat.ELEARNING,
        "elearning",
    ),
    Course(
        "el-thresholds",
        "Levels of intervention",
        CourseTheme.THRESHOLDS,
        TrainingFormat.ELEARNING,
        "elearning",
    ),
    Course(
        "el-education",
        "Safeguarding in education",
        CourseTheme.SAFEGUARDING_IN_EDUCATION,
        TrainingFormat.ELEARNING,
        "elearning",
    ),
    Course(
        "el-mental-health",
        "Children's mental health",
        CourseTheme.MENTAL_HEALTH,
        TrainingFormat.ELEARNING,
        "elearning",
    ),
    Course(
        "el-cce",
        "Criminal exploitation",
        CourseTheme.CRIMINAL_EXPLOITATION,
        TrainingFormat.ELEARNING,
        "elearning",
    ),
    Course(
        "el-babies",
        "Vulnerable babies",
        CourseTheme.VULNERABLE_BABIES,
        TrainingFormat.ELEARNING,
        "elearning",
    ),
]
CP_VIRTUAL = Course(
    "vc-child-protection",
    "Child protection inter-agency (virtual)",
    CourseTheme.CHILD_PROTECTION,
    TrainingFormat.VIRTUAL_CLASSROOM,
    "cp-virtual",
)
NEGLECT_VIRTUAL = Course(
    "vc-neglect",
    "Child neglect (virtual)",
    CourseTheme.NEGLECT,
    TrainingFormat.VIRTUAL_CLASSROOM,
    "neglect-virtual",
)
COURSES = [*ELEARNING, CP_VIRTUAL, NEGLECT_VIRTUAL]

# Days after 1 April when each organisation's staff got access (the report's phases).
ACCESS_FROM: dict[Organisation, int] = {
    Org.EARLY_YEARS: 91,
    Org.EDUCATION: 91,
    Org.COUNTY_COUNCIL: 214,
    Org.CCG_GPS: 214,
    Org.ACUTE_TRUST: 214,
    Org.COMMUNITY_HEALTH_TRUST: 214,
    Org.CONSTABULARY: 214,
    Org.DISTRICTS: 306,
    Org.PROSPECTS: 306,
    Org.VOLUNTARY: 306,
}
PLATFORM_OPENS = 50

# Workforce headcounts at scale 1, for representation. Illustrative: the annual report gives
# none, only that social care and the constabulary were poorly represented.
WORKFORCE: dict[Organisation, int] = {
    Org.DISTRICTS: 800,
    Org.CCG_GPS: 1500,
    Org.EARLY_YEARS: 2500,
    Org.EDUCATION: 9000,
    Org.COUNTY_COUNCIL: 2400,
    Org.ACUTE_TRUST: 6000,
    Org.COMMUNITY_HEALTH_TRUST: 3000,
    Org.PROSPECTS: 150,
    Org.VOLUNTARY: 600,
    Org.CONSTABULARY: 1800,
}
VIRTUAL_SESSIONS_FROM = 153
# The learning platform opened in May 2020: nobody takes a course again before 2021-22.
FIRST_PLATFORM_YEAR = 2020
# Of the learners who completed eLearning courses in a year, the share who refresh one of them
# the next year (illustrative; safeguarding training is commonly refreshed every one to three
# years).
REFRESHER_SHARE = 0.3


def scaled(table: Mapping[Organisation, int], factor: float) -> dict[Organisation, int]:
    """A table times `factor`, cell by cell (at 1, exactly the table)."""
    return {org: math.floor(n * factor + 0.5) for org, n in table.items()}


def apportion(total: int, weights: Mapping[Organisation, float]) -> dict[Organisation, int]:
    """`total` split in proportion to `weights`, whole numbers summing exactly to `total`
    (largest remainder)."""
    wsum = sum(weights.values())
    if total <= 0 or wsum <= 0:
        return dict.fromkeys(weights, 0)
    raw = {k: total * w / wsum for k, w in weights.items()}
    out = {k: math.floor(v) for k, v in raw.items()}
    rest = total - sum(out.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - out[k]), k.value))[:rest]:
        out[k] += 1
    return out


@dataclass(frozen=True)
class Tables:
    """What one partnership's training year will contain."""

    elearning: dict[Organisation, int]
    elearning_completions: dict[Organisation, int]
    cp_virtual: dict[Organisation, int]
    neglect_virtual: dict[Organisation, int]
    learners: dict[Organisation, int]

    @classmethod
    def for_factor(cls, factor: float) -> Tables:
        el = scaled(reference.ELEARNING_ENROLMENTS, factor)
        # 80% of each organisation's eLearning, rounded (7,726 of 9,658 at scale 1), as the
        # training reference fixture counts them.
        completions = {org: round(n * reference.ELEARNING_COMPLETION_RATE) for org, n in el.items()}
        cp = scaled(reference.CP_VIRTUAL_INDIVIDUALS, factor)
        neglect = scaled(reference.NEGLECT_VIRTUAL_INDIVIDUALS, factor)
        orgs = list(Organisation)
        need = {
            org: max(
                cp.get(org, 0),
                neglect.get(org, 0),
                math.ceil(el.get(org, 0) / len(ELEARNING)),
            )
            for org in orgs
        }
        need[Org.CONSTABULARY] = max(1, math.floor(CONSTABULARY_LEARNERS * factor + 0.5))
        total = max(math.floor(reference.REGISTERED_USERS * factor + 0.5), sum(need.values()))
        weights = {
            org: float(el.get(org, 0) + cp.get(org, 0) + neglect.get(org, 0)) for org in orgs
        }
        extra = apportion(total - sum(need.values()), weights)
        learners = {org: need[org] + extra[org] for org in orgs}
        return cls(el, completions, cp, neglect, learners)


class TrainingYear:
    """One partnership's training year, as learning-platform events in time order."""

    def __init__(self, plan: Plan, partnership: str, factor: float, totals: Totals) -> None:
        self.plan = plan
        self.pid = partnership
        self.rng = plan.rng(partnership, "training")
        self.totals: PartnershipTotals = totals.of(partnership)
        self.factor = factor
        self.tables = Tables.for_factor(factor)
        self._out: list[tuple[datetime, int, Outbound]] = []
        self._start = datetime.combine(plan.start, time(0, 0), LONDON).astimezone(UTC)
        self._end = datetime.combine(plan.end, time(0, 0), LONDON).astimezone(UTC)
        # What the next year's refreshers need: each learner's registration event (as first
        # sent) and the eLearning courses completed this year.
        self.registrations: dict[str, Outbound] = {}
        self.completed: list[tuple[str, Organisation, Course]] = []

    def __iter__(self) -> Iterator[Outbound]:
        self._generate()
        for _, _, item in sorted(self._out, key=lambda x: (x[0], x[1])):
            yield item

    def _generate(self) -> None:
        self._out.clear()
        self._catalogue()
        self._workforce()
        learners = self._learners()
        for org, ids in learners.items():
            self._org_enrolments(org, ids)
        self._refreshers()

    def _refreshers(self) -> None:
        """Last year's completers who take one of their courses again this year."""
        before = _year_before(self.plan, self.pid, self.factor)
        if before is None:
            return
        rng = self.plan.rng(self.pid, "training-refreshers")
        courses: dict[str, list[tuple[Organisation, Course]]] = {}
        for learner, org, course in before.completed:
            courses.setdefault(learner, []).append((org, course))
        opens = self._day(PLATFORM_OPENS) + timedelta(hours=1)  # after this year's catalogue
        for learner in sorted(courses):
            if rng.random() >= REFRESHER_SHARE:
                continue
            registration = before.registrations[learner]
            # Sent again as first sent: the same event, which training has seen if it ran
            # last year, and which registers the learner in their own year if not.
            self._out.append((registration.at, len(self._out), registration))
            self.totals.events_by_type[registration.envelope.type] += 1
            self.registrations[learner] = registration
            org, course = rng.choice(courses[learner])
            done = rng.random() < reference.ELEARNING_COMPLETION_RATE
            self._enrol(org, learner, opens, course, completes=done, refresher=True)

    def _moment(self, low: datetime, high: datetime) -> datetime:
        span = max(60.0, (high - low).total_seconds())
        return low + timedelta(seconds=round(self.rng.uniform(0, span)))

    def _day(self, offset: int) -> datetime:
        return self._start + timedelta(days=offset)

    def _emit(self, kind: str, type_: str, data: EventData, at: datetime, key: str) -> Outbound:
        envelope = new_event(
            id=self.plan.event_id(self.pid, "training", key, kind),
            type=type_,
            source=SOURCE,
            partnership=self.pid,
            subject=key,
            time=at,
            data=data.model_dump(mode="json"),
        )
        # One Kafka key for all of a partnership's platform events, so they stay in order:
        # an enrolment must not overtake the catalogue entry or the registration it needs.
        item = Outbound("training", envelope, f"{self.pid}-learning-platform")
        self._out.append((at, len(self._out), item))
        self.totals.events_by_type[type_] += 1
        return item

    def _catalogue(self) -> None:
        at = self._day(PLATFORM_OPENS)
        for course in COURSES:
            self._emit(
                "upsert",
                COURSE_UPSERTED,
                CourseUpserted(
                    course_id=course.course_id,
                    title=course.title,
                    theme=course.theme,
                    format=course.format,
                    multi_agency=True,
                ),
                at,
                course.course_id,
            )

    def _workforce(self) -> None:
        at = self._day(PLATFORM_OPENS)
        year = f"{self._start.year}-{(self._start.year + 1) % 100:02d}"
        for org, headcount in scaled(WORKFORCE, self.factor).items():
            record = WorkforceRecorded(
                organisation=org, financial_year=year, headcount=max(1, headcount)
            )
            self._emit("workforce", WORKFORCE_RECORDED, record, at, org.value)

    def _learners(self) -> dict[Organisation, list[tuple[str, datetime]]]:
        t, n = self.totals, 0
        out: dict[Organisation, list[tuple[str, datetime]]] = {}
        for org in Organisation:
            opens = self._day(ACCESS_FROM[org])
            latest = self._end - timedelta(days=20)
            out[org] = []
            for _ in range(self.tables.learners[org]):
                n += 1
                learner_id = f"{self.plan.ids(self.pid)}-l{n:06d}"  # unique per year
                registered_at = self._moment(opens, latest)
                self.registrations[learner_id] = self._emit(
                    "registered",
                    REGISTRATION_RECORDED,
                    RegistrationRecorded(
                        learner_id=learner_id,
                        organisation=org,
                        registered_at=registered_at,
                    ),
                    registered_at,
                    learner_id,
                )
                out[org].append((learner_id, registered_at))
                t.learners_registered += 1
                t.learners_by_organisation[org.value] += 1
            self.rng.shuffle(out[org])
        return out

    def _org_enrolments(self, org: Organisation, learners: list[tuple[str, datetime]]) -> None:
        tables = self.tables
        n_el = tables.elearning.get(org, 0)
        done = tables.elearning_completions.get(org, 0)
        # Round-robin over learners and courses: nobody enrols twice on one course.
        completing = set(self.rng.sample(range(n_el), done)) if n_el else set()
        for k in range(n_el):
            learner, registered = learners[k % len(learners)]
            course = ELEARNING[(k // len(learners)) % len(ELEARNING)]
            self._enrol(org, learner, registered, course, completes=k in completing)
        for course, table in (
            (CP_VIRTUAL, tables.cp_virtual),
            (NEGLECT_VIRTUAL, tables.neglect_virtual),
        ):
            # The report counts individuals enrolled on the virtual courses and gives no
            # completion figure for them: enrolments only, as in the training fixture.
            for k in range(table.get(org, 0)):
                learner, registered = learners[k]
                self._enrol(org, learner, registered, course, completes=False)

    def _enrol(
        self,
        org: Organisation,
        learner: str,
        registered: datetime,
        course: Course,
        *,
        completes: bool,
        refresher: bool = False,
    ) -> None:
        t, key = self.totals, learner
        enrolled_at = self._moment(registered + timedelta(hours=1), self._end - timedelta(days=2))
        kind = course.course_id
        self._emit(
            f"{kind}/enrolled",
            ENROLMENT_RECORDED,
            EnrolmentRecorded(
                learner_id=learner,
                course_id=course.course_id,
                organisation=org,
                enrolled_at=enrolled_at,
            ),
            enrolled_at,
            key,
        )
        t.enrolments += 1
        t.refresher_enrolments += refresher
        t.enrolments_by_course_and_organisation[f"{course.group}/{org.value}"] += 1
        t.enrolments_by_format[course.format.value] += 1
        if course.format is TrainingFormat.ELEARNING:
            finish = min(enrolled_at + timedelta(days=10), self._end - timedelta(hours=1))
            ends_at = self._moment(enrolled_at + timedelta(minutes=15), finish)
        else:
            earliest = max(enrolled_at + timedelta(days=1), self._day(VIRTUAL_SESSIONS_FROM))
            ends_at = self._moment(earliest, self._end - timedelta(days=1))
        if completes:
            self._emit(
                f"{kind}/completed",
                COMPLETION_RECORDED,
                CompletionRecorded(
                    learner_id=learner,
                    course_id=course.course_id,
                    organisation=org,
                    completed_at=ends_at,
                ),
                ends_at,
                key,
            )
            t.completions += 1
            t.refresher_completions += refresher
            t.completions_by_organisation[org.value] += 1
            t.completions_by_format[course.format.value] += 1
            if course.format is TrainingFormat.ELEARNING:
                self.completed.append((learner, org, course))


def _previous_label(plan: Plan) -> str | None:
    start = plan.start.year
    if start <= FIRST_PLATFORM_YEAR:
        return None
    label = f"{start - 1}-{start % 100:02d}"
    financial_year(label)  # validates
    return label


@functools.lru_cache(maxsize=8)
def _year_before(plan: Plan, partnership: str, factor: float) -> TrainingYear | None:
    """The partnership's training year before `plan`'s, generated again (it is deterministic)
    for its registrations and completions; None before the platform's second year."""
    label = _previous_label(plan)
    if label is None:
        return None
    before_plan = dataclasses.replace(plan, year=label)
    before = TrainingYear(before_plan, partnership, factor, Totals(before_plan))
    before._generate()
    return before
