from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from journeys.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    AuditEvent,
    Owner,
    Step,
)
from journeys.transitions import stage_complete
from tests.conftest import grow


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient)
    return client


def test_home_shows_the_next_step_and_all_ten_steps(patient_client, journey):
    response = patient_client.get(reverse("journeys:home"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Your next step:" in page
    assert "Consultation" in page
    for stage in journey.stages.all():
        assert stage.title in page
    assert page.count('aria-current="step"') == 1
    assert "Follow your care team" in page


def test_home_shows_the_following_step_once_staff_complete_the_current_one(
    patient_client, journey, nurse
):
    stage_complete(stage=journey.stages.get(step=Step.CONSULTATION), by=nurse)

    page = patient_client.get(reverse("journeys:home")).content.decode()

    assert "Tests before surgery" in page.split("Your next step:")[1].split("</h1>")[0]


def test_opening_the_journey_is_audited_with_the_viewer_and_address(patient_client, journey):
    patient_client.get(reverse("journeys:home"), REMOTE_ADDR="203.0.113.9")

    event = AuditEvent.objects.get(action="journey.view")
    assert (event.actor, event.patient, event.ip_address) == (
        journey.patient,
        journey.patient,
        "203.0.113.9",
    )


def test_patient_ticks_and_unticks_their_own_item(patient_client, journey):
    item = journey.checklist_items.filter(owner=Owner.PATIENT).first()
    url = reverse("journeys:checklist-toggle", args=[journey.pk, item.pk])

    patient_client.post(url, {"done": "1"})
    item.refresh_from_db()
    assert item.is_done
    patient_client.post(url, {"done": "0"})
    item.refresh_from_db()
    assert not item.is_done


def test_patient_cannot_tick_a_care_team_item(patient_client, journey):
    item = journey.checklist_items.filter(owner=Owner.STAFF).first()

    response = patient_client.post(
        reverse("journeys:checklist-toggle", args=[journey.pk, item.pk]), {"done": "1"}
    )

    assert response.status_code == 404
    item.refresh_from_db()
    assert not item.is_done


def test_patient_cannot_tick_another_patients_item(patient_client, stranger_journey):
    item = stranger_journey.checklist_items.filter(owner=Owner.PATIENT).first()

    response = patient_client.post(
        reverse("journeys:checklist-toggle", args=[stranger_journey.pk, item.pk]), {"done": "1"}
    )

    assert response.status_code == 404
    item.refresh_from_db()
    assert not item.is_done


def test_patient_cannot_open_another_patients_journey(patient_client, stranger_journey):
    response = patient_client.get(reverse("journeys:journey", args=[stranger_journey.pk]))

    assert response.status_code == 404
    assert stranger_journey.patient.full_name not in response.content.decode()


def test_patient_cannot_open_staff_pages(patient_client, journey):
    assert patient_client.get(reverse("journeys:staff-worklist")).status_code == 403
    assert (
        patient_client.get(reverse("journeys:staff-journey", args=[journey.pk])).status_code == 403
    )


def test_signed_out_visitor_is_sent_to_sign_in(client, journey):
    response = client.get(reverse("journeys:home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_home_runs_the_same_number_of_queries_however_big_the_journey(
    patient_client, journey, nurse, django_assert_max_num_queries
):
    # session, user (+clinic), journey (+location), stages, items, the next
    # appointment, audit insert, notes, and the session save (savepoint, update,
    # release inside the test's transaction).
    with django_assert_max_num_queries(12) as small:
        patient_client.get(reverse("journeys:home"))
    grow(journey, nurse)

    with django_assert_max_num_queries(12) as large:
        response = patient_client.get(reverse("journeys:home"))

    assert response.status_code == 200
    assert "Extra item 29" in response.content.decode()
    assert len(large) == len(small)


def test_appointment_times_show_in_the_clinics_time_zone_not_the_servers(patient_client, journey):
    journey.clinic.time_zone = "America/New_York"
    journey.clinic.save()
    utc_start = (journey.surgery_at - timedelta(days=3)).astimezone(UTC).replace(hour=15, minute=0)
    Appointment.objects.create(
        journey=journey, kind=AppointmentKind.CONSULTATION, starts_at=utc_start
    )

    page = patient_client.get(reverse("journeys:home")).content.decode()

    # 15:00 UTC is 10:00 in New York in winter (the server's zone would say 07:00).
    assert utc_start.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M") in page
    assert utc_start.astimezone(ZoneInfo("America/Los_Angeles")).strftime(", %H:%M") not in page


def test_the_next_appointment_is_the_first_scheduled_one_not_yet_over(patient_client, journey):
    now = timezone.now()
    for kind, starts_at, status in [
        (AppointmentKind.FOLLOW_UP, now - timedelta(days=1), AppointmentStatus.SCHEDULED),
        (AppointmentKind.CONSULTATION, now - timedelta(minutes=30), AppointmentStatus.CANCELLED),
        (AppointmentKind.THERAPY, now - timedelta(minutes=20), AppointmentStatus.SCHEDULED),
        (AppointmentKind.FOLLOW_UP, now + timedelta(hours=2), AppointmentStatus.SCHEDULED),
    ]:
        Appointment.objects.create(
            journey=journey,
            kind=kind,
            starts_at=starts_at,
            duration=timedelta(hours=1),
            status=status,
        )

    page = patient_client.get(reverse("journeys:home")).content.decode()

    # The therapy session began 20 minutes ago and runs an hour: it is still the next.
    shown = page.split("Next appointment")[1].split("</p>")[0]
    assert "Physical therapy" in shown
    assert "Consultation" not in shown and "Follow-up" not in shown


def test_a_patient_reads_their_upcoming_reminders_in_plain_words(patient_client, journey):
    sent = journey.reminders.get(key="journey:welcome")
    sent.status = "sent"
    sent.save()

    response = patient_client.get(reverse("journeys:journey-reminders", args=[journey.pk]))

    page = response.content.decode()
    arrival = journey.reminders.get(key="surgery:arrival")
    assert arrival.subject in page
    assert "by email" in page
    assert sent.subject not in page  # already sent: history, not "coming up"
    assert "call your care team" in page


def test_another_patients_reminders_are_not_shown(patient_client, stranger_journey):
    response = patient_client.get(reverse("journeys:journey-reminders", args=[stranger_journey.pk]))

    assert response.status_code == 404


# Each patient page besides home (above) and the most queries it may run: session,
# user, the user's clinic (time zone), the journey with its clinic, patient, location
# and surgeon, the page's own rows below, and up to three for the session's save
# (savepoint, update, release).
PATIENT_PAGES = {
    # stages, their history with who moved them, items, appointments, audit insert
    "journeys:journey": (12, lambda journey: [journey.pk]),
    # upcoming reminders, audit insert
    "journeys:journey-reminders": (9, lambda journey: [journey.pk]),
    # appointments, whether a calendar link exists, audit insert
    "journeys:calendar": (10, lambda journey: [journey.pk]),
    # live grants with their caregivers
    "journeys:caregivers": (8, lambda journey: [journey.pk]),
    # (the latest journey instead of one by id) its next reminders, audit insert
    "journeys:preferences": (9, lambda journey: []),
    # stages, audit insert: the surgery-day panel htmx polls
    "journeys:surgery-live": (9, lambda journey: [journey.pk]),
}


@pytest.mark.parametrize("name", PATIENT_PAGES)
def test_patient_pages_run_the_same_number_of_queries_however_big_the_journey(
    patient_client, journey, nurse, django_assert_max_num_queries, name
):
    most, args = PATIENT_PAGES[name]
    url = reverse(name, args=args(journey))
    with django_assert_max_num_queries(most) as small:
        patient_client.get(url)
    grow(journey, nurse)

    with django_assert_max_num_queries(most) as large:
        response = patient_client.get(url)

    assert response.status_code == 200
    assert len(large) == len(small)
