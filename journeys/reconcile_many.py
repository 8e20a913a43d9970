"""Reconciling every active journey at once: the nightly run (journeys/tasks.py).

The same plan and the same changes as journeys/reconcile.py's reminders_reconcile, but
loaded for a batch of journeys in a fixed number of queries (the journeys, locked;
their checklist items, appointments, finished stages, medicines and stored reminders;
their clinics' fasting rules) instead of seven queries per journey. Each batch is one
transaction, so a fact changed meanwhile waits for the batch's locks, as it would for
a single reconcile.
"""

from collections import defaultdict
from itertools import batched

from django.db import transaction
from django.utils import timezone, translation

from journeys.models import (
    SURGERY_DAY_STEPS,
    Appointment,
    AppointmentStatus,
    ChecklistItem,
    FastingRule,
    Journey,
    JourneyMedication,
    JourneyStatus,
    Owner,
    Reminder,
    Stage,
    StageStatus,
)
from journeys.planning import plan_reminders
from journeys.reconcile import (
    APPOINTMENT_COLUMNS,
    FIELDS,
    apply_reminder_changes,
    facts_from_rows,
    reminder_changes,
)

BATCH = 500


def reminders_reconcile_all(*, now=None, batch=BATCH):
    """Reconcile every active journey; returns (journeys, created, moved, cancelled)."""
    now = now or timezone.now()
    ids = Journey.objects.filter(status=JourneyStatus.ACTIVE).order_by("pk")
    totals = [0, 0, 0, 0]
    for chunk in batched(ids.values_list("pk", flat=True), batch):
        for i, count in enumerate(_reconcile_batch(chunk, now)):
            totals[i] += count
    return tuple(totals)


def _by_journey(rows, key):
    grouped = defaultdict(list)
    for row in rows:
        grouped[key(row)].append(row)
    return grouped


@transaction.atomic
def _reconcile_batch(ids, now):
    # Locked in id order, as single reconciles lock one row each: no deadlock.
    journeys = list(
        Journey.objects.select_for_update(of=("self",))
        .select_related("clinic", "patient", "surgery_location")
        .filter(pk__in=ids, status=JourneyStatus.ACTIVE)
        .order_by("pk")
    )
    ids = [j.pk for j in journeys]
    items = _by_journey(
        ChecklistItem.objects.filter(
            journey_id__in=ids, owner=Owner.PATIENT, done_at__isnull=True, due_date__isnull=False
        )
        .order_by("due_date", "id")
        .values_list("journey_id", "id", "text", "due_date"),
        key=lambda row: row[0],
    )
    appointments = _by_journey(
        Appointment.objects.filter(journey_id__in=ids, status=AppointmentStatus.SCHEDULED)
        .order_by("starts_at")
        .values_list("journey_id", *APPOINTMENT_COLUMNS),
        key=lambda row: row[0],
    )
    completed = _by_journey(
        Stage.objects.filter(
            journey_id__in=ids, status=StageStatus.DONE, completed_at__isnull=False
        )
        .exclude(step__in=SURGERY_DAY_STEPS)
        .values_list("journey_id", "id", "title", "completed_at"),
        key=lambda row: row[0],
    )
    medications = _by_journey(
        JourneyMedication.objects.filter(journey_id__in=ids, medication__isnull=False)
        .select_related("medication")
        .order_by("id"),
        key=lambda m: m.journey_id,
    )
    fasting = _by_journey(
        FastingRule.objects.filter(
            clinic_id__in={j.clinic_id for j in journeys}, is_active=True
        ).order_by("id"),
        key=lambda r: r.clinic_id,
    )
    # Only what reminder_changes compares and bulk_update writes: tens of thousands of
    # rows a night, and each loaded column is work.
    stored = _by_journey(
        Reminder.objects.filter(journey_id__in=ids).only("journey", "key", "status", *FIELDS),
        key=lambda r: r.journey_id,
    )

    created, moved, obsolete = [], [], []
    for journey in journeys:
        # The fixed text, appointment titles too, is in the patient's language, as in
        # reminders_reconcile.
        with translation.override(journey.patient.language):
            facts = facts_from_rows(
                journey,
                items=[row[1:] for row in items[journey.pk]],
                appointments=[row[1:] for row in appointments[journey.pk]],
                completed=[row[1:] for row in completed[journey.pk]],
                medications=medications[journey.pk],
                fasting=fasting[journey.clinic_id],
            )
            planned = {p.key: p for p in plan_reminders(facts, now=now)}
        changes = reminder_changes(journey, planned, {r.key: r for r in stored[journey.pk]})
        for into, rows in zip((created, moved, obsolete), changes, strict=True):
            into.extend(rows)
    apply_reminder_changes(created, moved, obsolete)
    return len(journeys), len(created), len(moved), len(obsolete)
