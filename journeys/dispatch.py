"""Dispatching due reminders: claim with a checked write, send, record the outcome.

1. `reminders_sweep` claims due `pending` rows, and `sending` rows whose lease has
   expired, with one compare-and-set UPDATE (plus SKIP LOCKED on PostgreSQL), keeping
   at most REMINDER_SWEEP_BATCH in flight, and after commit queues them in chunks of
   REMINDER_SEND_CHUNK; rows whose earlier send crashed go one to a chunk.
2. `reminders_send` takes one chunk: it loads the rows its lease token still holds,
   writes a Delivery row for each in one insert before any channel is called, calls
   the channel for each with the row's UUID as the idempotency key, then marks all
   the successes sent and their deliveries succeeded in one transaction. A failure is
   recorded on its own row: backoff in the row's due time, or failed for staff.
   `reminder_send` is the same for one reminder.
3. `reminder_resend` lets the care team put a failed reminder back, once they have
   corrected what made it fail.

Celery is the fast path only. A lost message or killed worker leaves the row
`sending` until its lease expires, and the next sweep claims it again.

A crash in the middle of a chunk (a killed worker, an unexpected exception, a time
limit) leaves every row of the chunk whose success was not yet recorded `sending`:
the rows sent before the crash go again, with the same idempotency key, once their
lease expires (or at once, when Celery requeues the chunk's message). That is the
contract of a single send, at-least-once with the provider deduplicating, with a
window of up to a chunk instead of one send. Their Delivery rows stay without an
outcome, each meaning "this send may have started". Reclaimed rows go one to a
chunk, so a reminder that crashes its worker every time can only delay its own send
and use up its own attempts.
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
    """Claim due rows; after commit call `enqueue(ids, token)` for each chunk of them.

    Returns the claimed ids, in the order they were queued.

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
        )
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        rows = list(candidates.values_list("id", "status")[:room])
        ids = [reminder_id for reminder_id, _status in rows]
        # Race: another sweep (without the lock: SQLite) may have claimed some of these
        # since we read them. A claim makes a row unclaimable (its lease runs), so
        # re-checking `_claimable` in the UPDATE lets exactly one sweep win each row.
        Reminder.objects.filter(_claimable(now), id__in=ids, attempts__lt=max_attempts).update(
            status=ReminderStatus.SENDING,
            lease_token=token,
            lease_expires_at=now + lease,
            attempts=F("attempts") + 1,
        )
        won = set(
            Reminder.objects.filter(id__in=ids, lease_token=token).values_list("id", flat=True)
        )
        chunks = _chunks([(i, status) for i, status in rows if i in won])
        transaction.on_commit(lambda: _enqueue_all(chunks, str(token), enqueue))
    return [reminder_id for chunk in chunks for reminder_id in chunk]


def _chunks(claimed):
    """Claimed (id, status before the claim) pairs as lists of ids to send together.

    A row that was `sending` had its lease run out: its last send never finished (a
    crash, a lost message), perhaps because of the row itself. It goes alone, so it
    cannot take a chunk down with it a second time.
    """
    size = settings.REMINDER_SEND_CHUNK
    crashed = [[i] for i, status in claimed if status == ReminderStatus.SENDING]
    fresh = [i for i, status in claimed if status != ReminderStatus.SENDING]
    return crashed + [fresh[start : start + size] for start in range(0, len(fresh), size)]


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


def _enqueue_all(chunks, token, enqueue):
    for done, chunk in enumerate(chunks):
        try:
            enqueue(chunk, token)
        except Exception:
            # The broker is down: these rows stay claimed and their lease expiry brings
            # them back to a later sweep, so nothing is lost. Each publish to a dead
            # broker takes its retries' worth of time, so stop at the first.
            logger.warning(
                "Could not queue reminders (broker unreachable); %s will be retried "
                "when their lease expires",
                sum(len(c) for c in chunks[done:]),
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
    return reminders_send(reminder_ids=[reminder_id], token=token)[reminder_id]


def reminders_send(*, reminder_ids, token):
    """Send the claimed reminders whose lease `token` still holds.

    Returns {id: outcome}: "sent", "sent-late" (sent, but another sweep had taken the
    lease meanwhile), "retry", "failed", or "stale" (not sent: the lease was gone).
    """
    outcomes = dict.fromkeys(reminder_ids, "stale")
    reminders = list(
        Reminder.objects.select_related("journey__patient", "journey__clinic")
        .filter(id__in=reminder_ids, status=ReminderStatus.SENDING, lease_token=token)
        .order_by("id")
    )
    if not reminders:
        return outcomes
    # Written before any channel call, so a send that crashes still leaves its trace.
    deliveries = _start_deliveries(reminders, timezone.now())
    sent = []
    try:
        for reminder, delivery in zip(reminders, deliveries, strict=True):
            try:
                provider_id = CHANNELS[reminder.channel]().send(reminder, delivery)
            except ChannelError as exc:
                outcomes[reminder.pk] = _record_failure(reminder, delivery, token, exc)
            else:
                sent.append((reminder, delivery, provider_id))
    finally:
        # Also when a send raised something else or the time limit struck: what went
        # out before it is recorded, and the rest waits for its lease.
        outcomes.update(_record_sent(sent, token))
    return outcomes


def _start_deliveries(reminders, now):
    """A Delivery row for each reminder, started `now`, in one INSERT."""
    deliveries = [
        Delivery(reminder=reminder, channel=reminder.channel, started_at=now)
        for reminder in reminders
    ]
    if connection.vendor != "postgresql":
        return Delivery.objects.bulk_create(deliveries)
    # bulk_create compiled a chunk's INSERT for longer than a fifth of the chunk's
    # whole send took (docs/benchmarks.md); the same rows from two arrays cost little.
    table = connection.ops.quote_name(Delivery._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} "  # noqa: S608 (the table name is our own)
            "(reminder_id, channel, started_at, provider_message_id, error) "
            "SELECT started.reminder_id, started.channel, %s, '', '' "
            "FROM unnest(%s::bigint[], %s::varchar[]) AS started(reminder_id, channel) "
            "RETURNING reminder_id, id",
            [now, [d.reminder_id for d in deliveries], [d.channel for d in deliveries]],
        )
        # Matched by reminder (one delivery each), not by the order rows come back in.
        ids = dict(cursor.fetchall())
    for delivery in deliveries:
        delivery.pk = ids[delivery.reminder_id]
        delivery._state.adding = False
    return deliveries


def _record_sent(sent, token):
    """Mark the sent reminders sent and their deliveries succeeded: one transaction."""
    if not sent:
        return {}
    now = timezone.now()
    ids = [reminder.pk for reminder, _delivery, _provider_id in sent]
    with transaction.atomic():
        won = _mark_sent(ids, token, now)
        _finish_deliveries(sent, now)
    return {i: "sent" if i in won else "sent-late" for i in ids}


def _mark_sent(ids, token, now):
    """Mark sent the rows of `ids` whose lease `token` still holds; returns their ids."""
    if connection.vendor != "postgresql":
        # Locked, so no sweep claims one of them between this read and the write.
        won = set(
            Reminder.objects.select_for_update()
            .filter(id__in=ids, status=ReminderStatus.SENDING, lease_token=token)
            .values_list("id", flat=True)
        )
        Reminder.objects.filter(
            id__in=won, status=ReminderStatus.SENDING, lease_token=token
        ).update(status=ReminderStatus.SENT, sent_at=now, lease_token=None, last_error="")
        return won
    # One statement: the UPDATE locks each row, checks the lease again on the row as it
    # is once locked (a sweep may have claimed it meanwhile), and says which it changed.
    table = connection.ops.quote_name(Reminder._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, sent_at = %s, lease_token = NULL, "  # noqa: S608
            "last_error = '' WHERE id = ANY(%s) AND status = %s AND lease_token = %s::uuid "
            "RETURNING id",
            [ReminderStatus.SENT, now, list(ids), ReminderStatus.SENDING, str(token)],
        )
        return {row[0] for row in cursor.fetchall()}


def _finish_deliveries(sent, now):
    """Mark the deliveries succeeded, with the provider's message ids, in one UPDATE."""
    for _reminder, delivery, provider_id in sent:
        delivery.finished_at = now
        delivery.succeeded = True
        delivery.provider_message_id = provider_id or ""
    deliveries = [delivery for _reminder, delivery, _provider_id in sent]
    if connection.vendor != "postgresql":
        Delivery.objects.bulk_update(
            deliveries, ["finished_at", "succeeded", "provider_message_id"]
        )
        return
    # bulk_update's CASE WHEN per row costs more than all the rest of a chunk; one
    # UPDATE joined to arrays of ids and message ids costs next to nothing.
    table = connection.ops.quote_name(Delivery._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET finished_at = %s, succeeded = true, "  # noqa: S608
            "provider_message_id = sent.message_id "
            "FROM unnest(%s::bigint[], %s::text[]) AS sent(id, message_id) "
            f"WHERE {table}.id = sent.id",
            [now, [d.pk for d in deliveries], [d.provider_message_id for d in deliveries]],
        )


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
