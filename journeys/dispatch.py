"""Dispatching due reminders: claim with a checked write, send, record the outcome.

1. `reminders_sweep` claims due `pending` rows, and `sending` rows whose lease has
   expired, with a compare-and-set UPDATE (plus SKIP LOCKED on PostgreSQL), and
   queues one `send_reminder` task per claimed row after commit.
2. `reminder_send` re-reads the row and does nothing unless its lease token still
   matches; it writes a Delivery row, calls the channel with the row's UUID as the
   idempotency key, then marks the reminder sent and the delivery succeeded in one
   transaction.

Celery is the fast path only. A lost message or killed worker leaves the row
`sending` until its lease expires, and the next sweep claims it again.
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from journeys.channels import CHANNELS, ChannelError
from journeys.models import Delivery, Reminder, ReminderStatus

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500


def backoff(attempts):
    """Delay before retry number `attempts` (1-based): 1, 2, 4, 8 … minutes, capped at an hour."""
    return timedelta(minutes=min(2 ** (attempts - 1), 60))


def _claimable(now):
    return Q(status=ReminderStatus.PENDING, due_at__lte=now) | Q(
        status=ReminderStatus.SENDING, lease_expires_at__lte=now
    )


def reminders_sweep(*, now=None, enqueue):
    """Claim due rows; call `enqueue(id, token)` for each after commit. Returns claimed ids."""
    now = now or timezone.now()
    max_attempts = settings.REMINDER_MAX_ATTEMPTS
    lease = timedelta(seconds=settings.REMINDER_LEASE_SECONDS)
    _fail_exhausted(now, max_attempts)
    claimed = []
    with transaction.atomic():
        candidates = (
            Reminder.objects.filter(_claimable(now), attempts__lt=max_attempts)
            .order_by("due_at")
            .values_list("id", "status", "lease_token")
        )
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        for reminder_id, status, token in candidates[:SWEEP_BATCH]:
            new_token = uuid.uuid4()
            # Race: another sweep (a second beat, another connection) may have claimed
            # this row since we read it; only one compare-and-set can match.
            won = Reminder.objects.filter(
                _claimable(now), id=reminder_id, status=status, lease_token=token
            ).update(
                status=ReminderStatus.SENDING,
                lease_token=new_token,
                lease_expires_at=now + lease,
                attempts=F("attempts") + 1,
            )
            if won == 1:
                claimed.append((reminder_id, new_token))
        transaction.on_commit(lambda: _enqueue_all(claimed, enqueue))
    return [reminder_id for reminder_id, _ in claimed]


def _enqueue_all(claimed, enqueue):
    for reminder_id, token in claimed:
        try:
            enqueue(reminder_id, str(token))
        except Exception:
            # The broker is down: the row stays claimed and its lease expiry brings it
            # back to the next sweep. Nothing is lost, so log and move on.
            logger.warning("Could not queue reminder %s; it will be retried", reminder_id)


def _fail_exhausted(now, max_attempts):
    """A reminder that crashed its worker every time ends failed, visible to staff."""
    Reminder.objects.filter(
        status=ReminderStatus.SENDING, lease_expires_at__lte=now, attempts__gte=max_attempts
    ).update(
        status=ReminderStatus.FAILED,
        lease_token=None,
        last_error=f"Gave up after {max_attempts} attempts.",
    )


def reminder_send(*, reminder_id, token):
    """Send one claimed reminder if `token` still holds its lease. Returns the outcome."""
    reminder = (
        Reminder.objects.select_related("journey__patient", "journey__clinic")
        .filter(id=reminder_id, status=ReminderStatus.SENDING, lease_token=token)
        .first()
    )
    if reminder is None:
        return "stale"
    now = timezone.now()
    delivery = Delivery.objects.create(reminder=reminder, channel=reminder.channel, started_at=now)
    try:
        provider_id = CHANNELS[reminder.channel]().send(reminder, delivery)
    except ChannelError as exc:
        return _record_failure(reminder, delivery, token, exc)
    with transaction.atomic():
        won = Reminder.objects.filter(
            id=reminder.pk, status=ReminderStatus.SENDING, lease_token=token
        ).update(
            status=ReminderStatus.SENT, sent_at=timezone.now(), lease_token=None, last_error=""
        )
        delivery.finished_at = timezone.now()
        delivery.succeeded = True
        delivery.provider_message_id = provider_id or ""
        delivery.save(update_fields=["finished_at", "succeeded", "provider_message_id"])
    return "sent" if won else "sent-late"


def _record_failure(reminder, delivery, token, exc):
    now = timezone.now()
    give_up = exc.permanent or reminder.attempts >= settings.REMINDER_MAX_ATTEMPTS
    with transaction.atomic():
        delivery.finished_at = now
        delivery.succeeded = False
        delivery.error = exc.message[:500]
        delivery.save(update_fields=["finished_at", "succeeded", "error"])
        # Backoff goes into the row's due time, never into a Celery countdown.
        Reminder.objects.filter(
            id=reminder.pk, status=ReminderStatus.SENDING, lease_token=token
        ).update(
            status=ReminderStatus.FAILED if give_up else ReminderStatus.PENDING,
            due_at=reminder.due_at if give_up else now + backoff(reminder.attempts),
            lease_token=None,
            lease_expires_at=None,
            last_error=exc.message[:500],
        )
    logger.warning("Reminder %s attempt %s failed: %s", reminder.pk, reminder.attempts, exc.message)
    return "failed" if give_up else "retry"
