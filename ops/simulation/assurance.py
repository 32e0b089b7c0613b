"""The assurance year: the section 11 audit of partner agencies and the section 175 audit of
education settings (each sent out, then returned), child deaths notified to the CDOP and ALTE
cases reviewed, as the business unit's commands to reviews (the assurance owner).

The reference partnership's year at --scale 1 is the annual report 2020/21's: "933 settings in
total", "100% return rate"; "32 child deaths ... 11 Unexpected ... 4 Expected ... 17
Neonatal"; "six cases for ALTE ... None met the threshold for a Rapid Review". Settings and
cases scale with the partnership's size (at least one of each, so a small year still shows
every figure); the section 11 agencies are the partnership's partners, whatever its size, and
most of them rate as meeting most standards ("individual agencies compliance with s11 duties
was good"). In other years and partnerships a few settings and agencies do not return.

Audit and case ids are unique per partnership and year (`Plan.ids`); agencies and settings are
the same ones every year (a school keeps its code), and reporting counts their returns per
financial year. Payloads are built only from the registered contract models.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from ops.simulation import reference
from ops.simulation.model import Outbound, PartnershipTotals, Plan, Totals
from ops.simulation.reviews import SOURCE
from shared.contracts import EventData
from shared.contracts.assurance import (
    ALTE_REVIEW_SUBMITTED,
    AUDIT_REQUESTED,
    CHILD_DEATH_NOTIFIED,
    SECTION_11_RETURN_SUBMITTED,
    SECTION_175_RETURN_SUBMITTED,
    AssuranceAudit,
    NotifyChildDeath,
    RequestAudit,
    Section11Rating,
    Section11Standard,
    StandardRating,
    SubmitAlteReview,
    SubmitSection11Return,
    SubmitSection175Return,
)
from shared.events import new_event
from shared.workdays import LONDON, is_working_day

# The partner agencies asked for a section 11 return (the partnership's statutory and
# relevant agencies); each sends it as `<partnership>-<code>`.
SECTION_11_AGENCIES = (
    "gcc",
    "constabulary",
    "icb",
    "acute-trust",
    "community-health-trust",
    "mental-health-trust",
    "probation",
    "youth-justice",
    "districts",
    "prospects",
    "fire-and-rescue",
    "voluntary-sector",
)
SECTION_11_NOT_RETURNED = 0.08  # outside the reference year
SECTION_175_NOT_RETURNED = 0.04  # outside the reference year: the reference returned 100%
_RATINGS = (Section11Rating.MET, Section11Rating.PARTLY_MET, Section11Rating.NOT_MET)
_RATING_WEIGHTS = (80, 17, 3)
REFERENCE_YEAR = "2020-21"


def scaled(n: int, size: float) -> int:
    """`n` at the reference scale, for a partnership of `size` (scale x volume): at least one."""
    return max(1, round(n * size))


class AssuranceYear:
    """One partnership's assurance year, as reviews inbound commands in time order."""

    def __init__(self, plan: Plan, partnership: str, size: float, totals: Totals) -> None:
        self.plan = plan
        self.pid = partnership
        self.size = size  # scale x the partnership's volume
        self.rng = plan.rng(partnership, "assurance")  # its own stream: reviews are unchanged
        self.ids = plan.ids(partnership)
        self.totals: PartnershipTotals = totals.of(partnership)
        # The seeds' figures exactly: the first partnership in the annual report's year.
        self.reference = partnership == plan.partnership_ids[0] and plan.year == REFERENCE_YEAR
        self._out: list[tuple[datetime, int, Outbound]] = []

    def __iter__(self) -> Iterator[Outbound]:
        self._section_11()
        self._section_175()
        self._child_deaths()
        self._alte_reviews()
        for _, _, item in sorted(self._out, key=lambda x: (x[0], x[1])):
            yield item

    # -- helpers ----------------------------------------------------------------------------

    def _working_day(self, offset: int) -> date:
        """The first working day on or after `offset` days into the year."""
        day = self.plan.start + timedelta(days=offset)
        while not is_working_day(day):
            day += timedelta(days=1)
        return day

    def _emit(
        self,
        kind: str,
        type_: str,
        data: EventData,
        on: date,
        subject: str,
        source: str = SOURCE,
    ) -> None:
        seq = len(self._out)
        at = datetime.combine(on, time(11, 0), LONDON).astimezone(UTC)
        at += timedelta(seconds=seq % 3600)
        envelope = new_event(
            id=self.plan.event_id(self.pid, "assurance", subject, kind),
            type=type_,
            source=source,
            partnership=self.pid,
            subject=subject,
            time=at,
            data=data.model_dump(mode="json"),
        )
        # The same Kafka key as the partnership's other reviews commands (one partition, in
        # order); the business unit (no Kafka producer) posts them over HTTP with --via both.
        item = Outbound("reviews", envelope, f"{self.pid}-reviews", kafka_sender=False)
        self._out.append((at, seq, item))
        self.totals.events_by_type[type_] += 1

    def _request(self, audit: AssuranceAudit, suffix: str, on: date, asked: int) -> None:
        audit_id = f"{self.ids}-{suffix}"
        request = RequestAudit(
            audit_id=audit_id,
            audit=audit,
            financial_year=self.plan.year,
            requested_on=on,
            asked=asked,
        )
        self._emit("requested", AUDIT_REQUESTED, request, on, audit_id)

    # -- the audits ---------------------------------------------------------------------------

    def _section_11(self) -> None:
        """Sent out in the autumn; each agency returns within three months, rated against
        the four standards."""
        rng, t = self.rng, self.totals
        requested = self._working_day(rng.randint(150, 170))
        agencies = SECTION_11_AGENCIES
        self._request(AssuranceAudit.SECTION_11, "s11", requested, len(agencies))
        t.section_11_agencies_asked += len(agencies)
        for code in agencies:
            agency = f"{self.pid}-{code}"
            if not self.reference and rng.random() < SECTION_11_NOT_RETURNED:
                continue
            ratings = [
                StandardRating(standard=standard, rating=rng.choices(_RATINGS, _RATING_WEIGHTS)[0])
                for standard in Section11Standard
            ]
            on = requested + timedelta(days=rng.randint(14, 90))
            s11 = SubmitSection11Return(
                agency=agency, financial_year=self.plan.year, returned_on=on, ratings=ratings
            )
            # Each agency makes its own return (reviews checks the return's agency is its
            # sender's).
            self._emit("returned", SECTION_11_RETURN_SUBMITTED, s11, on, agency, f"agency/{agency}")
            t.section_11_returns += 1
            t.section_11_standards_rated += len(ratings)
            t.section_11_standards_met += sum(r.rating is Section11Rating.MET for r in ratings)

    def _section_175(self) -> None:
        """'In December 2020, the annual Section 175 ... Safeguarding Audit was sent out to all
        educational settings ... (933 settings in total)'; returned within ten weeks."""
        rng, t = self.rng, self.totals
        settings = scaled(reference.SECTION_175_SETTINGS, self.size)
        requested = self._working_day(rng.randint(245, 255))  # early December
        self._request(AssuranceAudit.SECTION_175, "s175", requested, settings)
        t.section_175_settings_asked += settings
        for n in range(1, settings + 1):
            if not self.reference and rng.random() < SECTION_175_NOT_RETURNED:
                continue
            setting_id = f"{self.pid}-setting-{n:04d}"
            on = requested + timedelta(days=rng.randint(3, 70))
            s175 = SubmitSection175Return(
                setting_id=setting_id, financial_year=self.plan.year, returned_on=on
            )
            self._emit("returned", SECTION_175_RETURN_SUBMITTED, s175, on, setting_id)
            t.section_175_returns += 1

    # -- child deaths and ALTE ------------------------------------------------------------

    def _child_deaths(self) -> None:
        rng, t = self.rng, self.totals
        cases = [
            category
            for category, n in reference.CHILD_DEATHS.items()
            for _ in range(scaled(n, self.size))
        ]
        days = sorted(rng.randint(0, 364) for _ in cases)
        for k, (category, offset) in enumerate(zip(cases, days, strict=True), start=1):
            case_id = f"{self.ids}-cd-{k:03d}"
            on = self.plan.start + timedelta(days=offset)
            death = NotifyChildDeath(case_id=case_id, notified_on=on, category=category)
            self._emit("notified", CHILD_DEATH_NOTIFIED, death, on, case_id)
            t.child_deaths += 1
            t.child_deaths_by_category[category.value] += 1

    def _alte_reviews(self) -> None:
        rng, t = self.rng, self.totals
        n = scaled(reference.ALTE_REVIEWS, self.size)
        for k, offset in enumerate(sorted(rng.randint(0, 364) for _ in range(n)), start=1):
            case_id = f"{self.ids}-alte-{k:03d}"
            on = self.plan.start + timedelta(days=offset)
            # 'None met the threshold for a Rapid Review' (the reference year).
            to_rapid_review = not self.reference and rng.random() < 0.1
            alte = SubmitAlteReview(case_id=case_id, reviewed_on=on, rapid_review=to_rapid_review)
            self._emit("reviewed", ALTE_REVIEW_SUBMITTED, alte, on, case_id)
            t.alte_reviews += 1
            t.alte_reviews_to_rapid_review += to_rapid_review
