"""Celery tasks: thin wrappers that take ids and call functions in journeys/."""

from celery import shared_task

from journeys.dispatch import reminder_send, reminders_sweep
from journeys.reconcile_many import reminders_reconcile_all


@shared_task
def sweep_reminders():
    claimed = reminders_sweep(enqueue=lambda rid, token: send_reminder.delay(rid, token))
    if claimed:
        # More may be due than one batch holds: sweep again behind these sends (the
        # queue is first in, first out), not a whole beat interval later, or a burst
        # goes out at one batch a minute. The first sweep that claims nothing stops.
        sweep_reminders.delay()
    return len(claimed)


@shared_task
def send_reminder(reminder_id, token):
    return reminder_send(reminder_id=reminder_id, token=token)


@shared_task
def reconcile_all_reminders():
    journeys, _created, _moved, _cancelled = reminders_reconcile_all()
    return journeys
