"""The Celery app the benchmark's workers run (`celery -A journeys.bench.worker`).

SpineCare's own app and tasks, with two differences that exist only here:

- every reminder channel is replaced by the null channel (journeys/bench/null_channel.py),
  which sends nothing and counts each call per reminder in Redis;
- `eta_send` is the approach most Django projects take, measured side by side: one
  task per reminder, queued when it is planned with `apply_async(eta=due time)`, that
  sends and marks the row sent. No lease: the queued message is the only record that
  the send is still to do.
"""

from django.utils import timezone

from journeys.bench.null_channel import NullChannel
from journeys.channels import CHANNELS
from spinecare.celery import app

CHANNELS.update(dict.fromkeys(CHANNELS, NullChannel))


@app.task(name="journeys.bench.worker.eta_send")
def eta_send(reminder_id):
    from journeys.models import Reminder, ReminderStatus

    reminder = Reminder.objects.select_related("journey__patient", "journey__clinic").get(
        pk=reminder_id
    )
    if reminder.status != ReminderStatus.PENDING:
        return "skipped"
    CHANNELS[reminder.channel]().send(reminder, None)
    Reminder.objects.filter(pk=reminder_id).update(
        status=ReminderStatus.SENT, sent_at=timezone.now()
    )
    return "sent"
