"""The Celery app.

Celery is only the fast path for reminders: the reminder row in the database is the
guarantee (see journeys/dispatch.py). These settings make a lost or repeated message
cost at most a delay or one duplicate request, never a missed reminder.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spinecare.settings")

app = Celery("spinecare")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_acks_late=True,
    # Safe because send_reminder is idempotent and attempts are capped in the row.
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    worker_cancel_long_running_tasks_on_connection_loss=True,
    # Well below Redis's visibility timeout (3600 s), so Redis never hands a task
    # that is still running to a second worker.
    task_time_limit=120,
    task_soft_time_limit=100,
    worker_soft_shutdown_timeout=30,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    timezone="UTC",
)
app.autodiscover_tasks()
