"""The annual report 2020/21 figures the simulated year reproduces.

Copied from PRODUCT.md, 'Reference figures (annual report 2020/21)' (itself from the annual
report in seeds/000, 'Practice Development'). Shared code must not import from tests/, so the
figures live here too; a unit test checks they equal the training reference fixture's.
"""

from __future__ import annotations

from shared.codes import AgeBand, Organisation, Theme
from shared.contracts.assurance import ChildDeathCategory

Org = Organisation

# eLearning enrolments (courses started) by organisation; completion rate 80%.
ELEARNING_ENROLMENTS: dict[Organisation, int] = {
    Org.DISTRICTS: 14,
    Org.CCG_GPS: 51,
    Org.EARLY_YEARS: 1677,
    Org.EDUCATION: 7464,
    Org.COUNTY_COUNCIL: 284,
    Org.ACUTE_TRUST: 27,
    Org.COMMUNITY_HEALTH_TRUST: 94,
    Org.PROSPECTS: 14,
    Org.VOLUNTARY: 33,
}
ELEARNING_TOTAL = 9658
ELEARNING_COMPLETION_RATE = 0.80

# Child protection inter-agency virtual course: individuals enrolled, by organisation.
CP_VIRTUAL_INDIVIDUALS: dict[Organisation, int] = {
    Org.DISTRICTS: 0,
    Org.CCG_GPS: 143,
    Org.EARLY_YEARS: 104,
    Org.EDUCATION: 439,
    Org.COUNTY_COUNCIL: 8,
    Org.ACUTE_TRUST: 23,
    Org.COMMUNITY_HEALTH_TRUST: 158,
    Org.PROSPECTS: 26,
    Org.VOLUNTARY: 8,
}
CP_VIRTUAL_TOTAL = 909

# Child neglect virtual course: individuals enrolled, by organisation.
NEGLECT_VIRTUAL_INDIVIDUALS: dict[Organisation, int] = {
    Org.CCG_GPS: 2,
    Org.EARLY_YEARS: 14,
    Org.EDUCATION: 27,
    Org.COUNTY_COUNCIL: 5,
    Org.ACUTE_TRUST: 2,
    Org.COMMUNITY_HEALTH_TRUST: 6,
}
NEGLECT_VIRTUAL_TOTAL = 56

REGISTERED_USERS = 7200

# Assurance: "the annual Section 175 ... Safeguarding Audit was sent out to all educational
# settings ... (933 settings in total)", "100% return rate"; "There were a total of 32 child
# deaths ... 11 Unexpected ... 4 Expected ... 17 Neonatal"; "six cases for ALTE".
SECTION_175_SETTINGS = 933
CHILD_DEATHS: dict[ChildDeathCategory, int] = {
    ChildDeathCategory.UNEXPECTED: 11,
    ChildDeathCategory.EXPECTED: 4,
    ChildDeathCategory.NEONATAL: 17,
}
ALTE_REVIEWS = 6

# Reviews: nine rapid reviews, three of which (CSE) became one thematic LCSPR.
RAPID_REVIEWS = 9
RAPID_REVIEWS_INTO_THE_LCSPR = 3

# The nine rapid reviews' themes and age bands. The report's charts are images without
# figures; this mix follows its text (three CSE reviews, one child death by NAI, complex
# needs, exploitation) and is the simulator's own choice.
RAPID_REVIEW_CASES: tuple[tuple[Theme, AgeBand], ...] = (
    (Theme.CHILD_SEXUAL_EXPLOITATION, AgeBand.AGE_10_15),
    (Theme.CHILD_SEXUAL_EXPLOITATION, AgeBand.AGE_16_17),
    (Theme.CHILD_SEXUAL_EXPLOITATION, AgeBand.AGE_10_15),
    (Theme.VULNERABLE_BABIES_NAI, AgeBand.UNDER_1),
    (Theme.VULNERABLE_BABIES_NAI, AgeBand.UNDER_1),
    (Theme.NEGLECT, AgeBand.AGE_1_4),
    (Theme.CRIMINAL_EXPLOITATION, AgeBand.AGE_16_17),
    (Theme.COMPLEX_NEEDS, AgeBand.AGE_10_15),
    (Theme.MENTAL_HEALTH, AgeBand.AGE_16_17),
)
