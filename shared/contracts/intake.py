"""Intake (the front door, MASH) events: what agencies and the MASH submit, and the canonical
events intake publishes for reporting and any other subscriber.

Inbound events arrive on `intake_inbound` (Kafka) or over HTTP; every one names the contact it
is about in `contact_id` (when the envelope has a `subject`, it must be the same id). Canonical
events go to `intake_events` with `subject` = contact id and `source` = "pulse/intake"; their
ids are derived from the inbound event that caused them, so a re-published event is the same
event. Times are timezone-aware; working time follows England and Wales bank holidays.

Corrections: a second decision, early-help allocation, VIST, Encompass notification or police
incident record for a contact is accepted when it carries a `correction` (a reason code from a
closed list and when it was made; never free text). The newest correction is the current
version: intake re-publishes the canonical event from it with a higher `sequence`, and
subscribers keep the event with the highest `sequence`. The contact's timeline keeps every
version.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, model_validator

from shared.codes import AgeBand, ContactSource, Factor, MashOutcome, Sector
from shared.contracts import EventData, event
from shared.inbound_policy import ChildRef, Identifier, OccurredAt

SOURCE = "pulse/intake"

# Inbound
SUBMITTED = "pulse.intake.contact.submitted.v1"
DECISION_RECORDED = "pulse.intake.decision.recorded.v1"
EARLY_HELP_ALLOCATION_RECORDED = "pulse.intake.early-help-allocation.recorded.v1"
VIST_SUBMITTED = "pulse.intake.vist.submitted.v1"
ENCOMPASS_NOTIFICATION_SENT = "pulse.intake.encompass-notification.sent.v1"
DA_INCIDENT_ATTENDED = "pulse.intake.domestic-abuse-incident.attended.v1"

# Canonical
RECEIVED = "pulse.intake.contact.received.v1"
ACKNOWLEDGED = "pulse.intake.contact.acknowledged.v1"
DECIDED = "pulse.intake.contact.decided.v1"
DECISION_OVERDUE = "pulse.intake.decision.overdue.v1"
VIST_RECORDED = "pulse.intake.vist.recorded.v1"
ENCOMPASS_NOTIFIED = "pulse.intake.encompass.notified.v1"
ENCOMPASS_DUE = "pulse.intake.encompass.due.v1"
EARLY_HELP_ALLOCATED = "pulse.intake.early-help.allocated.v1"

# Identifiers are codes, never free text: the closed format of `shared.inbound_policy`
# (letters, digits and a few separators; never a date, an NHS number or a name).
ContactId = Annotated[
    Identifier,
    Field(
        description="The contact's id, unique within the partnership (letters, digits, _ . : -; "
        "never a date, an NHS number or a name).",
    ),
]
AgencyCode = Annotated[
    Identifier,
    Field(description="Code of the sending agency (e.g. 'glos-police', 'ghnhsft-ed')."),
]
Time = AwareDatetime
# Inbound times: between 2000-01-01 and the end of tomorrow.
InTime = OccurredAt


class Channel(StrEnum):
    """How the contact reached the front door."""

    MARF = "marf"
    VIST = "vist"
    PHONE = "phone"
    EMAIL = "email"
    OTHER = "other"


class Consent(StrEnum):
    """Whether the family's consent to share the contact was obtained."""

    OBTAINED = "obtained"
    NOT_OBTAINED = "not-obtained"
    DISPENSED_WITH = "dispensed-with"


class ConsentReason(StrEnum):
    """Why consent was not obtained or was dispensed with (a code, so no free text can carry
    personal data)."""

    RISK_OF_SIGNIFICANT_HARM = "risk-of-significant-harm"
    WOULD_INCREASE_RISK = "would-increase-risk"
    WOULD_PREJUDICE_ENQUIRY = "would-prejudice-enquiry"
    FAMILY_NOT_CONTACTABLE = "family-not-contactable"
    FAMILY_REFUSED = "family-refused"
    NOT_SOUGHT = "not-sought"
    OTHER = "other"


class CorrectionReason(StrEnum):
    """Why a record was corrected: a closed list, so no free text (which could carry a name)
    ever reaches a canonical topic."""

    KEYING_ERROR = "keying-error"
    WRONG_TIME = "wrong-time"
    WRONG_OUTCOME = "wrong-outcome"
    WRONG_LEVEL = "wrong-level"
    NEW_INFORMATION = "new-information"
    MANAGEMENT_OVERSIGHT = "management-oversight"
    SYSTEM_CORRECTION = "system-correction"
    OTHER = "other"


class Correction(EventData):
    """Marks an inbound record as a correction of the contact's earlier one of the same kind."""

    reason: CorrectionReason = Field(description="Why the earlier record was wrong (a code).")
    corrected_at: InTime = Field(
        description="When the correction was made; of two corrections the later one is current."
    )


_CORRECTION = Field(
    default=None,
    description="Present when this record corrects the contact's earlier one of the same kind "
    "(which it then supersedes); absent on the first record.",
)


# ---------------------------------------------------------------------------------------------
# Inbound


@event(
    SUBMITTED,
    service="intake",
    direction="inbound",
    topic="intake_inbound",
    summary="An agency submits a contact about a child to the front door (a MARF, a police "
    "VIST, a phone call). Intake stores it and acknowledges it at once.",
)
class ContactSubmitted(EventData):
    """A contact about a child. Never a name, date of birth, address or NHS number: the child
    is the sending agency's pseudonymous reference, and age is in years or a band."""

    contact_id: ContactId
    agency: AgencyCode
    sector: Sector | None = Field(
        default=None,
        description="Sector of the sending agency; when omitted, the sector of `source`.",
    )
    source: ContactSource = Field(description="DfE children-in-need census source of contact.")
    channel: Channel = Field(description="How the contact was sent.")
    received_at: InTime = Field(description="When the front door received the contact.")
    child_ref: ChildRef = Field(
        description="The sending agency's pseudonymous reference for the child: an opaque "
        "reference whose last segment has digits (e.g. 'glos-police-004512'); never a name, "
        "a date of birth or an NHS number.",
    )
    age_years: int | None = Field(
        default=None, ge=0, le=17, description="The child's age in whole years, if known."
    )
    age_band: AgeBand | None = Field(
        default=None, description="The child's age band, when the age in years is not given."
    )
    unborn: bool = Field(default=False, description="The contact is about an unborn child.")
    factors: list[Factor] = Field(
        default_factory=list, max_length=40, description="DfE assessment factors identified."
    )
    consent: Consent = Field(description="Whether the family's consent was obtained.")
    consent_reason: ConsentReason | None = Field(
        default=None,
        description="Why consent was not obtained or dispensed with; required in those cases.",
    )
    wishes_and_feelings_recorded: bool = Field(
        description="Whether the child's wishes and feelings are recorded in the contact."
    )
    acknowledged_at: InTime | None = Field(
        default=None,
        description="When the contact was acknowledged to its sender, for a contact loaded "
        "after the day by one of the partnership's trusted systems (a back-load, the "
        "simulator): only on the bare inbound topic or over HTTP with a service-role key, and "
        "refused from an agency, whose contacts intake acknowledges itself when it stores "
        "them. Not before `received_at` nor in the future.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> ContactSubmitted:
        if self.acknowledged_at is not None and self.acknowledged_at < self.received_at:
            raise ValueError("acknowledged_at: must not be before received_at")
        if self.unborn:
            if self.age_years is not None:
                raise ValueError("age_years: must be absent for an unborn child")
            if self.age_band not in (None, AgeBand.UNBORN):
                raise ValueError("age_band: must be 'unborn' (or absent) for an unborn child")
        else:
            if self.age_years is None and self.age_band is None:
                raise ValueError("age_years or age_band: one is required")
            if self.age_band is AgeBand.UNBORN:
                raise ValueError("age_band: 'unborn' needs unborn=true")
        if self.consent is Consent.OBTAINED and self.consent_reason is not None:
            raise ValueError("consent_reason: only given when consent was not obtained")
        if self.consent is not Consent.OBTAINED and self.consent_reason is None:
            raise ValueError(f"consent_reason: required when consent is {self.consent.value}")
        return self


@event(
    DECISION_RECORDED,
    service="intake",
    direction="inbound",
    topic="intake_inbound",
    summary="The MASH records its decision on a contact: outcome and level of intervention. "
    "May arrive before the contact itself.",
)
class DecisionRecorded(EventData):
    """The MASH decision on a contact."""

    contact_id: ContactId
    outcome: MashOutcome = Field(description="The pathway decided.")
    level: int = Field(
        ge=1,
        le=4,
        description="Level of intervention: 1 universal, 2 additional, 3 intensive, 4 specialist.",
    )
    decided_at: InTime = Field(description="When the decision was made.")
    correction: Correction | None = _CORRECTION


@event(
    EARLY_HELP_ALLOCATION_RECORDED,
    service="intake",
    direction="inbound",
    topic="intake_inbound",
    summary="A family stepped across to early help is allocated a family support worker.",
)
class EarlyHelpAllocationRecorded(EventData):
    """Allocation of early help after a MASH decision."""

    contact_id: ContactId
    allocated_at: InTime = Field(description="When a family support worker was allocated.")
    correction: Correction | None = _CORRECTION


@event(
    VIST_SUBMITTED,
    service="intake",
    direction="inbound",
    topic="intake_inbound",
    summary="Police submit a vulnerability identification screening tool (VIST) about a "
    "child after an incident.",
)
class VistSubmitted(EventData):
    """A police VIST: the incident and when the form was submitted."""

    contact_id: ContactId
    incident_at: InTime = Field(description="When the incident involving the child happened.")
    submitted_at: InTime = Field(description="When the VIST was submitted to the front door.")
    correction: Correction | None = _CORRECTION


@event(
    ENCOMPASS_NOTIFICATION_SENT,
    service="intake",
    direction="inbound",
    topic="intake_inbound",
    summary="Police notify a child's school of a domestic abuse incident (Operation Encompass).",
)
class EncompassNotificationSent(EventData):
    """An Operation Encompass notification to the child's school."""

    contact_id: ContactId
    incident_at: InTime = Field(description="When the domestic abuse incident happened.")
    attended_at: InTime | None = Field(
        default=None,
        description="When police attended; the clock starts then (at the incident when absent, "
        "or at the police incident record's attendance when that is known).",
    )
    notified_at: InTime = Field(description="When the school was notified.")
    correction: Correction | None = _CORRECTION


@event(
    DA_INCIDENT_ATTENDED,
    service="intake",
    direction="inbound",
    topic="intake_inbound",
    summary="Police attended a domestic abuse incident with a child of school or early-years "
    "age present: the child's school or setting is to be told under Operation Encompass. "
    "One per child; what notifications are counted against, so one never sent shows.",
)
class DomesticAbuseIncidentAttended(EventData):
    """A police domestic abuse incident with a child present, from the police incident log."""

    contact_id: ContactId
    incident_at: InTime = Field(description="When the domestic abuse incident happened.")
    attended_at: InTime = Field(
        description="When police attended; the Operation Encompass clock starts then."
    )
    correction: Correction | None = _CORRECTION

    @model_validator(mode="after")
    def _attended_after_incident(self) -> DomesticAbuseIncidentAttended:
        if self.attended_at < self.incident_at:
            raise ValueError("attended_at: before incident_at")
        return self


# ---------------------------------------------------------------------------------------------
# Canonical


class CorrectionNote(EventData):
    """On a canonical event derived from a corrected record: why, when and by which agency."""

    reason: CorrectionReason = Field(description="Why the earlier record was wrong (a code).")
    corrected_at: Time = Field(description="When the correction was made.")
    corrected_by: AgencyCode | None = Field(
        description="The agency that sent the correction (from the event's source)."
    )


_SEQUENCE = Field(
    default=1,
    ge=1,
    description="Correction sequence: rises each time a record this event derives from is "
    "corrected; of events about the same contact and type, the highest is current.",
)
_CORRECTION_NOTE = Field(
    default=None, description="Present when the event derives from a corrected record."
)


class _ContactFacts(EventData):
    """What every contact-level canonical event repeats, so reporting can break any metric
    down without asking intake."""

    contact_id: ContactId
    agency: AgencyCode
    sector: Sector = Field(description="Sector of the sending agency.")
    source: ContactSource = Field(description="DfE source of contact.")
    channel: Channel = Field(description="How the contact was sent.")
    age_band: AgeBand = Field(description="The child's age band ('unborn' for an unborn child).")
    received_at: Time = Field(description="When the front door received the contact.")


@event(
    RECEIVED,
    service="intake",
    direction="canonical",
    topic="intake_events",
    summary="Intake has stored a contact (the customer's 'contact received').",
)
class ContactReceived(_ContactFacts):
    """A contact as stored; `id` derives from the submission's event id."""

    child_ref: str = Field(description="The sending agency's pseudonymous child reference.")
    unborn: bool = Field(description="The contact is about an unborn child.")
    factors: list[Factor] = Field(description="DfE assessment factors identified.")
    consent: Consent = Field(description="Whether the family's consent was obtained.")
    consent_reason: ConsentReason | None = Field(
        description="Why consent was not obtained or dispensed with."
    )
    wishes_and_feelings_recorded: bool = Field(
        description="Whether the child's wishes and feelings are recorded."
    )


@event(
    ACKNOWLEDGED,
    service="intake",
    direction="canonical",
    topic="intake_events",
    summary="Intake acknowledged a contact to its sender, at the moment it stored it.",
)
class ContactAcknowledged(EventData):
    """The acknowledgement of a contact; target: at once."""

    contact_id: ContactId
    agency: AgencyCode
    sector: Sector = Field(description="Sector of the sending agency.")
    source: ContactSource = Field(description="DfE source of contact.")
    channel: Channel = Field(description="How the contact was sent.")
    received_at: Time = Field(description="When the front door received the contact.")
    acknowledged_at: Time = Field(description="When intake stored and acknowledged it.")
    acknowledgement_seconds: float = Field(
        ge=0, description="Seconds from receipt to acknowledgement (0 when clocks disagree)."
    )


@event(
    DECIDED,
    service="intake",
    direction="canonical",
    topic="intake_events",
    summary="The MASH decided a contact; carries the working time it took against the "
    "1-working-day target. Emitted once both the contact and the decision are known.",
)
class ContactDecided(_ContactFacts):
    """A decided contact; `id` derives from the decision's event id."""

    outcome: MashOutcome = Field(description="The pathway decided.")
    level: int = Field(ge=1, le=4, description="Level of intervention (1-4).")
    converted_to_referral: bool = Field(
        description="The contact became a referral (accepted for social care: assessment or "
        "strategy discussion / S47)."
    )
    decided_at: Time = Field(description="When the decision was made.")
    deadline: Time = Field(description="End of the first working day after receipt.")
    within_target: bool = Field(description="Decided within 1 working day of receipt.")
    working_days_taken: int = Field(
        ge=0,
        description="Working days after the day of receipt up to the day of decision "
        "(0 = decided the same day).",
    )
    working_hours_taken: float = Field(
        ge=0, description="Hours from receipt to decision, not counting weekends and bank holidays."
    )
    wishes_and_feelings_recorded: bool = Field(
        description="Whether the child's wishes and feelings are recorded in the contact."
    )
    sequence: int = _SEQUENCE
    correction: CorrectionNote | None = _CORRECTION_NOTE


@event(
    DECISION_OVERDUE,
    service="intake",
    direction="canonical",
    topic="intake_events",
    summary="A contact is still undecided one working day after receipt. Emitted once per "
    "contact by a scheduled sweep; a later 'contact decided' clears it.",
)
class DecisionOverdue(_ContactFacts):
    """An overdue MASH decision; `id` derives from the submission's event id, so every sweep
    and every instance publishes the same event."""

    deadline: Time = Field(description="The deadline that passed (also the event's time).")


@event(
    VIST_RECORDED,
    service="intake",
    direction="canonical",
    topic="intake_events",
    summary="A police VIST was recorded, with its delay from the incident (target: the same day).",
)
class VistRecorded(EventData):
    """A recorded VIST and its delay."""

    contact_id: ContactId
    incident_at: Time = Field(description="When the incident happened.")
    submitted_at: Time = Field(description="When the VIST was submitted.")
    same_day: bool = Field(description="Submitted on the day of the incident (London time).")
    delay_days: int = Field(
        ge=0, description="Calendar days from the incident's date to the submission's date."
    )
    delay_hours: float = Field(ge=0, description="Hours from the incident to submission.")
    sequence: int = _SEQUENCE
    correction: CorrectionNote | None = _CORRECTION_NOTE


@event(
    ENCOMPASS_NOTIFIED,
    service="intake",
    direction="canonical",
    topic="intake_events",
    summary="A school was notified under Operation Encompass; on time when before the start "
    "of the next school session after police attended (the partnership's school calendar: "
    "weekends, bank holidays, school holidays and INSET days are not school days).",
)
class EncompassNotified(EventData):
    """An Operation Encompass notification and whether it was on time."""

    contact_id: ContactId
    incident_at: Time = Field(description="When the domestic abuse incident happened.")
    attended_at: Time = Field(description="When police attended (the clock's start).")
    notified_at: Time = Field(description="When the school was notified.")
    deadline: Time = Field(description="Start of the next school session after police attended.")
    on_time: bool = Field(description="Notified before the deadline.")
    hours_after_incident: float = Field(ge=0, description="Hours from incident to notice.")
    incident_recorded: bool = Field(
        description="The police incident record is known (`encompass due`): incident and "
        "attendance times are taken from it."
    )
    sequence: int = _SEQUENCE
    correction: CorrectionNote | None = _CORRECTION_NOTE


@event(
    ENCOMPASS_DUE,
    service="intake",
    direction="canonical",
    topic="intake_events",
    summary="Police attended a domestic abuse incident with a child present: the child's "
    "school is to be told by `deadline` (Operation Encompass). Counted against notifications, "
    "so an incident never notified shows.",
)
class EncompassDue(EventData):
    """An Operation Encompass notification that is due."""

    contact_id: ContactId
    incident_at: Time = Field(description="When the domestic abuse incident happened.")
    attended_at: Time = Field(description="When police attended (the clock's start).")
    deadline: Time = Field(description="Start of the next school session after police attended.")
    sequence: int = _SEQUENCE
    correction: CorrectionNote | None = _CORRECTION_NOTE


@event(
    EARLY_HELP_ALLOCATED,
    service="intake",
    direction="canonical",
    topic="intake_events",
    summary="A family was allocated early help; carries the wait since the MASH decision. "
    "Emitted once the contact, its decision and the allocation are all known.",
)
class EarlyHelpAllocated(_ContactFacts):
    """Early-help allocation and the family's wait."""

    outcome: MashOutcome = Field(description="The MASH decision's outcome.")
    decided_at: Time = Field(description="When the MASH decided.")
    allocated_at: Time = Field(description="When a family support worker was allocated.")
    wait_days: int = Field(ge=0, description="Calendar days from decision to allocation.")
    wait_working_days: int = Field(ge=0, description="Working days from decision to allocation.")
    sequence: int = _SEQUENCE
    correction: CorrectionNote | None = _CORRECTION_NOTE


# contracts-ready
