"""Email reminders: plain text and HTML, in the patient's language."""

import logging
import smtplib

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from journeys.channels.base import Channel, ChannelError

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "spinecare.unsubscribe"


def unsubscribe_token(patient):
    """A signed token naming only the patient's id: no email address, no health data."""
    return signing.dumps({"u": patient.pk}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_patient_id(token):
    """The patient id a token names; signing.BadSignature when it was not made by us."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise signing.BadSignature("Malformed unsubscribe token.")
    return data["u"]


def unsubscribe_url(patient):
    path = reverse("journeys:unsubscribe", kwargs={"token": unsubscribe_token(patient)})
    return settings.SITE_URL.rstrip("/") + path


class EmailChannel(Channel):
    def send(self, reminder, delivery):
        patient = reminder.journey.patient
        if not patient.email:
            raise ChannelError("The patient has no email address.", permanent=True)
        # Urgent reminders (fasting, medicine stops, arrival) cannot be switched off.
        unsubscribe = None if reminder.urgent else unsubscribe_url(patient)
        context = {
            "reminder": reminder,
            "patient": patient,
            "clinic": reminder.journey.clinic,
            "unsubscribe_url": unsubscribe,
        }
        with translation.override(patient.language):
            text = render_to_string("emails/reminder.txt", context)
            html = render_to_string("emails/reminder.html", context)
            subject = render_to_string("emails/reminder_subject.txt", context).strip()
        # The Message-ID is the reminder's UUID: SMTP's own way to recognise a resend.
        message_id = f"<{reminder.uuid}@spinecare>"
        headers = {"Message-ID": message_id}
        if unsubscribe:
            # RFC 8058 one-click unsubscribe: the mail client POSTs to the URL.
            headers["List-Unsubscribe"] = f"<{unsubscribe}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[patient.email],
            headers=headers,
        )
        message.attach_alternative(html, "text/html")
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError("The email address was refused.", permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"Email server error: {exc.__class__.__name__}") from exc
        return message_id
