"""A real Celery worker, with embedded beat, sends a due reminder end to end.

The worker is a separate process started the way Procfile.demo starts it
(`celery -A spinecare worker --beat`), pointed at the test database, the real Redis
and its own queue, with the sweep every second. The test only commits rows and
watches the database and the mail directory: beat fires the sweep, the sweep claims
the row and queues `send_reminder`, and the worker sends the email.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from email import policy
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.db import connection
from django.utils import timezone

from journeys.enrolment import journey_enroll
from journeys.models import Reminder, ReminderStatus, User
from tests.conftest import surgery_in

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60.0
POLL = 0.2
FINISHED = (ReminderStatus.SENT, ReminderStatus.FAILED, ReminderStatus.CANCELLED)
# What the file-based email backend writes after each message.
MESSAGE_SEPARATOR = b"\n" + b"-" * 79 + b"\n"


class Worker:
    def __init__(self, process, log_path, mail_dir, queue):
        self.process = process
        self.log_path = log_path
        self.mail_dir = mail_dir
        self.queue = queue

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines=60):
        return "\n".join(self.log().splitlines()[-lines:])

    def emails(self):
        """Every message the worker's email backend has written, parsed."""
        messages = []
        for path in sorted(self.mail_dir.glob("*")):
            for chunk in path.read_bytes().split(MESSAGE_SEPARATOR):
                if chunk.strip():
                    messages.append(BytesParser(policy=policy.default).parsebytes(chunk))
        return messages

    def wait_for(self, check, describe, timeout=TIMEOUT):
        """Poll `check()` until it returns something truthy; fail saying what was seen."""
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result:
                return result
            if self.process.poll() is not None:
                pytest.fail(
                    f"The worker exited with code {self.process.returncode}; "
                    f"{describe()}\n--- worker log ---\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"Nothing after {timeout:.0f} s: {describe()}\n"
                    f"--- worker log ---\n{self.log_tail()}"
                )
            time.sleep(POLL)


def worker_database_url():
    """The URL of the database pytest-django created, for another process to use."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = quote(db["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}{host}{port}/{quote(db['NAME'], safe='')}"


def stop(process, timeout=30):
    """Warm shutdown; if the worker hangs, kill its whole process group."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        # The worker runs in its own session, so its group id is its pid and the group
        # holds only the worker, its pool children and the embedded beat.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


@pytest.fixture
def worker(transactional_db, require_postgres, redis_url, tmp_path):
    """A worker with embedded beat on its own queue, sweeping every second.

    It depends on transactional_db so it is stopped before the tables are flushed.
    """
    var_dir = tmp_path / "var"
    mail_dir = var_dir / "mail"
    mail_dir.mkdir(parents=True)
    queue = f"spinecare-test-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "spinecare.settings",
        "SPINECARE_PRODUCTION": "false",
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": redis_url,
        "CELERY_QUEUE": queue,
        "SPINECARE_VAR_DIR": str(var_dir),
        "REMINDER_SWEEP_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    # Unset, the mailer is the file-based backend writing into var_dir/mail.
    env.pop("EMAIL_URL", None)
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "spinecare",
        "worker",
        "--beat",
        "--schedule",
        str(tmp_path / "beat-schedule"),
        "--concurrency",
        "2",
        "--loglevel",
        "INFO",
        "--hostname",
        f"{queue}@%h",
        # Keep to ourselves: other workers may share this Redis.
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield Worker(process, log_path, mail_dir, queue)
    finally:
        stop(process)
        forget_queue(redis_url, queue)


def forget_queue(redis_url, queue):
    """Delete this run's queue and its kombu bindings; the name is unique to the run."""
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"*{queue}*"))
    if keys:
        client.delete(*keys)


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

    reminder = worker.wait_for(finished(welcome.pk), reminder_state(welcome.pk))

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

    reminder = worker.wait_for(finished(welcome.pk), reminder_state(welcome.pk))

    assert reminder.status == ReminderStatus.FAILED, reminder_state(welcome.pk)()
    assert reminder.attempts == 1
    assert reminder.last_error == "The patient has no email address."
    assert reminder.due_at == welcome.due_at  # given up, not backed off
    assert reminder.lease_token is None
    delivery = reminder.deliveries.get()
    assert delivery.succeeded is False
    assert delivery.error == "The patient has no email address."
    assert worker.emails() == []
