"""The dispatch functions on their own: claiming, sending, failing, backing off, resending.

The channel edge is real (the fake SMS provider on 127.0.0.1); Celery is not involved:
`enqueue` is whatever the test passes. tests/test_reliability.py runs the same code
under real workers.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from journeys.channels import CHANNELS
from journeys.channels.sms import SMSChannel
from journeys.dispatch import (
    SWEEP_LOCK,
    backoff,
    reminder_resend,
    reminder_send,
    reminders_send,
    reminders_sweep,
)
from journeys.models import AuditEvent, Channel, Delivery, Reminder, ReminderStatus, User
from tests.fakes.sms_provider import API_KEY, FakeSMSProvider


@pytest.fixture
def provider(settings):
    with FakeSMSProvider() as fake:
        settings.SMS_BACKEND = "http"
        settings.SMS_API_URL = fake.url
        settings.SMS_API_KEY = API_KEY
        yield fake


@pytest.fixture
def quiet_journey(journey):
    """The journey with its planned reminders cancelled, so only the test's rows are due."""
    journey.reminders.update(status=ReminderStatus.CANCELLED)
    User.objects.filter(pk=journey.patient_id).update(phone="+15551234567")
    journey.patient.refresh_from_db()
    return journey


def due_sms(journey, n=1, *, prefix="test:sms", due_at=None, **fields):
    due_at = due_at or timezone.now() - timedelta(seconds=1)
    return Reminder.objects.bulk_create(
        Reminder(
            journey=journey,
            key=f"{prefix}:{i}",
            channel=Channel.SMS,
            due_at=due_at,
            subject="Instruction due",
            body="Stop clopidogrel today.",
            **fields,
        )
        for i in range(n)
    )


class Queue:
    """Stands in for Celery: records what the sweep queues, one call per chunk."""

    def __init__(self, fail=False):
        self.fail = fail
        self.calls = []

    def __call__(self, reminder_ids, token):
        self.calls.append((reminder_ids, token))
        if self.fail:
            raise ConnectionError("broker down")

    @property
    def queued(self):
        """(id, token) of every reminder queued, in order."""
        return [(i, token) for ids, token in self.calls for i in ids]


def sweep(django_capture_on_commit_callbacks, queue, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return reminders_sweep(enqueue=queue, **kwargs)


def test_a_sweep_claims_each_due_row_once_with_a_lease_and_queues_it_after_commit(
    quiet_journey, django_capture_on_commit_callbacks, settings
):
    due = due_sms(quiet_journey, 3)
    [later] = due_sms(quiet_journey, prefix="later", due_at=timezone.now() + timedelta(hours=1))
    queue = Queue()

    claimed = sweep(django_capture_on_commit_callbacks, queue)
    again = sweep(django_capture_on_commit_callbacks, queue)

    assert sorted(claimed) == sorted(r.pk for r in due)
    assert again == []
    rows = Reminder.objects.filter(pk__in=claimed)
    assert {r.status for r in rows} == {ReminderStatus.SENDING}
    assert {r.attempts for r in rows} == {1}
    assert sorted(queue.queued) == sorted((r.pk, str(r.lease_token)) for r in rows)
    lease = timedelta(seconds=settings.REMINDER_LEASE_SECONDS)
    assert all(r.lease_expires_at > timezone.now() + lease - timedelta(minutes=1) for r in rows)
    assert Reminder.objects.get(pk=later.pk).status == ReminderStatus.PENDING


def test_a_sweep_keeps_no_more_than_the_batch_in_flight(
    quiet_journey, django_capture_on_commit_callbacks, settings
):
    settings.REMINDER_SWEEP_BATCH = 3
    due_sms(quiet_journey, 5)

    first = sweep(django_capture_on_commit_callbacks, Queue())
    second = sweep(django_capture_on_commit_callbacks, Queue())
    # Leases that have run out no longer count as in flight.
    after_lease = timezone.now() + timedelta(seconds=settings.REMINDER_LEASE_SECONDS + 1)
    third = sweep(django_capture_on_commit_callbacks, Queue(), now=after_lease)

    assert (len(first), len(second), len(third)) == (3, 0, 3)


def test_a_sweep_that_finds_another_sweep_running_returns_at_once(
    quiet_journey, require_postgres, django_capture_on_commit_callbacks
):
    due_sms(quiet_journey, 3)
    other = connections.create_connection(DEFAULT_DB_ALIAS)  # e.g. the second beat's sweep
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [SWEEP_LOCK])
        while_held = sweep(django_capture_on_commit_callbacks, Queue())
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SWEEP_LOCK])
        after = sweep(django_capture_on_commit_callbacks, Queue())
    finally:
        other.close()

    assert (len(while_held), len(after)) == (0, 3)


def test_a_row_whose_lease_expired_is_claimed_again_with_a_new_token(
    quiet_journey, django_capture_on_commit_callbacks, settings
):
    [reminder] = due_sms(quiet_journey)
    sweep(django_capture_on_commit_callbacks, Queue())
    first_token = Reminder.objects.get(pk=reminder.pk).lease_token
    after_lease = timezone.now() + timedelta(seconds=settings.REMINDER_LEASE_SECONDS + 1)

    claimed = sweep(django_capture_on_commit_callbacks, Queue(), now=after_lease)

    reminder.refresh_from_db()
    assert claimed == [reminder.pk]
    assert reminder.attempts == 2
    assert reminder.lease_token != first_token
    # The first message, if it still arrives, finds its lease gone and sends nothing.
    assert reminder_send(reminder_id=reminder.pk, token=str(first_token)) == "stale"
    assert reminder.deliveries.count() == 0


def test_with_the_broker_down_the_sweep_stops_queueing_and_the_lease_brings_rows_back(
    quiet_journey, django_capture_on_commit_callbacks, settings, caplog
):
    due = due_sms(quiet_journey, 5)
    down = Queue(fail=True)

    claimed = sweep(django_capture_on_commit_callbacks, down)

    # One failed publish, not five: each one against a dead broker costs its retries.
    assert len(down.calls) == 1
    assert "5 will be retried when their lease expires" in caplog.text
    assert len(claimed) == 5
    assert set(Reminder.objects.filter(pk__in=claimed).values_list("status", flat=True)) == {
        ReminderStatus.SENDING
    }
    after_lease = timezone.now() + timedelta(seconds=settings.REMINDER_LEASE_SECONDS + 1)
    up = Queue()
    reclaimed = sweep(django_capture_on_commit_callbacks, up, now=after_lease)
    assert sorted(reclaimed) == sorted(r.pk for r in due)
    # Their sends never finished, perhaps because of one of them: each goes alone.
    assert sorted(up.calls) == sorted(([r.pk], up.calls[0][1]) for r in due)


def test_a_claimed_sms_reminder_is_sent_with_its_uuid_and_recorded(
    quiet_journey, provider, django_capture_on_commit_callbacks
):
    [reminder] = due_sms(quiet_journey)
    queue = Queue()
    sweep(django_capture_on_commit_callbacks, queue)
    [([reminder_id], token)] = queue.calls

    outcome = reminder_send(reminder_id=reminder_id, token=token)

    reminder.refresh_from_db()
    assert outcome == "sent"
    assert reminder.status == ReminderStatus.SENT
    assert reminder.lease_token is None
    delivery = reminder.deliveries.get()
    assert delivery.succeeded is True
    assert delivery.channel == "sms"
    assert delivery.provider_message_id == provider.messages[str(reminder.uuid)].id
    assert [r.key for r in provider.requests] == [str(reminder.uuid)]


def test_a_transient_failure_backs_off_in_the_row_not_in_celery(
    quiet_journey, provider, django_capture_on_commit_callbacks
):
    [reminder] = due_sms(quiet_journey)
    queue = Queue()
    sweep(django_capture_on_commit_callbacks, queue)
    provider.fail_next("500")
    before = timezone.now()

    outcome = reminder_send(reminder_id=reminder.pk, token=queue.calls[0][1])

    reminder.refresh_from_db()
    assert outcome == "retry"
    assert reminder.status == ReminderStatus.PENDING
    assert reminder.lease_token is None
    assert reminder.due_at >= before + backoff(1)
    assert reminder.last_error == "SMS provider error (HTTP 500)."
    delivery = reminder.deliveries.get()
    assert (delivery.succeeded, delivery.error) == (False, "SMS provider error (HTTP 500).")


def test_a_permanent_failure_is_marked_failed_with_its_reason_for_staff(
    quiet_journey, provider, django_capture_on_commit_callbacks
):
    [reminder] = due_sms(quiet_journey)
    queue = Queue()
    sweep(django_capture_on_commit_callbacks, queue)
    provider.fail_next("400")

    outcome = reminder_send(reminder_id=reminder.pk, token=queue.calls[0][1])

    due_at = reminder.due_at
    reminder.refresh_from_db()
    assert outcome == "failed"
    assert reminder.status == ReminderStatus.FAILED
    assert reminder.attempts == 1
    assert reminder.last_error == "The SMS provider refused the number or message (HTTP 400)."
    assert reminder.due_at == due_at  # given up, not backed off
    assert reminder.lease_token is None


def test_the_last_allowed_attempt_failing_transiently_gives_up(
    quiet_journey, provider, django_capture_on_commit_callbacks, settings
):
    [reminder] = due_sms(quiet_journey, attempts=settings.REMINDER_MAX_ATTEMPTS - 1)
    queue = Queue()
    sweep(django_capture_on_commit_callbacks, queue)
    provider.fail_next("500")

    outcome = reminder_send(reminder_id=reminder.pk, token=queue.calls[0][1])

    reminder.refresh_from_db()
    assert outcome == "failed"
    assert reminder.status == ReminderStatus.FAILED
    assert reminder.attempts == settings.REMINDER_MAX_ATTEMPTS


def test_a_reminder_that_kills_its_worker_every_time_ends_failed_not_in_a_loop(
    quiet_journey, django_capture_on_commit_callbacks, settings
):
    [reminder] = due_sms(quiet_journey)
    lease = timedelta(seconds=settings.REMINDER_LEASE_SECONDS + 1)
    now = timezone.now()

    # Each sweep claims it; each worker dies before recording anything.
    claims = []
    for n in range(settings.REMINDER_MAX_ATTEMPTS + 2):
        claims.append(sweep(django_capture_on_commit_callbacks, Queue(), now=now + n * lease))

    reminder.refresh_from_db()
    assert claims == [[reminder.pk]] * settings.REMINDER_MAX_ATTEMPTS + [[], []]
    assert reminder.status == ReminderStatus.FAILED
    assert reminder.attempts == settings.REMINDER_MAX_ATTEMPTS
    assert reminder.last_error == f"Gave up after {settings.REMINDER_MAX_ATTEMPTS} attempts."
    assert reminder.lease_token is None


def test_a_sweep_queues_its_claims_in_chunks_of_the_send_chunk_setting(
    quiet_journey, django_capture_on_commit_callbacks, settings
):
    settings.REMINDER_SEND_CHUNK = 4
    due = due_sms(quiet_journey, 10)
    queue = Queue()

    claimed = sweep(django_capture_on_commit_callbacks, queue)

    assert [len(ids) for ids, _token in queue.calls] == [4, 4, 2]  # ceil(10 / 4) tasks
    assert len({token for _ids, token in queue.calls}) == 1
    assert sorted(i for i, _token in queue.queued) == sorted(r.pk for r in due)
    assert [i for i, _token in queue.queued] == claimed


def claim_chunk(journey, n, django_capture_on_commit_callbacks):
    """`n` due texts claimed by one sweep: (their ids in send order, the lease token)."""
    due_sms(journey, n)
    queue = Queue()
    sweep(django_capture_on_commit_callbacks, queue)
    [(ids, token)] = queue.calls
    return sorted(ids), token


def test_a_chunk_sends_each_reminder_with_its_own_key_and_records_them_all(
    quiet_journey, provider, django_capture_on_commit_callbacks
):
    ids, token = claim_chunk(quiet_journey, 3, django_capture_on_commit_callbacks)

    outcomes = reminders_send(reminder_ids=ids, token=token)

    assert outcomes == dict.fromkeys(ids, "sent")
    rows = Reminder.objects.filter(pk__in=ids)
    assert {(r.status, r.lease_token) for r in rows} == {(ReminderStatus.SENT, None)}
    assert sorted(r.key for r in provider.requests) == sorted(str(r.uuid) for r in rows)
    for reminder in rows:
        delivery = reminder.deliveries.get()
        assert delivery.succeeded is True
        assert delivery.provider_message_id == provider.messages[str(reminder.uuid)].id


def test_in_a_chunk_a_transient_failure_backs_off_and_the_others_are_sent(
    quiet_journey, provider, django_capture_on_commit_callbacks
):
    first, *others = ids = claim_chunk(quiet_journey, 3, django_capture_on_commit_callbacks)[0]
    token = str(Reminder.objects.get(pk=first).lease_token)
    provider.fail_next("500")  # the chunk sends in id order: the first one fails
    before = timezone.now()

    outcomes = reminders_send(reminder_ids=ids, token=token)

    assert outcomes == {first: "retry", **dict.fromkeys(others, "sent")}
    failed = Reminder.objects.get(pk=first)
    assert (failed.status, failed.lease_token) == (ReminderStatus.PENDING, None)
    assert failed.due_at >= before + backoff(1)
    assert failed.last_error == "SMS provider error (HTTP 500)."
    assert failed.deliveries.get().succeeded is False
    assert set(Reminder.objects.filter(pk__in=others).values_list("status", flat=True)) == {
        ReminderStatus.SENT
    }
    assert set(provider.messages) == {
        str(u) for u in Reminder.objects.filter(pk__in=others).values_list("uuid", flat=True)
    }


def test_a_chunk_skips_a_row_whose_lease_another_sweep_has_taken(
    quiet_journey, provider, django_capture_on_commit_callbacks, settings
):
    ids, token = claim_chunk(quiet_journey, 3, django_capture_on_commit_callbacks)
    taken = ids[1]
    # Its lease ran out before this chunk's message arrived, and a sweep claimed it again.
    Reminder.objects.filter(pk=taken).update(lease_expires_at=timezone.now())
    assert sweep(django_capture_on_commit_callbacks, Queue()) == [taken]

    outcomes = reminders_send(reminder_ids=ids, token=token)

    assert outcomes[taken] == "stale"
    assert [outcomes[i] for i in ids if i != taken] == ["sent", "sent"]
    row = Reminder.objects.get(pk=taken)
    assert row.status == ReminderStatus.SENDING
    assert row.lease_token != token
    assert row.deliveries.count() == 0
    assert str(row.uuid) not in {r.key for r in provider.requests}


def test_a_chunk_costs_the_same_queries_whatever_its_size(
    quiet_journey, provider, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    n = 40
    ids, token = claim_chunk(quiet_journey, n, django_capture_on_commit_callbacks)
    small, large = ids[:2], ids[2:]

    # Load, insert the deliveries, then lock, mark sent and update the deliveries in one
    # transaction (two more lines here: the savepoint inside the test's transaction).
    with django_assert_max_num_queries(7) as queries_small:
        reminders_send(reminder_ids=small, token=token)
    with django_assert_max_num_queries(7) as queries_large:
        outcomes = reminders_send(reminder_ids=large, token=token)

    assert set(outcomes.values()) == {"sent"}
    assert len(queries_large) == len(queries_small)


def test_a_crash_mid_chunk_records_what_went_out_and_leaves_the_rest_to_their_lease(
    quiet_journey, provider, django_capture_on_commit_callbacks, settings, monkeypatch
):
    ids, token = claim_chunk(quiet_journey, 3, django_capture_on_commit_callbacks)
    sent, crashing, untried = ids

    class CrashingChannel(SMSChannel):
        def send(self, reminder, delivery):
            if reminder.pk == crashing:
                raise RuntimeError("a bug, not the provider's answer")
            return super().send(reminder, delivery)

    monkeypatch.setitem(CHANNELS, Channel.SMS, CrashingChannel)

    with pytest.raises(RuntimeError):
        reminders_send(reminder_ids=ids, token=token)

    assert Reminder.objects.get(pk=sent).status == ReminderStatus.SENT
    rest = Reminder.objects.filter(pk__in=[crashing, untried])
    assert {(r.status, str(r.lease_token)) for r in rest} == {(ReminderStatus.SENDING, token)}
    # Their deliveries were written before the channel was called; no outcome came.
    unfinished = Delivery.objects.filter(reminder__in=rest)
    assert [(d.succeeded, d.finished_at) for d in unfinished] == [(None, None)] * 2

    # When their lease runs out, each comes back alone: the crashing one cannot stop
    # the other a second time.
    after_lease = timezone.now() + timedelta(seconds=settings.REMINDER_LEASE_SECONDS + 1)
    queue = Queue()
    sweep(django_capture_on_commit_callbacks, queue, now=after_lease)
    assert sorted(ids for ids, _token in queue.calls) == [[crashing], [untried]]


def test_staff_correct_the_number_and_resend_a_failed_reminder(
    quiet_journey, provider, nurse, django_capture_on_commit_callbacks
):
    [reminder] = due_sms(quiet_journey)
    User.objects.filter(pk=quiet_journey.patient_id).update(phone="555-0100")
    queue = Queue()
    sweep(django_capture_on_commit_callbacks, queue)
    assert reminder_send(reminder_id=reminder.pk, token=queue.calls[0][1]) == "failed"
    reminder.refresh_from_db()
    assert reminder.last_error.startswith("The patient's mobile number is not a full")

    User.objects.filter(pk=quiet_journey.patient_id).update(phone="+1 555 123 4567")
    before = timezone.now()
    resent = reminder_resend(reminder=reminder, by=nurse)

    assert resent.status == ReminderStatus.PENDING
    assert (resent.attempts, resent.last_error, resent.lease_token) == (0, "", None)
    assert before <= resent.due_at <= timezone.now()
    event = AuditEvent.objects.get(action="reminder.resend")
    assert (event.actor, event.patient) == (nurse, quiet_journey.patient)
    assert event.object_id == str(reminder.pk)
    assert event.detail["previous_error"].startswith("The patient's mobile number")

    queue = Queue()
    sweep(django_capture_on_commit_callbacks, queue)
    assert reminder_send(reminder_id=reminder.pk, token=queue.calls[0][1]) == "sent"
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT
    assert [d.succeeded for d in reminder.deliveries.all()] == [False, True]


def test_only_a_failed_reminder_can_be_resent(quiet_journey, nurse):
    [reminder] = due_sms(quiet_journey)

    with pytest.raises(ValidationError) as error:
        reminder_resend(reminder=reminder, by=nurse)

    assert error.value.code == "not_failed"
    assert not AuditEvent.objects.filter(action="reminder.resend").exists()


def test_a_second_resend_of_the_same_failure_is_refused(quiet_journey, nurse):
    [reminder] = due_sms(quiet_journey, status=ReminderStatus.FAILED, last_error="x")
    reminder_resend(reminder=reminder, by=nurse)

    with pytest.raises(ValidationError) as error:
        reminder_resend(reminder=reminder, by=nurse)

    assert error.value.code == "not_failed"
    assert AuditEvent.objects.filter(action="reminder.resend").count() == 1


@pytest.mark.parametrize("who", ["patient", "other_clinic_nurse"])
def test_only_the_journeys_care_team_may_resend(quiet_journey, who, request):
    [reminder] = due_sms(quiet_journey, status=ReminderStatus.FAILED, last_error="x")
    by = request.getfixturevalue(who)

    with pytest.raises(ValidationError) as error:
        reminder_resend(reminder=reminder, by=by)

    assert error.value.code == "forbidden"
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.FAILED
