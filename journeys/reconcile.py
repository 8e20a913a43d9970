"""Reconciling a journey's stored reminders with what the planner says it should have.

Missing reminders are created, unsent ones moved, obsolete ones cancelled, and sent
ones kept as history. Runs whenever a fact changes (called from the functions that
change facts) and nightly for every active journey (journeys/tasks.py).
"""

from django.db import transaction
from django.utils import timezone

from journeys.models import (
    SURGERY_DAY_STEPS,
    Appointment,
    AppointmentStatus,
    ChecklistItem,
    Journey,
    JourneyStatus,
    Owner,
    Reminder,
    ReminderStatus,
    Stage,
    StageStatus,
)
from journeys.planning import (
    AppointmentFact,
    ItemFact,
    JourneyFacts,
    StageFact,
    plan_reminders,
)

# Rows in these states may still be changed; the rest are history or in flight.
MOVABLE = (ReminderStatus.PENDING, ReminderStatus.CANCELLED)
FIELDS = ("due_at", "subject", "body", "channel", "urgent")


def journey_facts(journey):
    clinic = journey.clinic
    items = ChecklistItem.objects.filter(
        journey=journey, owner=Owner.PATIENT, done_at__isnull=True, due_date__isnull=False
    ).values_list("id", "text", "due_date")
    appointments = (
        Appointment.objects.filter(journey=journey, status=AppointmentStatus.SCHEDULED)
        .select_related("location", "test_type")
        .order_by("starts_at")
    )
    # Surgery-day steps are followed live on the board, not announced by email.
    completed = (
        Stage.objects.filter(journey=journey, status=StageStatus.DONE, completed_at__isnull=False)
        .exclude(step__in=SURGERY_DAY_STEPS)
        .values_list("id", "title", "completed_at")
    )
    return JourneyFacts(
        journey_id=journey.pk,
        zone=clinic.zone,
        clinic_name=clinic.name,
        clinic_phone=clinic.phone,
        channel="email",
        active=journey.status == JourneyStatus.ACTIVE,
        surgery_at=journey.surgery_at,
        surgery_place=journey.surgery_location.name if journey.surgery_location_id else "",
        enrolled_at=journey.enrolled_at,
        completed_stages=tuple(StageFact(*row) for row in completed),
        open_patient_items=tuple(ItemFact(*row) for row in items),
        appointments=tuple(
            AppointmentFact(
                id=a.pk,
                title=a.title,
                starts_at=a.starts_at,
                location=a.location.name if a.location_id else clinic.name,
                prep=a.test_type.prep_instructions if a.test_type_id else "",
            )
            for a in appointments
        ),
    )


@transaction.atomic
def reminders_reconcile(*, journey, now=None):
    """Bring the journey's reminder rows in line with its plan.

    Returns the counts (created, moved, cancelled).
    """
    now = now or timezone.now()
    # One reconcile per journey at a time, so two never create the same key.
    journey = (
        Journey.objects.select_for_update(of=("self",))
        .select_related("clinic", "surgery_location")
        .get(pk=journey.pk)
    )
    planned = {p.key: p for p in plan_reminders(journey_facts(journey), now=now)}
    stored = {r.key: r for r in Reminder.objects.filter(journey=journey)}

    created = [
        Reminder(journey=journey, key=key, **{f: getattr(p, f) for f in FIELDS})
        for key, p in planned.items()
        if key not in stored
    ]
    Reminder.objects.bulk_create(created)

    moved = []
    for key, p in planned.items():
        row = stored.get(key)
        if row is None or row.status not in MOVABLE:
            continue
        changed = any(getattr(row, f) != getattr(p, f) for f in FIELDS)
        if changed or row.status == ReminderStatus.CANCELLED:
            for f in FIELDS:
                setattr(row, f, getattr(p, f))
            row.status = ReminderStatus.PENDING
            moved.append(row)
    Reminder.objects.bulk_update(moved, [*FIELDS, "status"])

    obsolete = [
        row.pk
        for key, row in stored.items()
        if key not in planned and row.status == ReminderStatus.PENDING
    ]
    Reminder.objects.filter(pk__in=obsolete, status=ReminderStatus.PENDING).update(
        status=ReminderStatus.CANCELLED
    )
    return len(created), len(moved), len(obsolete)
