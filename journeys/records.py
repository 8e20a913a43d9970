"""A patient's record as the patient may take it away, and who has looked at it."""

from journeys.models import (
    Appointment,
    AuditEvent,
    CaregiverGrant,
    ChecklistItem,
    Journey,
    Reminder,
    Stage,
)

ACCESS_LOG_LIMIT = 200

# What each part of the export holds: (model, fields), each filtered to the patient.
EXPORT = {
    "journeys": (
        Journey,
        ["id", "procedure_name", "clinic__name", "surgery_at", "status", "enrolled_at"],
    ),
    "stages": (
        Stage,
        ["journey_id", "title", "status", "started_at", "completed_at", "blocked_reason"],
    ),
    "checklist": (
        ChecklistItem,
        ["journey_id", "stage__title", "text", "owner", "due_date", "done_at"],
    ),
    "appointments": (
        Appointment,
        ["journey_id", "kind", "test_type__name", "starts_at", "duration", "status", "result"],
    ),
    "reminders": (
        Reminder,
        ["journey_id", "subject", "body", "channel", "due_at", "status", "sent_at"],
    ),
    "caregivers": (
        CaregiverGrant,
        ["journey_id", "caregiver__full_name", "caregiver__email", "granted_at", "revoked_at"],
    ),
}


def access_log(patient, *, limit=ACCESS_LOG_LIMIT):
    """The newest audit events about `patient`: who read or changed what, and when."""
    events = AuditEvent.objects.filter(patient=patient).select_related("actor")
    return list(events.order_by("-at", "-id")[:limit])


def record_export(patient):
    """Everything SpineCare holds about `patient`, as plain data for a JSON download."""
    data = {
        "patient": {
            "email": patient.email,
            "full_name": patient.full_name,
            "phone": patient.phone,
            "date_of_birth": patient.date_of_birth,
            "language": patient.language,
        }
    }
    for part, (model, fields) in EXPORT.items():
        owner = "patient" if model is Journey else "journey__patient"
        data[part] = list(model.objects.filter(**{owner: patient}).values(*fields))
    data["access_log"] = list(
        AuditEvent.objects.filter(patient=patient)
        .order_by("at", "id")
        .values("at", "actor__full_name", "action", "object_type", "object_id")
    )
    return data
