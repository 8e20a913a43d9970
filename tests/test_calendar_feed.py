"""The patient's appointments page and private calendar feed (ICS)."""

import re
from datetime import UTC, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from journeys.calendar import calendar_link_create, calendar_link_revoke, token_hash
from journeys.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    AuditEvent,
    CalendarLink,
    CaregiverGrant,
    Location,
)
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

PREP = "Do not eat for 8 hours before the blood draw."


@pytest.fixture
def appointments(journey):
    clinic = journey.clinic
    location = Location.objects.get(clinic=clinic, name="Main hospital")
    test = journey.required_tests.first()
    test.prep_instructions = PREP
    test.save()
    now = timezone.now().replace(microsecond=0)
    return {
        "past": Appointment.objects.create(
            journey=journey,
            kind=AppointmentKind.CONSULTATION,
            starts_at=now - timedelta(days=10),
            location=location,
            status=AppointmentStatus.COMPLETED,
        ),
        "test": Appointment.objects.create(
            journey=journey,
            kind=AppointmentKind.PREOP_TEST,
            test_type=test,
            starts_at=now + timedelta(days=3),
            location=location,
        ),
        "follow_up": Appointment.objects.create(
            journey=journey,
            kind=AppointmentKind.FOLLOW_UP,
            starts_at=now + timedelta(days=40),
        ),
        "cancelled": Appointment.objects.create(
            journey=journey,
            kind=AppointmentKind.THERAPY,
            starts_at=now + timedelta(days=5),
            status=AppointmentStatus.CANCELLED,
        ),
    }


def feed_path(token):
    return reverse("journeys:calendar-feed", args=[token])


def events(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_feed_has_one_event_per_live_appointment(client, journey, patient, appointments):
    token = calendar_link_create(journey=journey, by=patient)
    found = events(client.get(feed_path(token)))

    live = [a for a in appointments.values() if a.status != AppointmentStatus.CANCELLED]
    appointment_uids = {uid for uid in found if uid.startswith("appointment-")}
    assert appointment_uids == {f"appointment-{a.pk}@spinecare" for a in live}
    for appointment in live:
        event = found[f"appointment-{appointment.pk}@spinecare"]
        start = event.decoded("DTSTART")
        assert start.utcoffset() == timedelta(0)
        assert start == appointment.starts_at.astimezone(UTC)
        assert event.decoded("DTEND") == appointment.ends_at.astimezone(UTC)
        assert str(event["SUMMARY"]) == appointment.title
    test_event = found[f"appointment-{appointments['test'].pk}@spinecare"]
    assert PREP in str(test_event["DESCRIPTION"])
    assert "(555) 123-4567" in str(test_event["DESCRIPTION"])
    assert "Main hospital" in str(test_event["LOCATION"])
    # The surgery, set on the journey, is there too.
    surgery = found[f"surgery-{journey.pk}@spinecare"]
    assert surgery.decoded("DTSTART") == journey.surgery_at.astimezone(UTC)


def test_feed_carries_no_diagnosis(client, journey, patient, appointments):
    token = calendar_link_create(journey=journey, by=patient)
    body = client.get(feed_path(token)).content.decode()
    assert journey.procedure_name not in body
    assert patient.full_name not in body
    assert patient.email not in body


def test_each_fetch_is_audited_without_an_actor(client, journey, patient):
    token = calendar_link_create(journey=journey, by=patient)
    client.get(feed_path(token), REMOTE_ADDR="203.0.113.9")
    event = AuditEvent.objects.get(action="calendar.fetch")
    assert event.actor is None
    assert event.patient == patient
    assert event.ip_address == "203.0.113.9"


def test_only_the_hash_is_stored(journey, patient):
    token = calendar_link_create(journey=journey, by=patient)
    link = CalendarLink.objects.get(journey=journey)
    assert link.token_hash == token_hash(token)
    assert token not in link.token_hash
    assert not CalendarLink.objects.filter(token_hash=token).exists()
    assert not AuditEvent.objects.filter(detail__icontains=token).exists()


def test_revoke_makes_the_feed_404(client, journey, patient):
    token = calendar_link_create(journey=journey, by=patient)
    calendar_link_revoke(journey=journey, by=patient)
    assert client.get(feed_path(token)).status_code == 404
    assert not CalendarLink.objects.exists()


def test_rotate_kills_the_old_link(client, journey, patient):
    old = calendar_link_create(journey=journey, by=patient)
    new = calendar_link_create(journey=journey, by=patient)
    assert client.get(feed_path(old)).status_code == 404
    assert client.get(feed_path(new)).status_code == 200
    assert CalendarLink.objects.filter(journey=journey).count() == 1


def test_random_token_is_404(client, journey, patient):
    calendar_link_create(journey=journey, by=patient)
    assert client.get(feed_path("not-a-real-token")).status_code == 404


def test_page_lists_past_and_upcoming(client, journey, patient, appointments):
    client.force_login(patient)
    response = client.get(reverse("journeys:calendar", args=[journey.pk]))
    assert response.status_code == 200
    assert [a.pk for a in response.context["past"]] == [appointments["past"].pk]
    upcoming = [a.pk for a in response.context["upcoming"]]
    assert upcoming == [
        appointments["test"].pk,
        appointments["cancelled"].pk,
        appointments["follow_up"].pk,
    ]
    body = response.content.decode()
    assert PREP in body
    assert "Add Subscribed Calendar" in body
    assert "From URL" in body


def test_patient_creates_sees_link_once_and_it_works(client, journey, patient, appointments):
    client.force_login(patient)
    page = reverse("journeys:calendar", args=[journey.pk])
    body = client.post(page, {"action": "create"}).content.decode()
    url = re.search(r"https?://[^\s<\"]+\.ics", body).group(0)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert CalendarLink.objects.get(journey=journey).token_hash == token_hash(token)
    assert AuditEvent.objects.filter(action="calendar.link_create", actor=patient).exists()
    client.logout()
    assert events(client.get(feed_path(token)))

    client.force_login(patient)
    assert token not in client.get(page).content.decode()  # shown once only
    client.post(page, {"action": "revoke"})
    assert client.get(feed_path(token)).status_code == 404
    assert AuditEvent.objects.filter(action="calendar.link_revoke", actor=patient).exists()


def test_another_patients_calendar_page_is_404(client, journey, stranger):
    client.force_login(stranger)
    page = reverse("journeys:calendar", args=[journey.pk])
    assert client.get(page).status_code == 404
    assert client.post(page, {"action": "create"}).status_code == 404
    assert not CalendarLink.objects.exists()


def test_caregiver_reads_but_cannot_create_a_link(client, journey, patient, clinic):
    carer = make_user("carer@test.example", "caregiver", clinic)
    CaregiverGrant.objects.create(
        journey=journey, caregiver=carer, granted_by=patient, granted_at=timezone.now()
    )
    client.force_login(carer)
    page = reverse("journeys:calendar", args=[journey.pk])
    response = client.get(page)
    assert response.status_code == 200
    assert "Create my calendar link" not in response.content.decode()
    assert client.post(page, {"action": "create"}).status_code == 404
    calendar_link_create(journey=journey, by=patient)
    assert client.post(page, {"action": "revoke"}).status_code == 404
    assert CalendarLink.objects.filter(journey=journey).count() == 1


def test_home_links_to_the_calendar(client, journey, patient):
    client.force_login(patient)
    body = client.get(reverse("journeys:home")).content.decode()
    assert reverse("journeys:calendar", args=[journey.pk]) in body
