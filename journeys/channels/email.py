"""Email reminders: plain text and HTML, in the patient's language."""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from journeys.channels.base import Channel, ChannelError

logger = logging.getLogger(__name__)


class EmailChannel(Channel):
    def send(self, reminder, delivery):
        patient = reminder.journey.patient
        if not patient.email:
            raise ChannelError("The patient has no email address.", permanent=True)
        context = {"reminder": reminder, "patient": patient, "clinic": reminder.journey.clinic}
        with translation.override(patient.language):
            text = render_to_string("emails/reminder.txt", context)
            html = render_to_string("emails/reminder.html", context)
            subject = render_to_string("emails/reminder_subject.txt", context).strip()
        # The Message-ID is the reminder's UUID: SMTP's own way to recognise a resend.
        message_id = f"<{reminder.uuid}@spinecare>"
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[patient.email],
            headers={"Message-ID": message_id},
        )
        message.attach_alternative(html, "text/html")
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError("The email address was refused.", permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"Email server error: {exc.__class__.__name__}") from exc
        return message_id
