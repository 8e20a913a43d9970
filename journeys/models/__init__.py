from journeys.models.audit import AuditEvent
from journeys.models.calendar import CalendarLink
from journeys.models.grants import CaregiverGrant
from journeys.models.invitations import Invitation
from journeys.models.journeys import (
    ChecklistItem,
    Journey,
    JourneyStatus,
    Stage,
    StageEvent,
    StageStatus,
)
from journeys.models.notes import Note
from journeys.models.people import Clinic, Location, Role, User
from journeys.models.procedures import (
    SURGERY_DAY_STEPS,
    Anchor,
    ChecklistItemTemplate,
    Owner,
    PreopTestType,
    ProcedureStep,
    ProcedureTemplate,
    Step,
)
from journeys.models.reminders import Channel, Delivery, Reminder, ReminderStatus
from journeys.models.rules import (
    DrugClass,
    FastingAnchor,
    FastingKind,
    FastingRule,
    HoldPolicy,
    JourneyMedication,
    Medication,
)
from journeys.models.scheduling import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    PreopResult,
)

__all__ = [
    "SURGERY_DAY_STEPS",
    "Anchor",
    "Appointment",
    "AppointmentKind",
    "AppointmentStatus",
    "AuditEvent",
    "CalendarLink",
    "CaregiverGrant",
    "Channel",
    "ChecklistItem",
    "ChecklistItemTemplate",
    "Clinic",
    "Delivery",
    "DrugClass",
    "FastingAnchor",
    "FastingKind",
    "FastingRule",
    "HoldPolicy",
    "Invitation",
    "Journey",
    "JourneyMedication",
    "JourneyStatus",
    "Location",
    "Medication",
    "Note",
    "Owner",
    "PreopResult",
    "PreopTestType",
    "ProcedureStep",
    "ProcedureTemplate",
    "Reminder",
    "ReminderStatus",
    "Role",
    "Stage",
    "StageEvent",
    "StageStatus",
    "Step",
    "User",
]
