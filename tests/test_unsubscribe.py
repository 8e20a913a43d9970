"""The one-click unsubscribe link in optional reminder emails (RFC 8058)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from journeys.channels.email import unsubscribe_token
from journeys.models import AuditEvent, Channel, Reminder, ReminderStatus
from journeys.planning import JourneyFacts, plan_reminders
from journeys.reconcile import reminders_reconcile

CONFIRMATION = "You will no longer get optional reminder emails."


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def link(patient):
    return reverse("journeys:unsubscribe", kwargs={"token": unsubscribe_token(patient)})


def statuses(journey):
    return {
        r.key: (r.urgent, r.status)
        for r in Reminder.objects.filter(journey=journey, channel=Channel.EMAIL)
    }


def test_get_shows_a_confirmation_page_and_changes_nothing(client, journey):
    before = statuses(journey)

    response = client.get(link(journey.patient))

    assert response.status_code == 200
    assert b"Stop optional reminder emails" in response.content
    assert b'method="post"' in response.content
    assert CONFIRMATION.encode() not in response.content
    journey.patient.refresh_from_db()
    assert journey.patient.email_optional_reminders is True
    assert statuses(journey) == before
    assert not AuditEvent.objects.filter(action="reminders.unsubscribe").exists()


def test_one_click_post_stops_optional_emails_and_keeps_urgent_ones(client, journey):
    before = statuses(journey)
    assert any(not urgent for urgent, _ in before.values())
    assert any(urgent for urgent, _ in before.values())

    response = client.post(link(journey.patient), {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert CONFIRMATION.encode() in response.content
    journey.patient.refresh_from_db()
    assert journey.patient.email_optional_reminders is False
    after = statuses(journey)
    for key, (urgent, status) in after.items():
        if urgent:
            assert status == before[key][1] == ReminderStatus.PENDING, key
        elif before[key][1] == ReminderStatus.PENDING:
            assert status == ReminderStatus.CANCELLED, key
    event = AuditEvent.objects.get(action="reminders.unsubscribe")
    assert event.patient == journey.patient
    # The nightly run does not bring them back.
    assert reminders_reconcile(journey=journey) == (0, 0, 0)


def test_a_mail_clients_post_without_a_csrf_token_is_accepted(journey):
    mail_client = Client(enforce_csrf_checks=True)

    response = mail_client.post(link(journey.patient), {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    journey.patient.refresh_from_db()
    assert journey.patient.email_optional_reminders is False


def test_a_tampered_token_is_404_and_changes_nothing(client, journey):
    token = unsubscribe_token(journey.patient)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    before = statuses(journey)

    for method in (client.get, client.post):
        url = reverse("journeys:unsubscribe", kwargs={"token": tampered})
        assert method(url).status_code == 404
    assert client.post("/unsubscribe/not-a-token/").status_code == 404

    journey.patient.refresh_from_db()
    assert journey.patient.email_optional_reminders is True
    assert statuses(journey) == before
    assert not AuditEvent.objects.filter(action="reminders.unsubscribe").exists()


def test_other_methods_are_refused(client, journey):
    assert client.put(link(journey.patient)).status_code == 405


def test_the_page_speaks_the_patients_language(client, journey):
    journey.patient.language = "es"
    journey.patient.save(update_fields=["language"])

    response = client.get(link(journey.patient))

    assert response.status_code == 200
    assert b'lang="es"' in response.content


def test_the_planner_keeps_only_urgent_email_reminders_after_unsubscribing():
    zone = ZoneInfo("America/Los_Angeles")
    now = datetime(2027, 5, 1, 12, tzinfo=UTC)
    facts = JourneyFacts(
        journey_id=1,
        zone=zone,
        clinic_name="Clinic",
        clinic_phone="555",
        channel="email",
        active=True,
        surgery_at=datetime(2027, 5, 12, 7, 30, tzinfo=zone),
        enrolled_at=now,
    )
    subscribed = plan_reminders(facts, now=now)
    assert {p.key for p in subscribed} == {"journey:welcome", "surgery:arrival"}

    opted_out = plan_reminders(JourneyFacts(**{**facts.__dict__, "email_optional": False}), now=now)
    assert [p.key for p in opted_out] == ["surgery:arrival"]

    # By text message the email opt-out changes nothing.
    by_sms = JourneyFacts(**{**facts.__dict__, "email_optional": False, "channel": "sms"})
    assert {p.key for p in plan_reminders(by_sms, now=now)} == {p.key for p in subscribed}
