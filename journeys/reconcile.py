"""Reconciling a journey's stored reminders with what the planner says it should have.

Missing reminders are created, unsent ones moved, obsolete ones cancelled, and sent
ones kept as history. Runs whenever a fact changes (called from the functions that
change facts: enrolment, transitions, medications, reminder preferences) and nightly
for every active journey (journeys/tasks.py).
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from journeys.audit import audit_record
from journeys.models import (
    SURGERY_DAY_STEPS,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Channel,
    ChecklistItem,
    FastingRule,
    Journey,
    JourneyMedication,
    JourneyStatus,
    Owner,
    Reminder,
    ReminderStatus,
    Stage,
    StageStatus,
)
from journeys.planning import (
    AppointmentFact,
    FastingFact,
    ItemFact,
    JourneyFacts,
    MedicationFact,
    StageFact,
    plan_reminders,
)

KIND_LABELS = dict(AppointmentKind.choices)
# Rows in these states may still be changed; the rest are history or in flight.
MOVABLE = (ReminderStatus.PENDING, ReminderStatus.CANCELLED)
FIELDS = ("due_at", "subject", "body", "channel", "urgent")
# What the planner reads of an appointment, as facts_from_rows takes it: plain rows, as
# the nightly run reads tens of thousands and building models cost more than planning.
APPOINTMENT_COLUMNS = (
    "id",
    "kind",
    "starts_at",
    "location__name",
    "test_type__name",
    "test_type__prep_instructions",
    "test_type__needs_fasting",
)


def medication_fact(item):
    """The planner's view of a classified JourneyMedication; None until it is classified."""
    med = item.medication
    if med is None:
        return None
    return MedicationFact(
        id=item.pk,
        name=med.name,
        policy=med.hold_policy,
        known_at=item.known_at,
        hold_days=med.hold_days,
        hold_hours=med.hold_hours,
        heads_up_days=med.heads_up_days,
        restart=med.restart_text,
        note=med.patient_note,
    )


def reminder_channel(patient):
    # A text message needs a number; without one the patient still hears by email.
    if patient.reminder_channel == Channel.SMS and patient.phone:
        return Channel.SMS
    return Channel.EMAIL


def journey_facts(journey):
    """Everything the planner needs, in a fixed number of queries.

    The journey comes with its clinic, patient and surgery location; then one query
    each for checklist items, appointments, finished stages, medications and the
    clinic's fasting rules.
    """
    items = ChecklistItem.objects.filter(
        journey=journey, owner=Owner.PATIENT, done_at__isnull=True, due_date__isnull=False
    ).values_list("id", "text", "due_date")
    appointments = (
        Appointment.objects.filter(journey=journey, status=AppointmentStatus.SCHEDULED)
        .order_by("starts_at")
        .values_list(*APPOINTMENT_COLUMNS)
    )
    medications = (
        JourneyMedication.objects.filter(journey=journey, medication__isnull=False)
        .select_related("medication")
        .order_by("id")
    )
    fasting = FastingRule.objects.filter(clinic=journey.clinic, is_active=True).order_by("id")
    # Surgery-day steps are followed live on the board, not announced by email.
    completed = (
        Stage.objects.filter(journey=journey, status=StageStatus.DONE, completed_at__isnull=False)
        .exclude(step__in=SURGERY_DAY_STEPS)
        .values_list("id", "title", "completed_at")
    )
    return facts_from_rows(
        journey,
        items=items,
        appointments=appointments,
        completed=completed,
        medications=medications,
        fasting=fasting,
    )


def facts_from_rows(journey, *, items, appointments, completed, medications, fasting):
    """The planner's facts from rows already chosen as journey_facts chooses them.

    items and completed are (id, text or title, date) tuples, appointments are
    APPOINTMENT_COLUMNS tuples, medications come with their formulary entry. Loading is
    separate so many journeys can be planned from a few queries (journeys/bulk.py).
    """
    clinic = journey.clinic
    patient = journey.patient
    return JourneyFacts(
        journey_id=journey.pk,
        zone=clinic.zone,
        clinic_name=clinic.name,
        clinic_phone=clinic.phone,
        channel=reminder_channel(patient),
        active=journey.status == JourneyStatus.ACTIVE,
        surgery_at=journey.surgery_at,
        surgery_place=journey.surgery_location.name if journey.surgery_location_id else "",
        enrolled_at=journey.enrolled_at,
        completed_stages=tuple(StageFact(*row) for row in completed),
        open_patient_items=tuple(ItemFact(*row) for row in items),
        appointments=tuple(_appointment_fact(row, clinic.name) for row in appointments),
        arrival_lead=timedelta(minutes=clinic.arrival_lead_minutes),
        therapy_leads=(
            timedelta(hours=clinic.therapy_first_lead_hours),
            timedelta(hours=clinic.therapy_second_lead_hours),
        ),
        fasting_rules=tuple(
            FastingFact(
                id=r.pk,
                kind=r.kind,
                anchor=r.anchor,
                hours_before=r.hours_before,
                instruction=r.instruction,
                details=r.details,
            )
            for r in fasting
        ),
        medications=tuple(medication_fact(item) for item in medications),
        quiet_start=patient.quiet_start,
        quiet_end=patient.quiet_end,
        email_optional=patient.email_optional_reminders,
    )


def _appointment_fact(row, clinic_name):
    pk, kind, starts_at, place, test, prep, needs_fasting = row
    return AppointmentFact(
        id=pk,
        # Appointment.title, without get_kind_display's cost per call (it rebuilds the
        # choices each time; thousands of calls a night).
        title=test if test is not None else str(KIND_LABELS[kind]),
        starts_at=starts_at,
        location=place if place is not None else clinic_name,
        prep=prep if test is not None else "",
        kind=kind,
        needs_fasting=bool(needs_fasting),
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
        .select_related("clinic", "patient", "surgery_location")
        .get(pk=journey.pk)
    )
    # The fixed text is written in the patient's language, whoever triggered the change.
    with translation.override(journey.patient.language):
        planned = {p.key: p for p in plan_reminders(journey_facts(journey), now=now)}
    stored = {r.key: r for r in Reminder.objects.filter(journey=journey)}
    created, moved, obsolete = reminder_changes(journey, planned, stored)
    apply_reminder_changes(created, moved, obsolete)
    return len(created), len(moved), len(obsolete)


def reminder_changes(journey, planned, stored):
    """What brings the `stored` rows ({key: Reminder}) in line with `planned` ({key:
    PlannedReminder}): (rows to create, rows moved in place, ids to cancel)."""
    created = [
        Reminder(journey=journey, key=key, **{f: getattr(p, f) for f in FIELDS})
        for key, p in planned.items()
        if key not in stored
    ]
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
    obsolete = [
        row.pk
        for key, row in stored.items()
        if key not in planned and row.status == ReminderStatus.PENDING
    ]
    return created, moved, obsolete


def apply_reminder_changes(created, moved, obsolete):
    Reminder.objects.bulk_create(created)
    Reminder.objects.bulk_update(moved, [*FIELDS, "status"], batch_size=500)
    Reminder.objects.filter(pk__in=obsolete, status=ReminderStatus.PENDING).update(
        status=ReminderStatus.CANCELLED
    )


@transaction.atomic
def reminder_preferences_set(
    *, patient, channel, by, quiet_start=None, quiet_end=None, email_optional=None, request=None
):
    """Change how and when a patient hears from us, and re-plan their active journeys.

    email_optional=True turns optional reminder emails back on after an unsubscribe;
    None leaves that choice as it is.
    """
    if channel == Channel.SMS and not patient.phone:
        raise ValidationError(
            _("Text messages need a phone number. Add one first, or choose email."),
            code="no_phone",
        )
    if (quiet_start is None) != (quiet_end is None):
        raise ValidationError(
            _("Give both ends of the quiet hours, or neither."), code="quiet_hours"
        )
    if quiet_start is not None and quiet_start == quiet_end:
        raise ValidationError(
            _("Quiet hours must end at a different time from when they start."),
            code="quiet_hours",
        )
    patient.reminder_channel = channel
    patient.quiet_start, patient.quiet_end = quiet_start, quiet_end
    if email_optional is not None:
        patient.email_optional_reminders = email_optional
    patient.full_clean()
    patient.save(
        update_fields=["reminder_channel", "quiet_start", "quiet_end", "email_optional_reminders"]
    )
    audit_record(
        actor=by,
        action="patient.reminder_preferences",
        patient=patient,
        obj=patient,
        request=request,
        channel=channel,
        quiet_start=quiet_start.isoformat() if quiet_start else None,
        quiet_end=quiet_end.isoformat() if quiet_end else None,
        email_optional=patient.email_optional_reminders,
    )
    for journey in Journey.objects.filter(patient=patient, status=JourneyStatus.ACTIVE):
        reminders_reconcile(journey=journey)


@transaction.atomic
def email_optional_reminders_stop(*, patient, request=None):
    """The unsubscribe link: no more non-urgent reminder emails. Urgent ones (fasting,
    medicine stops, arrival) still come; pending optional ones are cancelled."""
    patient.email_optional_reminders = False
    patient.save(update_fields=["email_optional_reminders"])
    # The link is the patient's own: whoever holds it acts for them.
    audit_record(
        actor=patient,
        action="reminders.unsubscribe",
        patient=patient,
        obj=patient,
        request=request,
        via="email_link",
    )
    for journey in Journey.objects.filter(patient=patient, status=JourneyStatus.ACTIVE):
        reminders_reconcile(journey=journey)
