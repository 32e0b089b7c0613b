"""The customer's code lists (PRODUCT.md, 'Code lists'), one definition for every service.

Values are the codes as they appear on the wire; labels are for tables and docs.
"""

from __future__ import annotations

from enum import StrEnum


class ContactSource(StrEnum):
    """DfE children-in-need census source of contact."""

    INDIVIDUAL_FAMILY = "1A"
    INDIVIDUAL_ACQUAINTANCE = "1B"
    INDIVIDUAL_SELF = "1C"
    INDIVIDUAL_OTHER = "1D"
    SCHOOLS = "2A"
    EDUCATION_SERVICES = "2B"
    GP = "3A"
    HEALTH_VISITOR = "3B"
    SCHOOL_NURSE = "3C"
    OTHER_PRIMARY_HEALTH = "3D"
    A_AND_E = "3E"
    OTHER_HEALTH = "3F"
    HOUSING = "4"
    LA_SOCIAL_CARE = "5A"
    OTHER_INTERNAL_LA = "5B"
    ANOTHER_LA = "5C"
    EARLY_HELP = "5D"
    POLICE = "6"
    OTHER_LEGAL_AGENCY = "7"
    OTHER = "8"
    ANONYMOUS = "9"
    UNKNOWN = "10"


class Sector(StrEnum):
    """The broad sector a source or an agency belongs to, for breakdowns."""

    INDIVIDUAL = "individual"
    EDUCATION = "education"
    HEALTH = "health"
    HOUSING = "housing"
    LOCAL_AUTHORITY = "local-authority"
    POLICE = "police"
    LEGAL = "legal"
    VOLUNTARY = "voluntary"
    OTHER = "other"


def sector_of_source(source: ContactSource) -> Sector:
    code = source.value
    if code.startswith("1"):
        return Sector.INDIVIDUAL if code != "10" else Sector.OTHER
    if code.startswith("2"):
        return Sector.EDUCATION
    if code.startswith("3"):
        return Sector.HEALTH
    if code.startswith("5"):
        return Sector.LOCAL_AUTHORITY
    return {
        "4": Sector.HOUSING,
        "6": Sector.POLICE,
        "7": Sector.LEGAL,
    }.get(code, Sector.OTHER)


class Factor(StrEnum):
    """DfE assessment factors (suffix A child, B parent/carer, C other household member)."""

    ALCOHOL_A = "1A"
    ALCOHOL_B = "1B"
    ALCOHOL_C = "1C"
    DRUGS_A = "2A"
    DRUGS_B = "2B"
    DRUGS_C = "2C"
    DOMESTIC_ABUSE_A = "3A"
    DOMESTIC_ABUSE_B = "3B"
    DOMESTIC_ABUSE_C = "3C"
    MENTAL_HEALTH_A = "4A"
    MENTAL_HEALTH_B = "4B"
    MENTAL_HEALTH_C = "4C"
    LEARNING_DISABILITY_A = "5A"
    LEARNING_DISABILITY_B = "5B"
    LEARNING_DISABILITY_C = "5C"
    PHYSICAL_DISABILITY_A = "6A"
    PHYSICAL_DISABILITY_B = "6B"
    PHYSICAL_DISABILITY_C = "6C"
    YOUNG_CARER = "7A"
    UNACCOMPANIED_ASYLUM_SEEKING = "9A"
    MISSING = "10A"
    CHILD_SEXUAL_EXPLOITATION = "11A"
    TRAFFICKING = "12A"
    GANGS = "13A"
    SOCIALLY_UNACCEPTABLE_BEHAVIOUR = "14A"
    SELF_HARM = "15A"
    NEGLECT = "16A"
    EMOTIONAL_ABUSE = "17A"
    PHYSICAL_ABUSE_B = "18B"
    PHYSICAL_ABUSE_C = "18C"
    SEXUAL_ABUSE_B = "19B"
    SEXUAL_ABUSE_C = "19C"
    OTHER = "20"
    NONE = "21"
    FGM = "22A"
    FAITH_OR_BELIEF = "23A"
    CHILD_CRIMINAL_EXPLOITATION = "24A"


class MashOutcome(StrEnum):
    NO_FURTHER_ACTION = "no-further-action"
    ADVICE_OR_SIGNPOSTING = "advice-or-signposting"
    EARLY_HELP = "early-help"
    SOCIAL_CARE_ASSESSMENT = "social-care-assessment"
    STRATEGY_DISCUSSION_S47 = "strategy-discussion-s47"


# A contact 'converts to a referral' when it is accepted for social care.
REFERRAL_OUTCOMES = frozenset(
    {MashOutcome.SOCIAL_CARE_ASSESSMENT, MashOutcome.STRATEGY_DISCUSSION_S47}
)


class AgeBand(StrEnum):
    """Age bands used in the annual report's rapid-review charts and for contacts."""

    UNBORN = "unborn"
    UNDER_1 = "under-1"
    AGE_1_4 = "1-4"
    AGE_5_9 = "5-9"
    AGE_10_15 = "10-15"
    AGE_16_17 = "16-17"


def age_band(years: int) -> AgeBand:
    if years < 1:
        return AgeBand.UNDER_1
    if years <= 4:
        return AgeBand.AGE_1_4
    if years <= 9:
        return AgeBand.AGE_5_9
    if years <= 15:
        return AgeBand.AGE_10_15
    return AgeBand.AGE_16_17


class ReviewKind(StrEnum):
    SIN = "sin"
    RAPID_REVIEW = "rapid-review"
    LCSPR = "lcspr"
    SCR = "scr"
    JOINT_DHR = "joint-dhr"
    MACA = "maca"
    MATA = "mata"
    SECTION_11_AUDIT = "section-11-audit"


class Theme(StrEnum):
    """Rapid review themes (seeds and the national panel)."""

    VULNERABLE_BABIES_NAI = "vulnerable-babies-nai"
    CHILD_SEXUAL_EXPLOITATION = "child-sexual-exploitation"
    CHILD_SEXUAL_ABUSE = "child-sexual-abuse"
    CRIMINAL_EXPLOITATION = "criminal-exploitation"
    NEGLECT = "neglect"
    DOMESTIC_ABUSE = "domestic-abuse"
    RISK_OUTSIDE_THE_HOME = "risk-outside-the-home"
    MENTAL_HEALTH = "mental-health"
    COMPLEX_NEEDS = "complex-needs"


class Agreement(StrEnum):
    AGREED = "agreed"
    PARTLY_AGREED = "partly-agreed"
    NOT_AGREED = "not-agreed"


class NotAgreedReason(StrEnum):
    COMMISSIONING = "commissioning"
    POLICY = "policy"
    OPERATIONAL = "operational"
    AFFORDABILITY = "affordability"


class ActionStatus(StrEnum):
    NOT_STARTED = "not-started"
    UNDERWAY = "underway"
    PARTIALLY = "partially"
    COMPLETE = "complete"


class Organisation(StrEnum):
    """Organisations / sectors in the annual report's training tables."""

    DISTRICTS = "districts"
    CCG_GPS = "ccg-gps"
    EARLY_YEARS = "early-years"
    EDUCATION = "education"
    COUNTY_COUNCIL = "county-council"
    ACUTE_TRUST = "acute-trust"
    COMMUNITY_HEALTH_TRUST = "community-health-trust"
    PROSPECTS = "prospects"
    VOLUNTARY = "voluntary"
    CONSTABULARY = "constabulary"


class TrainingFormat(StrEnum):
    ELEARNING = "elearning"
    VIRTUAL_CLASSROOM = "virtual-classroom"
    FACE_TO_FACE = "face-to-face"
    WEBINAR = "webinar"


class OwnerRole(StrEnum):
    """Who owns an action of a review's plan: a role (never a person), with the owner's agency
    alongside. The tracker's 'overdue by owner and agency' counts by these codes."""

    DIRECTOR = "director"
    DEPUTY_DIRECTOR = "deputy-director"
    ASSISTANT_DIRECTOR = "assistant-director"
    HEAD_OF_SERVICE = "head-of-service"
    HEAD_OF_QUALITY = "head-of-quality"
    SERVICE_MANAGER = "service-manager"
    TEAM_MANAGER = "team-manager"
    COMMISSIONING_LEAD = "commissioning-lead"
    SAFEGUARDING_LEAD = "safeguarding-lead"
    DESIGNATED_NURSE = "designated-nurse"
    DESIGNATED_DOCTOR = "designated-doctor"
    NAMED_PROFESSIONAL = "named-professional"
    VIRTUAL_SCHOOL_HEAD = "virtual-school-head"
    IRO_SERVICE = "iro-service"
    LADO = "lado"
    POLICE_SAFEGUARDING_LEAD = "police-safeguarding-lead"
    PARTNERSHIP_BUSINESS_MANAGER = "partnership-business-manager"
    INDEPENDENT_SCRUTINEER = "independent-scrutineer"
    PARTNERSHIP_GROUP = "partnership-group"
    OTHER = "other"
