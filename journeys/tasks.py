"""Celery tasks: thin wrappers that take ids and call functions in journeys/."""

from collections import Counter

from celery import shared_task

from journeys.dispatch import reminder_send, reminders_send, reminders_sweep
from journeys.reconcile_many import reminders_reconcile_all


@shared_task
def sweep_reminders():
    claimed = reminders_sweep(enqueue=lambda ids, token: send_reminders.delay(ids, token))
    if claimed:
        # More may be due than one batch holds: sweep again behind these sends (the
        # queue is first in, first out), not a whole beat interval later, or a burst
        # goes out at one batch a minute. The first sweep that claims nothing stops.
        sweep_reminders.delay()
    return len(claimed)


@shared_task(bind=True)
def send_reminders(self, reminder_ids, token):
    if len(reminder_ids) > 1 and (self.request.delivery_info or {}).get("redelivered"):
        # This chunk's worker died under it (task_reject_on_worker_lost requeued it),
        # perhaps because of one of its reminders. Each goes alone now, under the same
        # lease, so that one cannot take the others down again and again.
        for reminder_id in reminder_ids:
            send_reminders.delay([reminder_id], token)
        return {"split": len(reminder_ids)}
    return dict(Counter(reminders_send(reminder_ids=reminder_ids, token=token).values()))


@shared_task
def send_reminder(reminder_id, token):
    """One reminder a task: what sweeps queued before chunks; kept for their messages."""
    return reminder_send(reminder_id=reminder_id, token=token)


@shared_task
def reconcile_all_reminders():
    journeys, _created, _moved, _cancelled = reminders_reconcile_all()
    return journeys
