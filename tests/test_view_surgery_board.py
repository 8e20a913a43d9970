"""The surgery-day board: today's patients by location, one tap per step, no stale taps."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from journeys.enrolment import journey_enroll
from journeys.models import Location, Role, StageStatus, Step
from tests.conftest import make_user

LA = ZoneInfo("America/Los_Angeles")
ENROLLED = datetime(2027, 3, 1, 10, 0, tzinfo=LA)
SURGERY = datetime(2027, 3, 29, 7, 30, tzinfo=LA)
BOARD = reverse("journeys:surgery-day")


@pytest.fixture
def clock():
    with time_machine.travel(ENROLLED, tick=True) as traveller:
        yield traveller


@pytest.fixture
def journey(clock, patient, fusion, coordinator, clinic):
    journey = journey_enroll(
        patient=patient,
        procedure=fusion,
        by=coordinator,
        surgery_at=SURGERY,
        location=clinic.locations.get(name="Main hospital"),
    )
    clock.move_to(datetime(2027, 3, 29, 8, 2, tzinfo=LA))
    return journey


@pytest.fixture
def nurse_client(journey, client, nurse):
    client.force_login(nurse)
    return client


def tap(client, journey, step):
    return client.post(
        reverse("journeys:surgery-day-advance", args=[journey.pk]),
        {"step": step, "date": "2027-03-29"},
        follow=True,
    )


def status(journey, step):
    return journey.stages.get(step=step).status


def test_the_board_shows_todays_surgery_with_a_button_to_start_anesthesia(nurse_client, journey):
    page = nurse_client.get(BOARD).content.decode()

    assert "Main hospital" in page and "Pat Patient" in page and "07:30" in page
    assert "Not started" in page
    assert "Start Anesthesia" in page


def test_one_tap_starts_anesthesia_at_the_clinics_time(nurse_client, journey):
    response = tap(nurse_client, journey, "not_started")

    page = response.content.decode()
    assert "Pat Patient: Anesthesia started." in page
    assert "Anesthesia: In progress · started 08:02" in page
    assert "Start Incision" in page
    assert status(journey, Step.ANESTHESIA) == StageStatus.ACTIVE


def test_each_tap_finishes_the_step_and_starts_the_next(nurse_client, journey):
    tap(nurse_client, journey, "not_started")
    tap(nurse_client, journey, Step.ANESTHESIA)

    assert status(journey, Step.ANESTHESIA) == StageStatus.DONE
    assert status(journey, Step.INCISION) == StageStatus.ACTIVE


def test_closing_starts_recovery_and_the_buttons_stop(nurse_client, journey):
    steps = ["not_started", Step.ANESTHESIA, Step.INCISION, Step.BONE_REMOVAL, Step.FUSION]
    for step in steps:
        tap(nurse_client, journey, step)

    page = tap(nurse_client, journey, Step.CLOSURE).content.decode()

    assert status(journey, Step.CLOSURE) == StageStatus.DONE
    assert status(journey, Step.RECOVERY) == StageStatus.ACTIVE
    assert "Recovery: In progress" in page
    assert "Start " not in page.split("<h1>")[1]


def test_a_stale_tap_is_refused_and_changes_nothing(client, nurse, coordinator, journey):
    """Two people load the board; the first taps; the second's tap names the old step."""
    client.force_login(nurse)
    tap(client, journey, "not_started")
    other = client_for(coordinator)

    response = tap(other, journey, "not_started")

    assert "has moved on to “Anesthesia” since you opened this board" in response.content.decode()
    assert status(journey, Step.ANESTHESIA) == StageStatus.ACTIVE
    assert status(journey, Step.INCISION) == StageStatus.PENDING
    assert journey.stages.get(step=Step.ANESTHESIA).events.count() == 1


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_other_days_and_other_clinics_are_not_on_the_board(
    nurse_client, journey, stranger_journey, other_clinic_journey
):
    page = nurse_client.get(BOARD).content.decode()

    assert stranger_journey.patient.full_name not in page
    assert other_clinic_journey.patient.full_name not in page
    assert "Pat Patient" not in nurse_client.get(BOARD, {"date": "2027-03-30"}).content.decode()


def test_another_clinics_staff_cannot_tap(client, other_clinic_nurse, journey):
    client.force_login(other_clinic_nurse)

    response = client.post(
        reverse("journeys:surgery-day-advance", args=[journey.pk]), {"step": "not_started"}
    )

    assert response.status_code == 404
    assert status(journey, Step.ANESTHESIA) == StageStatus.PENDING


def test_patients_do_not_see_the_board(client, patient, journey):
    client.force_login(patient)

    assert client.get(BOARD).status_code == 403


def test_the_board_runs_the_same_queries_for_many_surgeries(
    nurse_client, journey, coordinator, clinic, fusion, django_assert_max_num_queries
):
    # Session, user (+clinic), second factor; the day's journeys (+patient, surgeon,
    # location); their surgery-day stages; one audit INSERT. One spare.
    with django_assert_max_num_queries(7) as small:
        nurse_client.get(BOARD)
    theatre = Location.objects.create(clinic=clinic, name="Theatre 2")
    for n in range(15):
        patient = make_user(f"crowd{n}@test.example", Role.PATIENT, clinic, f"Crowd {n}")
        journey_enroll(
            patient=patient,
            procedure=fusion,
            by=coordinator,
            surgery_at=datetime(2027, 3, 29, 9 + n % 8, 0, tzinfo=LA),
            location=theatre,
        )

    with django_assert_max_num_queries(7) as large:
        response = nurse_client.get(BOARD)

    assert "Crowd 14" in response.content.decode()
    assert len(large) == len(small)
