"""journeys/reconcile_many.py: the nightly run over every journey, in batches."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from journeys.bulk import seed_patients
from journeys.models import (
    ChecklistItem,
    Journey,
    JourneyStatus,
    Owner,
    Reminder,
    ReminderStatus,
)
from journeys.reconcile import reminders_reconcile
from journeys.reconcile_many import reminders_reconcile_all


@pytest.fixture
def crowd(clinic, nurse, other_clinic_nurse):
    """Journeys in two clinics, whose facts changed without a reconcile (as after a
    lost task or a restore): reminders missing, surgeries moved, items ticked."""
    ids = seed_patients(clinic=clinic, n=12, by=nurse)
    ids += seed_patients(clinic=other_clinic_nurse.clinic, n=5, by=other_clinic_nurse)
    journeys = Journey.objects.filter(pk__in=ids, status=JourneyStatus.ACTIVE)
    Reminder.objects.filter(journey__in=journeys, key="fasting:solids").delete()
    for journey in journeys.filter(surgery_at__isnull=False):
        Journey.objects.filter(pk=journey.pk).update(
            surgery_at=journey.surgery_at + timedelta(days=2)
        )
    ChecklistItem.objects.filter(journey__in=journeys, owner=Owner.PATIENT).update(done_at=None)
    return ids


def test_the_nightly_run_leaves_every_journey_as_its_own_reconcile_would(crowd):
    journeys, created, moved, _cancelled = reminders_reconcile_all(batch=5)

    assert journeys == Journey.objects.filter(status=JourneyStatus.ACTIVE).count()
    assert created > 0 and moved > 0
    for journey in Journey.objects.filter(pk__in=crowd, status=JourneyStatus.ACTIVE):
        assert reminders_reconcile(journey=journey) == (0, 0, 0)


def test_the_nightly_run_plans_nothing_for_a_journey_on_hold(crowd):
    on_hold = Journey.objects.filter(pk__in=crowd, status=JourneyStatus.ON_HOLD).first()
    Reminder.objects.create(
        journey=on_hold, key="stray", due_at=on_hold.enrolled_at, subject="s", body="b"
    )

    reminders_reconcile_all()

    assert Reminder.objects.get(journey=on_hold, key="stray").status == ReminderStatus.PENDING


def test_a_batch_costs_the_same_queries_for_few_journeys_or_many(clinic, nurse):
    seed_patients(clinic=clinic, n=3, by=nurse)
    with CaptureQueriesContext(connection) as few:
        reminders_reconcile_all()
    seed_patients(clinic=clinic, n=30, by=nurse)
    Reminder.objects.filter(key="fasting:solids").delete()
    with CaptureQueriesContext(connection) as many:
        reminders_reconcile_all()

    # ids; then per batch: savepoint, journeys (locked), items, appointments, stages,
    # medicines, fasting rules, stored reminders, create, cancel (+ update when moved),
    # release.
    assert len(many) <= len(few) + 1
