"""journeys/tasks.py: the thin Celery tasks, run eagerly (tests/test_celery_worker.py
runs them in a real worker)."""

import pytest
from django.core import mail
from django.utils import timezone

from journeys.models import Reminder, ReminderStatus
from journeys.tasks import sweep_reminders
from spinecare.celery import app


@pytest.fixture
def eager():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_a_burst_larger_than_one_batch_goes_out_in_one_beat_tick(
    transactional_db, journey, settings, eager
):
    settings.REMINDER_SWEEP_BATCH = 3
    due = list(Reminder.objects.filter(journey=journey).values_list("pk", flat=True)[:7])
    Reminder.objects.filter(pk__in=due).update(due_at=timezone.now())

    sweep_reminders.delay()

    assert set(Reminder.objects.filter(pk__in=due).values_list("status", flat=True)) == {
        ReminderStatus.SENT
    }
    assert len(mail.outbox) == 7
