"""Assurance figures: section 11 returns per agency against the four standards, section 175
returns of education settings, and the child death (CDOP) and ALTE review counts. Facts
(from reviews' canonical events), what each adds to a period, and each figure's one definition
(`glossary.define`) beside its code. Pure: no I/O.

Audit rounds and returns belong to a financial year (the audit's), not to a quarter or month:
like the workforce headcounts, they count in the year only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.reporting import facts as f
from services.reporting.facts import FactUpdate, Versioned, maps, placed
from services.reporting.glossary import define
from shared.contracts import assurance as a
from shared.events import Envelope

Doc = Mapping[str, Any]

_S11 = "The four s11 standards assessed for the S11 audit are:"
_S11_PROCESS = (
    "The section 11 process requires each agency to produce and submit a brief and succinct "
    "section 11 report. All agencies should address the four section 11 standards"
)
_S175 = (
    "the annual Section 175 (Education Act 2002) Safeguarding Audit was sent out to all "
    "educational settings ... (933 settings in total)"
)
_S175_RATE = "Completed the S175 audit of educational establishments with 100% return rate"
_DEATHS = (
    "There were a total of 32 child deaths in Gloucestershire between 1st April 2020 and 31st "
    "March 2021."
)
_ALTE = "Gloucestershire reviewed six cases for ALTE during the period"

S11_ASKED = define(
    "section_11_agencies_asked",
    "Agencies asked for a section 11 return for the year (the latest audit request).",
    "count",
    "arrangements",
    _S11_PROCESS,
    "assurance",
)
S11_RETURNS = define(
    "section_11_returns",
    "Agencies that made a section 11 return for the year (one per agency; a resubmission "
    "replaces the first).",
    "count",
    "arrangements",
    _S11_PROCESS,
    "assurance",
)
S11_RATE = define(
    "section_11_return_rate",
    "Section 11 returns as a share of the agencies asked.",
    "%",
    "arrangements",
    _S11_PROCESS,
    "assurance",
)
S11_STANDARDS_MET = define(
    "section_11_standards_met",
    "Standard ratings of 'met' across all returns (each return rates the four standards).",
    "count",
    "annual-report",
    _S11,
    "assurance",
)
S11_STANDARDS_RATED = define(
    "section_11_standards_rated",
    "Standard ratings given across all returns (four per return).",
    "count",
    "annual-report",
    _S11,
    "assurance",
)
S11_MET_RATE = define(
    "section_11_standards_met_rate",
    "Share of standard ratings that are 'met'.",
    "%",
    "annual-report",
    _S11,
    "assurance",
)
S11_BY_STANDARD = define(
    "section_11_ratings_by_standard",
    "Section 11 returns by standard (rows) and rating (columns).",
    "table",
    "annual-report",
    _S11,
    "breakdowns",
)
S11_BY_AGENCY = define(
    "section_11_ratings_by_agency",
    "Each returning agency's rating against each of the four standards.",
    "table",
    "annual-report",
    _S11,
    "breakdowns",
)
S175_ASKED = define(
    "section_175_settings_asked",
    "Education settings sent the section 175 audit for the year.",
    "count",
    "annual-report",
    _S175,
    "assurance",
)
S175_RETURNS = define(
    "section_175_returns",
    "Education settings that returned the section 175 audit for the year.",
    "count",
    "annual-report",
    _S175_RATE,
    "assurance",
)
S175_RATE = define(
    "section_175_return_rate",
    "Section 175 returns as a share of the settings asked.",
    "%",
    "annual-report",
    _S175_RATE,
    "assurance",
)
DEATHS = define(
    "child_deaths",
    "Child deaths notified to the CDOP, by date of notification.",
    "count",
    "annual-report",
    _DEATHS,
    "assurance",
)
DEATHS_BY_CATEGORY = define(
    "child_deaths_by_category",
    "Child deaths by category: unexpected, expected, neonatal.",
    "table",
    "annual-report",
    "11 Unexpected ... 4 Expected ... 17 Neonatal deaths.",
    "breakdowns",
)
ALTE = define(
    "alte_reviews",
    "Acute life-threatening event (ALTE) cases reviewed, by date of review.",
    "count",
    "annual-report",
    _ALTE,
    "assurance",
)
ALTE_TO_RR = define(
    "alte_reviews_to_rapid_review",
    "ALTE reviews that met the threshold for a rapid review.",
    "count",
    "annual-report",
    "None met the threshold for a Rapid Review",
    "assurance",
)
S11_TABLE = define(
    "section-11-returns",
    "Section 11 returns: ratings by standard (disclosure-controlled counts), each agency's "
    "ratings, and the return rate.",
    "table",
    "annual-report",
    _S11,
    "tables",
)
DEATHS_TABLE = define(
    "child-deaths-by-category",
    "Child deaths by category (disclosure-controlled).",
    "table",
    "annual-report",
    _DEATHS,
    "tables",
)

COUNTS = (
    S11_ASKED,
    S11_RETURNS,
    S11_STANDARDS_MET,
    S11_STANDARDS_RATED,
    S175_ASKED,
    S175_RETURNS,
    DEATHS,
    ALTE,
    ALTE_TO_RR,
)
RATES = {
    S11_RATE: (S11_RETURNS, S11_ASKED),
    S11_MET_RATE: (S11_STANDARDS_MET, S11_STANDARDS_RATED),
    S175_RATE: (S175_RETURNS, S175_ASKED),
}


# ---------------------------------------------------------------------------------------------
# Facts


def _in_year(fy: str) -> dict[str, Any]:
    return {"fy": fy}  # the year only: no quarter, no month


@maps(a.AUDIT_OPENED, a.AuditOpened)
def _audit(e: Envelope, d: a.AuditOpened) -> list[FactUpdate]:
    latest = {"asked": d.asked, "audit_id": d.audit_id}
    return [
        FactUpdate(
            f.AUDITS,
            f"{d.audit}|{d.financial_year}",
            {"audit": str(d.audit), **_in_year(d.financial_year)},
            Versioned("request", f"{d.requested_on.isoformat()}|{e.id}", latest),
        )
    ]


@maps(a.SECTION_11_RETURN_RECORDED, a.Section11ReturnRecorded)
def _s11(e: Envelope, d: a.Section11ReturnRecorded) -> list[FactUpdate]:
    ratings = {str(r.standard): str(r.rating) for r in d.ratings}
    return [
        FactUpdate(
            f.AUDIT_RETURNS,
            f"{a.AssuranceAudit.SECTION_11}|{d.financial_year}|{d.agency}",
            {
                "audit": a.AssuranceAudit.SECTION_11.value,
                "agency": d.agency,
                **_in_year(d.financial_year),
            },
            Versioned("return", f"{d.returned_on.isoformat()}|{e.id}", {"ratings": ratings}),
        )
    ]


@maps(a.SECTION_175_RETURN_RECORDED, a.Section175ReturnRecorded)
def _s175(e: Envelope, d: a.Section175ReturnRecorded) -> list[FactUpdate]:
    return [
        FactUpdate(
            f.AUDIT_RETURNS,
            f"{a.AssuranceAudit.SECTION_175}|{d.financial_year}|{d.setting_id}",
            {"audit": a.AssuranceAudit.SECTION_175.value, **_in_year(d.financial_year)},
        )
    ]


@maps(a.CHILD_DEATH_RECORDED, a.ChildDeathRecorded)
def _death(e: Envelope, d: a.ChildDeathRecorded) -> list[FactUpdate]:
    return [
        FactUpdate(
            f.CDOP_CASES,
            f"death|{d.case_id}",
            {"case": "death", **placed(d.notified_on)},
            Versioned(
                "category", f"{d.recorded_on.isoformat()}|{e.id}", {"category": str(d.category)}
            ),
        )
    ]


@maps(a.ALTE_REVIEW_RECORDED, a.AlteReviewRecorded)
def _alte(e: Envelope, d: a.AlteReviewRecorded) -> list[FactUpdate]:
    return [
        FactUpdate(
            f.CDOP_CASES,
            f"alte|{d.case_id}",
            {"case": "alte", **placed(d.reviewed_on)},
            Versioned(
                "review", f"{d.recorded_on.isoformat()}|{e.id}", {"rapid_review": d.rapid_review}
            ),
        )
    ]


# ---------------------------------------------------------------------------------------------
# Contributions (`p` is a period accumulator of `metrics`)


def audit(p: Any, d: Doc) -> None:
    asked = int(d.get("asked") or 0)
    if d.get("audit") == a.AssuranceAudit.SECTION_11:
        p.counts[S11_ASKED] += asked
    elif d.get("audit") == a.AssuranceAudit.SECTION_175:
        p.counts[S175_ASKED] += asked


def audit_return(p: Any, d: Doc) -> None:
    if d.get("audit") == a.AssuranceAudit.SECTION_175:
        p.count(S175_RETURNS)
        return
    p.count(S11_RETURNS)
    agency = d.get("agency")
    for standard, rating in (d.get("ratings") or {}).items():
        p.count(S11_STANDARDS_RATED)
        p.count(S11_STANDARDS_MET, rating == a.Section11Rating.MET)
        p.breakdown2(S11_BY_STANDARD, standard, rating)
        if agency is not None:
            p.by2[S11_BY_AGENCY][str(agency)][str(standard)] = rating


def cdop_case(p: Any, d: Doc) -> None:
    if d.get("case") == "death":
        p.count(DEATHS)
        p.breakdown(DEATHS_BY_CATEGORY, d.get("category") or "not-recorded")
    elif d.get("case") == "alte":
        p.count(ALTE)
        p.count(ALTE_TO_RR, d.get("rapid_review"))


CONTRIBUTIONS = {f.AUDITS: audit, f.AUDIT_RETURNS: audit_return, f.CDOP_CASES: cdop_case}
