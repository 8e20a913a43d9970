"""journeys/bulk.py: many patients at once, as the real code would have left them."""

from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone

from journeys.bulk import seed_patients
from journeys.models import (
    Appointment,
    AppointmentKind,
    Journey,
    JourneyStatus,
    Reminder,
    ReminderStatus,
    Role,
    StageStatus,
)
from journeys.reconcile import reminders_reconcile

N = 40


@pytest.fixture
def seeded(clinic, nurse):
    return seed_patients(clinic=clinic, n=N, by=nurse, batch=15)


def test_seeding_writes_every_patient_with_a_whole_journey(seeded, clinic):
    journeys = Journey.objects.filter(pk__in=seeded).select_related("patient", "procedure")

    assert len(seeded) == N
    for journey in journeys:
        assert journey.patient.role == Role.PATIENT
        assert journey.patient.groups.filter(name=Role.PATIENT).exists()
        assert journey.stages.count() == journey.procedure.steps.count()
        assert journey.checklist_items.exists()
        assert journey.appointments.filter(kind=AppointmentKind.CONSULTATION).exists()
        # Exactly one step is current, unless the journey has not got that far.
        current = journey.stages.exclude(status__in=[StageStatus.DONE, StageStatus.PENDING])
        assert current.count() == 1
        # The worklist filters by the journey's copy of its current step.
        assert journey.current_step == current.get().step


def test_seeded_patients_cover_every_phase_of_the_journey(seeded):
    current_steps = Counter(
        Journey.objects.filter(pk__in=seeded, stages__status=StageStatus.ACTIVE).values_list(
            "stages__step", flat=True
        )
    )

    assert {"preop_testing", "preparation", "rehabilitation"} <= set(current_steps)
    assert Journey.objects.filter(pk__in=seeded, status=JourneyStatus.ON_HOLD).exists()
    assert Appointment.objects.filter(journey__in=seeded, kind=AppointmentKind.THERAPY).exists()


def test_finished_steps_have_their_history(seeded):
    journey = Journey.objects.filter(pk__in=seeded, stages__step="recovery", stages__status="done")
    stage = journey.first().stages.get(step="recovery")

    assert list(stage.events.values_list("from_status", "to_status")) == [
        ("pending", "active"),
        ("active", "done"),
    ]


def test_reconcile_finds_the_seeded_reminders_already_planned(seeded):
    assert Reminder.objects.filter(journey__in=seeded, status=ReminderStatus.PENDING).exists()

    changes = [reminders_reconcile(journey=j) for j in Journey.objects.filter(pk__in=seeded)]

    assert set(changes) == {(0, 0, 0)}


def test_nothing_seeded_happens_in_the_future(seeded):
    now = timezone.now()
    journeys = Journey.objects.filter(pk__in=seeded)

    assert not journeys.filter(enrolled_at__gt=now).exists()
    assert not journeys.filter(stages__started_at__gt=now).exists()
    assert not journeys.filter(checklist_items__done_at__gt=now).exists()
    assert not Reminder.objects.filter(journey__in=seeded, sent_at__gt=now).exists()


def test_seeding_twice_adds_new_patients(clinic, nurse, seeded):
    more = seed_patients(clinic=clinic, n=5, by=nurse)

    assert len(set(seeded) | set(more)) == N + 5


def test_a_seeded_patient_sees_their_home_page(client, seeded):
    journey = Journey.objects.filter(pk__in=seeded, status=JourneyStatus.ACTIVE).first()
    client.force_login(journey.patient)

    response = client.get(reverse("journeys:home"))

    assert response.status_code == 200
    assert "Your next step:" in response.content.decode()


def test_staff_see_seeded_patients_on_the_worklist_and_their_page(client, nurse, seeded):
    journey = Journey.objects.filter(pk__in=seeded, status=JourneyStatus.ACTIVE).last()
    client.force_login(nurse)

    worklist = client.get(reverse("journeys:staff-worklist"))
    detail = client.get(reverse("journeys:staff-journey", args=[journey.pk]))

    assert worklist.status_code == 200
    assert detail.status_code == 200
    assert journey.patient.full_name in detail.content.decode()
