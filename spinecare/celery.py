"""The Celery app.

Celery is only the fast path for reminders: the reminder row in the database is the
guarantee (see journeys/dispatch.py). These settings make a lost or repeated message
cost at most a delay or one duplicate request, never a missed reminder.
"""

import os

from celery import Celery, signals
from django.conf import settings
from django.db import close_old_connections, connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spinecare.settings")

app = Celery("spinecare")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_acks_late=True,
    # Safe because the send tasks are idempotent and attempts are capped in the row;
    # a requeued chunk goes again one reminder a task (journeys/tasks.py).
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
# Celery's Django fixup closes the database connection before and after every task,
# whatever CONN_MAX_AGE says, unless this old setting asks it to keep them for that
# many tasks (unchecked). Out of reach, it hands the connections to the handlers below.
app.conf.update(CELERY_DB_REUSE_MAX=10**9)
app.autodiscover_tasks()


@signals.worker_process_init.connect
def keep_database_connections(**kwargs):
    """Each pool process keeps its connection for WORKER_CONN_MAX_AGE seconds.

    Opening one per task cost more than the work of a small task (measured: 200
    tasks of one query took 3.2 s with a connection each, 1.2 s with one kept). The
    health check makes the first query of each task find out if the connection died
    meanwhile (PostgreSQL restarted) and open a new one. Only in the workers: web
    processes follow DATABASE_CONN_MAX_AGE.
    """
    for alias in connections:
        connections.settings[alias]["CONN_MAX_AGE"] = settings.WORKER_CONN_MAX_AGE
        connections.settings[alias]["CONN_HEALTH_CHECKS"] = True


@signals.task_prerun.connect
@signals.task_postrun.connect
def close_old_database_connections(sender=None, **kwargs):
    """Between tasks, what Django does between requests: close a connection that is
    broken or older than its maximum age."""
    if getattr(sender.request, "is_eager", False):
        return  # inside the caller's own work (tests), whose connection it is
    close_old_connections()
