"""A patient's preferences page: reminder channel, quiet hours, language, optional emails."""

from datetime import time

import pytest
from django.urls import reverse

from journeys.models import AuditEvent, Channel, ReminderStatus, Role, User
from journeys.reconcile import email_optional_reminders_stop
from tests.conftest import make_user

URL = "/preferences/"
SAVED = {
    "reminder_channel": "email",
    "quiet_start": "",
    "quiet_end": "",
    "language": "en",
    "email_optional_reminders": "on",
}


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient)
    return client


def post(client, **changes):
    return client.post(URL, {**SAVED, **changes}, follow=True)


def fresh(user):
    return User.objects.get(pk=user.pk)


def test_the_page_lives_at_preferences_and_is_in_the_header(patient_client, journey):
    assert reverse("journeys:preferences") == URL

    home = patient_client.get(reverse("journeys:home")).content.decode()

    assert f'href="{URL}"' in home


def test_a_patient_chooses_text_messages_and_quiet_hours_and_reminders_follow(
    patient_client, patient, journey
):
    patient.phone = "+1 555 010 2030"
    patient.save(update_fields=["phone"])

    response = post(patient_client, reminder_channel="sms", quiet_start="21:00", quiet_end="07:30")

    assert "Your preferences are saved." in response.content.decode()
    saved = fresh(patient)
    assert (saved.reminder_channel, saved.quiet_start, saved.quiet_end) == (
        Channel.SMS,
        time(21, 0),
        time(7, 30),
    )
    pending = journey.reminders.filter(status=ReminderStatus.PENDING)
    assert pending.exists()
    assert not pending.exclude(channel=Channel.SMS).exists()
    event = AuditEvent.objects.get(action="patient.reminder_preferences")
    assert (event.actor, event.patient, event.detail["channel"]) == (patient, patient, "sms")


def test_text_messages_are_refused_without_a_phone_number_and_nothing_is_saved(
    patient_client, patient, journey
):
    page = patient_client.get(URL).content.decode()
    assert 'value="sms"' not in page  # offered only with a number on file

    response = post(patient_client, reminder_channel="sms", quiet_start="21:00", quiet_end="07:00")

    assert "Text messages need a phone number" in response.content.decode()
    saved = fresh(patient)
    assert (saved.reminder_channel, saved.quiet_start) == (Channel.EMAIL, None)
    assert not AuditEvent.objects.filter(action="patient.reminder_preferences").exists()


def test_quiet_hours_that_end_when_they_start_are_refused(patient_client, patient, journey):
    response = post(patient_client, quiet_start="22:00", quiet_end="22:00")

    assert "Quiet hours must end at a different time" in response.content.decode()
    assert fresh(patient).quiet_start is None


def test_quiet_hours_need_both_ends(patient_client, patient, journey):
    response = post(patient_client, quiet_start="22:00")

    assert "Give both ends of the quiet hours, or neither." in response.content.decode()
    assert fresh(patient).quiet_start is None


def test_an_unknown_language_is_refused_and_nothing_is_saved(patient_client, patient, journey):
    response = post(patient_client, language="klingon", quiet_start="21:00", quiet_end="07:00")

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    saved = fresh(patient)
    assert (saved.language, saved.quiet_start) == ("en", None)


def test_choosing_spanish_saves_the_language_on_the_patients_trail(
    patient_client, patient, journey
):
    post(patient_client, language="es")

    assert fresh(patient).language == "es"
    assert AuditEvent.objects.filter(action="person.language", patient=patient).exists()


def test_optional_reminder_emails_come_back_after_an_unsubscribe(patient_client, patient, journey):
    email_optional_reminders_stop(patient=patient)
    cancelled = set(
        journey.reminders.filter(status=ReminderStatus.CANCELLED).values_list("key", flat=True)
    )
    assert cancelled
    page = patient_client.get(URL).content.decode()
    assert 'name="email_optional_reminders"' in page
    assert "checked" not in page.split('name="email_optional_reminders"')[1].split(">")[0]

    post(patient_client, email_optional_reminders="on")

    assert fresh(patient).email_optional_reminders is True
    back = journey.reminders.filter(key__in=cancelled, status=ReminderStatus.PENDING)
    assert back.count() == len(cancelled)


def test_the_page_shows_whats_coming_and_links_to_reminders_and_caregivers(patient_client, journey):
    arrival = journey.reminders.get(key="surgery:arrival")
    journey.reminders.exclude(pk=arrival.pk).update(status=ReminderStatus.CANCELLED)

    page = patient_client.get(URL).content.decode()

    assert arrival.subject in page
    assert reverse("journeys:journey-reminders", args=[journey.pk]) in page
    assert reverse("journeys:caregivers", args=[journey.pk]) in page
    assert AuditEvent.objects.filter(action="journey.view", detail__page="preferences").exists()


@pytest.mark.parametrize("role", [Role.CAREGIVER, Role.STAFF])
def test_only_patients_have_preferences_here(client, clinic, role):
    client.force_login(make_user(f"{role}@test.example", role, clinic))

    assert client.get(URL).status_code == 404
    assert client.post(URL, SAVED).status_code == 404
