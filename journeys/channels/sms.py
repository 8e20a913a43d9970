"""Text-message reminders: a minimal body, sent through the backend SMS_BACKEND names.

A text is read on a lock screen and kept by the phone company, so it never says what
the reminder says (a medication name is health information): it names the clinic,
says an instruction is due and links to the portal (templates/sms/reminder.txt).

Backends:
- "console" logs one line with the reminder's UUID and the masked number. For the
  demo only: in production it refuses, so no text is marked sent that never went out.
- "http" posts JSON to a provider's API (SMS_API_URL, SMS_API_KEY as a bearer token,
  SMS_FROM) with the reminder's UUID as the `Idempotency-Key`, so a retried send is
  recognised by the provider and not delivered twice.
"""

import http.client
import json
import logging
import re
import urllib.error
import urllib.request

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from journeys.channels.base import Channel, ChannelError

logger = logging.getLogger(__name__)

# E.164: a plus, a country code that does not start with 0, at most 15 digits in all.
E164 = re.compile(r"\+[1-9]\d{7,14}")
# What people type between digits; dropped before checking.
SEPARATORS = re.compile(r"[\s().\-]")
# Client errors that say nothing about the number: a wrong key, a request timeout, a
# duplicate still in flight, a rate limit. Retrying (or fixing the setting) can help.
RETRYABLE_CLIENT_ERRORS = {401, 403, 408, 409, 425, 429}


def normalise_number(raw):
    """The number in E.164 form, or None when it is missing or not a full number."""
    number = SEPARATORS.sub("", raw or "")
    return number if E164.fullmatch(number) else None


def mask_number(number):
    """Enough of a number to tell two apart in a log: "+1******4567"."""
    return number[:2] + "*" * (len(number) - 6) + number[-4:]


def render_body(reminder, patient):
    context = {
        "clinic": reminder.journey.clinic,
        "portal_url": settings.SITE_URL.rstrip("/") + reverse("journeys:home"),
    }
    with translation.override(patient.language):
        return render_to_string("sms/reminder.txt", context).strip()


class SMSChannel(Channel):
    def send(self, reminder, delivery):
        patient = reminder.journey.patient
        if not patient.phone:
            raise ChannelError("The patient has no mobile number.", permanent=True)
        number = normalise_number(patient.phone)
        if number is None:
            raise ChannelError(
                "The patient's mobile number is not a full international number "
                "(e.g. +15551234567).",
                permanent=True,
            )
        backend = BACKENDS[settings.SMS_BACKEND]()
        return backend.send(
            to=number, body=render_body(reminder, patient), idempotency_key=str(reminder.uuid)
        )


class ConsoleBackend:
    def send(self, *, to, body, idempotency_key):
        if settings.PRODUCTION:
            raise ChannelError(
                "Text messages are not set up: SMS_BACKEND is console.", permanent=True
            )
        # The body stays out of the log; the UUID finds the reminder.
        logger.info("SMS for reminder %s to %s (console backend)", idempotency_key, mask_number(to))
        return f"console-{idempotency_key}"


class HttpBackend:
    """A generic JSON SMS API.

    POST {"to", "from", "body"} to SMS_API_URL with `Authorization: Bearer <key>` and
    `Idempotency-Key: <reminder uuid>`. A 2xx answer is sent (its JSON `id` is the
    provider's message id); a 4xx about the request (an invalid or unreachable number)
    is permanent; 5xx, timeouts and dropped connections are transient, and the retry
    carries the same key.
    """

    def send(self, *, to, body, idempotency_key):
        # settings.py accepts only an http(s) SMS_API_URL: no file:// or other openers.
        request = urllib.request.Request(  # noqa: S310
            settings.SMS_API_URL,
            data=json.dumps({"to": to, "from": settings.SMS_FROM, "body": body}).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {settings.SMS_API_KEY}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Idempotency-Key": idempotency_key,
            },
        )
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=settings.SMS_TIMEOUT_SECONDS
            ) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            raise self._refused(exc.code) from exc
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            # Includes timeouts and a connection dropped after the provider accepted.
            raise ChannelError(f"SMS provider unreachable: {exc.__class__.__name__}") from exc
        return self._message_id(payload)

    @staticmethod
    def _refused(status):
        if 400 <= status < 500 and status not in RETRYABLE_CLIENT_ERRORS:
            # The provider's own text may repeat the number, so only the status is kept.
            return ChannelError(
                f"The SMS provider refused the number or message (HTTP {status}).",
                permanent=True,
            )
        return ChannelError(f"SMS provider error (HTTP {status}).")

    @staticmethod
    def _message_id(payload):
        # Accepted is accepted: an answer without a readable id is still a sent message.
        try:
            return str(json.loads(payload).get("id", ""))
        except (ValueError, AttributeError):
            return ""


# SMS_BACKEND value -> backend class.
BACKENDS = {
    "console": ConsoleBackend,
    "http": HttpBackend,
}
