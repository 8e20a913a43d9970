import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from journeys.channels import CHANNELS, ChannelError
from journeys.channels.sms import SMSChannel, mask_number, normalise_number
from journeys.models import Channel, Delivery, Reminder, User
from tests.fakes.sms_provider import API_KEY, FakeSMSProvider

ROOT = Path(__file__).resolve().parents[2]
MEDICATION = "Clopidogrel"


@pytest.fixture
def provider(settings):
    with FakeSMSProvider() as fake:
        settings.SMS_BACKEND = "http"
        settings.SMS_API_URL = fake.url
        settings.SMS_API_KEY = API_KEY
        settings.SMS_FROM = "+15550001111"
        yield fake


def with_phone(journey, phone):
    User.objects.filter(pk=journey.patient_id).update(phone=phone)
    journey.patient.refresh_from_db()
    return journey


def make_reminder(journey, phone="+1 (555) 123-4567"):
    with_phone(journey, phone)
    reminder = Reminder.objects.create(
        journey=journey,
        key="test:sms",
        channel=Channel.SMS,
        due_at=timezone.now(),
        subject=f"Stop {MEDICATION} today",
        body=f"Take your last {MEDICATION} tablet tonight.",
    )
    delivery = Delivery.objects.create(
        reminder=reminder, channel=reminder.channel, started_at=timezone.now()
    )
    return reminder, delivery


def test_the_registry_sends_sms_reminders_through_the_sms_channel():
    assert CHANNELS[Channel.SMS] is SMSChannel


def test_the_provider_gets_the_reminders_uuid_as_idempotency_key_and_a_bearer_key(
    journey, provider
):
    reminder, delivery = make_reminder(journey)

    message_id = SMSChannel().send(reminder, delivery)

    [request] = provider.requests
    assert request.key == str(reminder.uuid)
    assert request.authorization == f"Bearer {API_KEY}"
    assert request.to == "+15551234567"
    assert message_id == provider.messages[str(reminder.uuid)].id


def test_the_text_names_the_clinic_and_links_to_the_portal_but_never_what_is_due(
    journey, provider, settings
):
    settings.SITE_URL = "https://portal.example.org/"
    reminder, delivery = make_reminder(journey)

    SMSChannel().send(reminder, delivery)

    body = provider.requests[0].body
    assert body == (
        "Reminder from Test Spine Clinic: a pre-surgery instruction is due. "
        "Open the portal: https://portal.example.org/"
    )
    assert MEDICATION.lower() not in body.lower()
    # The semantic key may name a medication: it never leaves the database.
    assert reminder.key not in body


def test_a_resend_of_the_same_reminder_is_not_delivered_twice(journey, provider):
    reminder, delivery = make_reminder(journey)

    first = SMSChannel().send(reminder, delivery)
    second = SMSChannel().send(reminder, delivery)

    assert first == second
    assert provider.counts() == (2, 1, 1)  # requests, delivered, duplicate requests


def test_a_provider_server_error_is_retried_later(journey, provider):
    reminder, delivery = make_reminder(journey)
    provider.fail_next("500")

    with pytest.raises(ChannelError) as error:
        SMSChannel().send(reminder, delivery)

    assert error.value.permanent is False
    assert error.value.message == "SMS provider error (HTTP 500)."
    assert provider.messages == {}


def test_a_number_the_provider_refuses_fails_for_good_without_repeating_it(journey, provider):
    reminder, delivery = make_reminder(journey)
    provider.fail_next("400")

    with pytest.raises(ChannelError) as error:
        SMSChannel().send(reminder, delivery)

    assert error.value.permanent is True
    assert error.value.message == ("The SMS provider refused the number or message (HTTP 400).")
    assert "555" not in error.value.message


def test_a_wrong_api_key_is_retried_so_fixing_the_setting_loses_nothing(
    journey, provider, settings
):
    settings.SMS_API_KEY = "wrong"
    reminder, delivery = make_reminder(journey)

    with pytest.raises(ChannelError) as error:
        SMSChannel().send(reminder, delivery)

    assert error.value.permanent is False
    assert error.value.message == "SMS provider error (HTTP 401)."


def test_a_connection_dropped_after_the_provider_accepted_is_retried_with_the_same_key(
    journey, provider
):
    reminder, delivery = make_reminder(journey)
    provider.fail_next("drop")

    with pytest.raises(ChannelError) as error:
        SMSChannel().send(reminder, delivery)
    assert error.value.permanent is False
    retried = SMSChannel().send(reminder, delivery)

    assert [r.key for r in provider.requests] == [str(reminder.uuid)] * 2
    assert list(provider.messages) == [str(reminder.uuid)]
    assert retried == provider.messages[str(reminder.uuid)].id


def test_a_provider_that_does_not_answer_in_time_is_retried_later(journey, provider, settings):
    settings.SMS_TIMEOUT_SECONDS = 0.3
    reminder, delivery = make_reminder(journey)
    provider.fail_next("hold")

    with pytest.raises(ChannelError) as error:
        SMSChannel().send(reminder, delivery)

    assert error.value.permanent is False
    assert error.value.message.startswith("SMS provider unreachable: ")


def test_an_unreachable_provider_is_retried_later(journey, settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    settings.SMS_BACKEND = "http"
    settings.SMS_API_URL = f"http://127.0.0.1:{closed_port}/v1/messages"
    settings.SMS_API_KEY = API_KEY
    reminder, delivery = make_reminder(journey)

    with pytest.raises(ChannelError) as error:
        SMSChannel().send(reminder, delivery)

    assert error.value.permanent is False
    assert error.value.message == "SMS provider unreachable: URLError"


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("", "The patient has no mobile number."),
        (
            "(555) 123-4567",
            "The patient's mobile number is not a full international number (e.g. +15551234567).",
        ),
        (
            "+1 555 CALL-NOW",
            "The patient's mobile number is not a full international number (e.g. +15551234567).",
        ),
    ],
)
def test_a_missing_or_incomplete_number_fails_for_good_before_any_request(
    journey, provider, phone, message
):
    reminder, delivery = make_reminder(journey, phone=phone)

    with pytest.raises(ChannelError) as error:
        SMSChannel().send(reminder, delivery)

    assert error.value.permanent is True
    assert error.value.message == message
    assert provider.requests == []


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("+1 (555) 123-4567", "+15551234567"),
        ("+34 612.345.678", "+34612345678"),
        ("+44 7700 900123", "+447700900123"),
        ("555-123-4567", None),
        ("+0 555 123 4567", None),
        ("+1 555 123 4567 8901 23", None),
    ],
)
def test_numbers_are_read_as_e164_with_the_usual_separators_dropped(raw, number):
    assert normalise_number(raw) == number


def test_the_console_backend_logs_the_uuid_and_a_masked_number_but_never_the_text(
    journey, settings, caplog
):
    settings.SMS_BACKEND = "console"
    reminder, delivery = make_reminder(journey)

    with caplog.at_level(logging.INFO, logger="journeys.channels.sms"):
        message_id = SMSChannel().send(reminder, delivery)

    assert message_id == f"console-{reminder.uuid}"
    [line] = [r.getMessage() for r in caplog.records]
    assert str(reminder.uuid) in line
    assert mask_number("+15551234567") == "+1******4567"
    assert "+1******4567" in line
    assert "123-4567" not in line and "5551234567" not in line
    assert "Reminder from" not in line
    assert MEDICATION not in caplog.text


def test_the_console_backend_refuses_in_production_so_nothing_is_marked_sent_unsent(
    journey, settings
):
    settings.SMS_BACKEND = "console"
    settings.PRODUCTION = True
    reminder, delivery = make_reminder(journey)

    with pytest.raises(ChannelError) as error:
        SMSChannel().send(reminder, delivery)

    assert error.value.permanent is True
    assert error.value.message == "Text messages are not set up: SMS_BACKEND is console."


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"SMS_BACKEND": "carrier-pigeon"}, "SMS_BACKEND must be console or http."),
        (
            {"SMS_BACKEND": "http", "SMS_API_URL": "file:///etc/passwd", "SMS_API_KEY": "k"},
            "SMS_BACKEND=http needs an http(s) SMS_API_URL and SMS_API_KEY.",
        ),
        (
            {"SMS_BACKEND": "http", "SMS_API_URL": "https://sms.example.com/v1/messages"},
            "SMS_BACKEND=http needs an http(s) SMS_API_URL and SMS_API_KEY.",
        ),
    ],
)
def test_a_malformed_sms_setting_stops_start_up(env, complaint):
    base = {k: v for k, v in os.environ.items() if not k.startswith("SMS_")}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "spinecare.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert complaint in result.stderr
