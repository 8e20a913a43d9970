from django.core import mail, signing
from django.utils import timezone

from journeys.channels.email import EmailChannel, unsubscribe_url
from journeys.models import Delivery, Reminder


def make_reminder(journey, **fields):
    reminder = Reminder.objects.create(
        journey=journey,
        key="test:email",
        due_at=timezone.now(),
        subject=fields.pop("subject", "Tomorrow: Dr. O'Neill's visit"),
        body=fields.pop("body", "Bring your medication list & your <ID card>."),
        **fields,
    )
    delivery = Delivery.objects.create(
        reminder=reminder, channel=reminder.channel, started_at=timezone.now()
    )
    return reminder, delivery


def test_plain_text_parts_show_apostrophes_and_ampersands_as_written(journey):
    reminder, delivery = make_reminder(journey)

    EmailChannel().send(reminder, delivery)

    message = mail.outbox[-1]
    assert message.subject == "Tomorrow: Dr. O'Neill's visit"
    assert "Bring your medication list & your <ID card>." in message.body


def test_the_html_part_escapes_what_the_reminder_says(journey):
    reminder, delivery = make_reminder(journey)

    EmailChannel().send(reminder, delivery)

    html, mimetype = mail.outbox[-1].alternatives[0]
    assert mimetype == "text/html"
    assert "&lt;ID card&gt;" in html
    assert "<ID card>" not in html


def test_every_email_ends_by_pointing_to_the_care_team(journey):
    reminder, delivery = make_reminder(journey)

    EmailChannel().send(reminder, delivery)

    message = mail.outbox[-1]
    assert "Follow your care team's instructions." in message.body
    assert journey.clinic.phone in message.body


def test_the_message_id_is_the_reminders_uuid_so_a_resend_is_recognisable(journey):
    reminder, delivery = make_reminder(journey)

    message_id = EmailChannel().send(reminder, delivery)

    assert message_id == f"<{reminder.uuid}@spinecare>"
    assert mail.outbox[-1].extra_headers["Message-ID"] == message_id
    # The semantic key may name a medication: it never leaves the database.
    assert reminder.key not in str(mail.outbox[-1].message())


def test_an_optional_reminder_carries_one_click_unsubscribe_headers_and_links(journey, settings):
    settings.SITE_URL = "https://portal.example/"
    reminder, delivery = make_reminder(journey, urgent=False)

    EmailChannel().send(reminder, delivery)

    message = mail.outbox[-1]
    url = unsubscribe_url(journey.patient)
    assert url.startswith("https://portal.example/unsubscribe/")
    assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.message()["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"Stop optional reminder emails: {url}" in message.body
    html, _ = message.alternatives[0]
    assert f'href="{url}"' in html
    assert "Stop optional reminder emails" in html
    # The token names the patient's id and nothing else.
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert signing.loads(token, salt="spinecare.unsubscribe") == {"u": journey.patient.pk}
    assert journey.patient.email not in token


def test_an_urgent_reminder_has_no_unsubscribe_link_or_header(journey):
    reminder, delivery = make_reminder(journey, urgent=True)

    EmailChannel().send(reminder, delivery)

    message = mail.outbox[-1]
    assert "List-Unsubscribe" not in message.extra_headers
    assert "List-Unsubscribe-Post" not in message.extra_headers
    assert "List-Unsubscribe" not in str(message.message())
    assert "/unsubscribe/" not in message.body
    assert "Stop optional reminder emails" not in message.body
    html, _ = message.alternatives[0]
    assert "/unsubscribe/" not in html
