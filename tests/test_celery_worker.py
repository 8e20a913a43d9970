"""A real Celery worker, with embedded beat, sends a due reminder end to end.

The worker is a separate process started the way Procfile.demo starts it
(`celery -A spinecare worker --beat`), pointed at the test database, the real Redis
and its own queue, with the sweep every second. The test only commits rows and
watches the database and the mail directory: beat fires the sweep, the sweep claims
the row and queues `send_reminder`, and the worker sends the email.
"""

import uuid

import pytest
from django.db import connection
from django.utils import timezone

from journeys.enrolment import journey_enroll
from journeys.models import Reminder, ReminderStatus, User
from tests.conftest import surgery_in
from tests.processes import database_url, forget_queue, start_worker, wait_for

# Transactional, so the worker sees committed rows. The flush after each test also
# removes the role groups the migrations made; serialized rollback restores them.
pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TIMEOUT = 60.0
FINISHED = (ReminderStatus.SENT, ReminderStatus.FAILED, ReminderStatus.CANCELLED)


@pytest.fixture
def worker(transactional_db, require_postgres, redis_url, tmp_path):
    """A worker with embedded beat on its own queue, sweeping every second.

    It depends on transactional_db so it is stopped before the tables are flushed.
    """
    queue = f"spinecare-test-{uuid.uuid4().hex}"
    worker = start_worker(
        tmp_path,
        database_url=database_url(connection.settings_dict),
        broker_url=redis_url,
        queue=queue,
    )
    try:
        yield worker
    finally:
        worker.stop()
        forget_queue(redis_url, queue)


def reminder_state(pk):
    def describe():
        reminder = Reminder.objects.filter(pk=pk).first()
        if reminder is None:
            return f"reminder {pk} no longer exists"
        deliveries = [
            (d.succeeded, d.error or d.provider_message_id) for d in reminder.deliveries.all()
        ]
        return (
            f"reminder {pk} is {reminder.status!r} after {reminder.attempts} attempt(s), "
            f"due {reminder.due_at:%H:%M:%S}, now {timezone.now():%H:%M:%S}, "
            f"last_error={reminder.last_error!r}, deliveries={deliveries}"
        )

    return describe


def finished(pk):
    return lambda: Reminder.objects.filter(pk=pk, status__in=FINISHED).first()


def test_beat_sweeps_and_the_worker_emails_a_due_welcome_reminder(journey, worker):
    patient = journey.patient
    welcome = journey.reminders.get(key="journey:welcome")
    assert welcome.status == ReminderStatus.PENDING
    assert welcome.due_at <= timezone.now()

    reminder = wait_for(
        finished(welcome.pk), reminder_state(welcome.pk), timeout=TIMEOUT, processes=[worker]
    )

    assert reminder.status == ReminderStatus.SENT, reminder_state(welcome.pk)()
    assert reminder.attempts == 1
    assert reminder.sent_at is not None
    assert reminder.lease_token is None
    delivery = reminder.deliveries.get()
    assert delivery.succeeded is True
    assert delivery.channel == "email"
    assert delivery.provider_message_id == f"<{reminder.uuid}@spinecare>"
    assert delivery.finished_at is not None

    emails = [m for m in worker.emails() if m["Message-ID"] == delivery.provider_message_id]
    assert len(emails) == 1, f"mail files: {sorted(p.name for p in worker.mail_dir.iterdir())}"
    email = emails[0]
    assert email["To"] == patient.email
    assert email["Subject"] == reminder.subject == "Welcome to Test Spine Clinic's SpineCare portal"
    assert reminder.body in email.get_body(preferencelist=("plain",)).get_content()
    # Beat, not the test, fired the sweep.
    log = worker.log()
    assert "Sending due task sweep-due-reminders" in log, worker.log_tail()


def test_a_permanent_channel_error_fails_the_reminder_without_retrying(
    patient, fusion, nurse, worker
):
    # Cleared before enrolment, so no sweep can send the welcome while it still had one.
    User.objects.filter(pk=patient.pk).update(email="")
    patient.refresh_from_db()
    journey = journey_enroll(
        patient=patient, procedure=fusion, by=nurse, surgery_at=surgery_in(fusion.clinic, 21)
    )
    welcome = journey.reminders.get(key="journey:welcome")

    reminder = wait_for(
        finished(welcome.pk), reminder_state(welcome.pk), timeout=TIMEOUT, processes=[worker]
    )

    assert reminder.status == ReminderStatus.FAILED, reminder_state(welcome.pk)()
    assert reminder.attempts == 1
    assert reminder.last_error == "The patient has no email address."
    assert reminder.due_at == welcome.due_at  # given up, not backed off
    assert reminder.lease_token is None
    delivery = reminder.deliveries.get()
    assert delivery.succeeded is False
    assert delivery.error == "The patient has no email address."
    assert worker.emails() == []
