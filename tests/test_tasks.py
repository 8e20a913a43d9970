"""journeys/tasks.py: the thin Celery tasks, run eagerly (tests/test_celery_worker.py
runs them in a real worker)."""

import pytest
from django.core import mail
from django.utils import timezone

from journeys.dispatch import reminders_sweep
from journeys.models import Reminder, ReminderStatus
from journeys.tasks import send_reminders, sweep_reminders
from spinecare.celery import app


@pytest.fixture
def eager():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


# serialized_rollback: its flush then leaves the tables empty for the next such test,
# instead of re-creating content types under new ids that test's restore would clash with.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_burst_larger_than_one_batch_goes_out_in_one_beat_tick(journey, settings, eager):
    settings.REMINDER_SWEEP_BATCH = 3
    due = list(Reminder.objects.filter(journey=journey).values_list("pk", flat=True)[:7])
    Reminder.objects.filter(pk__in=due).update(due_at=timezone.now())

    sweep_reminders.delay()

    assert set(Reminder.objects.filter(pk__in=due).values_list("status", flat=True)) == {
        ReminderStatus.SENT
    }
    assert len(mail.outbox) == 7


def claimed_chunk(journey, capture, n=3):
    """`n` of the journey's reminders, due now and claimed by one sweep: (ids, token)."""
    due = list(Reminder.objects.filter(journey=journey).values_list("pk", flat=True)[:n])
    Reminder.objects.exclude(pk__in=due).update(status=ReminderStatus.CANCELLED)
    Reminder.objects.filter(pk__in=due).update(due_at=timezone.now())
    chunks = []
    with capture(execute=True):
        reminders_sweep(enqueue=lambda ids, token: chunks.append((ids, token)))
    [(ids, token)] = chunks
    return ids, token


def test_the_sweep_task_queues_one_send_task_per_chunk(
    journey, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.REMINDER_SEND_CHUNK = 2
    Reminder.objects.filter(journey=journey).update(due_at=timezone.now())
    due = Reminder.objects.filter(journey=journey).count()
    queued = []
    monkeypatch.setattr(send_reminders, "delay", lambda ids, token: queued.append(ids))
    monkeypatch.setattr(sweep_reminders, "delay", lambda: None)

    with django_capture_on_commit_callbacks(execute=True):
        claimed = sweep_reminders()

    assert claimed == due
    assert [len(ids) for ids in queued] == [2] * (due // 2) + [1] * (due % 2)


def test_a_chunk_redelivered_after_its_worker_died_goes_again_one_reminder_a_task(
    journey, django_capture_on_commit_callbacks, monkeypatch
):
    ids, token = claimed_chunk(journey, django_capture_on_commit_callbacks)
    queued = []
    monkeypatch.setattr(send_reminders, "delay", lambda *args: queued.append(args))

    send_reminders.push_request(delivery_info={"redelivered": True})
    try:
        outcome = send_reminders.run(ids, token)
    finally:
        send_reminders.pop_request()

    assert outcome == {"split": 3}
    assert queued == [([i], token) for i in ids]  # same lease: nothing waits for it
    assert set(Reminder.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        ReminderStatus.SENDING
    }
    assert mail.outbox == []


def test_a_chunk_delivered_the_first_time_is_sent_as_one(
    journey, django_capture_on_commit_callbacks
):
    ids, token = claimed_chunk(journey, django_capture_on_commit_callbacks)

    outcome = send_reminders.run(ids, token)

    assert outcome == {"sent": 3}
    assert len(mail.outbox) == 3
