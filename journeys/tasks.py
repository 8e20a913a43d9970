"""Celery tasks: thin wrappers that take ids and call functions in journeys/."""

from celery import shared_task

from journeys.dispatch import reminder_send, reminders_sweep
from journeys.models import Journey, JourneyStatus
from journeys.reconcile import reminders_reconcile


@shared_task
def sweep_reminders():
    return len(reminders_sweep(enqueue=lambda rid, token: send_reminder.delay(rid, token)))


@shared_task
def send_reminder(reminder_id, token):
    return reminder_send(reminder_id=reminder_id, token=token)


@shared_task
def reconcile_all_reminders():
    ids = Journey.objects.filter(status=JourneyStatus.ACTIVE).values_list("pk", flat=True)
    for journey_id in ids.iterator():
        reminders_reconcile(journey=Journey(pk=journey_id))
    return len(ids)
