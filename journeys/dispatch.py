"""Dispatching due reminders: claim with a checked write, send, record the outcome.

1. `reminders_sweep` claims due `pending` rows, and `sending` rows whose lease has
   expired, with one compare-and-set UPDATE (plus SKIP LOCKED on PostgreSQL), keeping
   at most REMINDER_SWEEP_BATCH in flight, and queues one `send_reminder` task per
   claimed row after commit.
2. `reminder_send` re-reads the row and does nothing unless its lease token still
   matches; it writes a Delivery row, calls the channel with the row's UUID as the
   idempotency key, then marks the reminder sent and the delivery succeeded in one
   transaction.
3. `reminder_resend` lets the care team put a failed reminder back, once they have
   corrected what made it fail.

Celery is the fast path only. A lost message or killed worker leaves the row
`sending` until its lease expires, and the next sweep claims it again.
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys.access import is_care_team
from journeys.audit import audit_record
from journeys.channels import CHANNELS, ChannelError
from journeys.models import Delivery, Reminder, ReminderStatus

logger = logging.getLogger(__name__)


def backoff(attempts):
    """Delay before retry number `attempts` (1-based): 1, 2, 4, 8 … minutes, capped at an hour."""
    return timedelta(minutes=min(2 ** (attempts - 1), 60))


def _claimable(now):
    return Q(status=ReminderStatus.PENDING, due_at__lte=now) | Q(
        status=ReminderStatus.SENDING, lease_expires_at__lte=now
    )


def reminders_sweep(*, now=None, enqueue):
    """Claim due rows; call `enqueue(id, token)` for each after commit. Returns claimed ids.

    At most REMINDER_SWEEP_BATCH reminders are in flight at once, counting those whose
    lease from an earlier sweep still runs: a claimed row must be sent before its lease
    expires, so the queue never holds more than the workers can send in one lease.
    """
    now = now or timezone.now()
    max_attempts = settings.REMINDER_MAX_ATTEMPTS
    lease = timedelta(seconds=settings.REMINDER_LEASE_SECONDS)
    # One token for this sweep's claims: the task checks (id, token), and a later claim
    # of the same row always brings a new token.
    token = uuid.uuid4()
    with transaction.atomic():
        if not _only_sweep():
            return []
        _fail_exhausted(now, max_attempts)
        in_flight = Reminder.objects.filter(
            status=ReminderStatus.SENDING, lease_expires_at__gt=now
        ).count()
        room = settings.REMINDER_SWEEP_BATCH - in_flight
        if room <= 0:
            return []
        candidates = (
            Reminder.objects.filter(_claimable(now), attempts__lt=max_attempts)
            # A send that crashed (its lease ran out) goes ahead of new work: it was due
            # first, and waiting behind a whole batch would break the lease's promise.
            .order_by(F("lease_expires_at").asc(nulls_last=True), "due_at")
            .values_list("id", flat=True)
        )
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates[:room])
        # Race: another sweep (without the lock: SQLite) may have claimed some of these
        # since we read them. A claim makes a row unclaimable (its lease runs), so
        # re-checking `_claimable` in the UPDATE lets exactly one sweep win each row.
        Reminder.objects.filter(_claimable(now), id__in=ids, attempts__lt=max_attempts).update(
            status=ReminderStatus.SENDING,
            lease_token=token,
            lease_expires_at=now + lease,
            attempts=F("attempts") + 1,
        )
        claimed = list(
            Reminder.objects.filter(id__in=ids, lease_token=token).values_list("id", flat=True)
        )
        transaction.on_commit(lambda: _enqueue_all(claimed, str(token), enqueue))
    return claimed


# pg_try_advisory_xact_lock key; any constant that nothing else in the database uses.
SWEEP_LOCK = 0x5350494E45  # "SPINE"


def _only_sweep():
    """On PostgreSQL, take the sweep lock for this transaction, or say another has it.

    Two beats, or sweeps that piled up behind a long queue, would otherwise run side by
    side, each counting the same rows in flight and claiming a full batch. The loser
    returns at once; the next tick sweeps again. SQLite runs one writer at a time.
    """
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SWEEP_LOCK])
        return cursor.fetchone()[0]


def _enqueue_all(claimed, token, enqueue):
    for done, reminder_id in enumerate(claimed):
        try:
            enqueue(reminder_id, token)
        except Exception:
            # The broker is down: these rows stay claimed and their lease expiry brings
            # them back to a later sweep, so nothing is lost. Each publish to a dead
            # broker takes its retries' worth of time, so stop at the first.
            logger.warning(
                "Could not queue reminders (broker unreachable); %s will be retried "
                "when their lease expires",
                len(claimed) - done,
            )
            return


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


@transaction.atomic
def reminder_resend(*, reminder, by, request=None):
    """Put a failed reminder back in the queue, due now with fresh attempts.

    For the care team, after correcting what made it fail (an address, a number). The
    next sweep sends it; the earlier deliveries and their errors stay as history.
    """
    journey = reminder.journey
    if not is_care_team(by) or by.clinic_id != journey.clinic_id:
        raise ValidationError(_("Only the care team can resend a reminder."), code="forbidden")
    previous_error = reminder.last_error
    # Race: the row may have been resent already by someone else; one write wins.
    won = Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.FAILED).update(
        status=ReminderStatus.PENDING,
        due_at=timezone.now(),
        attempts=0,
        lease_token=None,
        lease_expires_at=None,
        last_error="",
    )
    if won != 1:
        raise ValidationError(_("Only a failed reminder can be sent again."), code="not_failed")
    audit_record(
        actor=by,
        action="reminder.resend",
        patient=journey.patient,
        obj=reminder,
        request=request,
        previous_error=previous_error,
    )
    reminder.refresh_from_db()
    return reminder
