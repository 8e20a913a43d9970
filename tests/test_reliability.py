"""The reminder outbox under real failures: killed workers, two beats, Redis and
PostgreSQL going away.

Everything is real except the SMS provider, which is the local fake in
tests/fakes/sms_provider.py: it honours the Idempotency-Key like a real provider and
counts every request, so a duplicate *request* (what a retry costs) is told apart from a
duplicate *delivery* (what a patient would see). Workers are `celery worker`
subprocesses against the test database and a private redis-server, sweeping every
second with a ten-second lease. Each assertion message reports sent, duplicated and
lost (and each test prints it: `pytest -rP` shows the counts of passing runs too).

What the outbox promises (DESIGN.md, "Reminders: a database outbox"): every reminder
goes out, a crashed send within the lease plus two sweeps; at most one duplicate
request per send that was in flight; never a duplicate delivery; no page needs Redis.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import psycopg2
import pytest
from celery import Celery
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from journeys.dispatch import reminders_sweep
from journeys.models import Channel, Delivery, Reminder, ReminderStatus, User
from tests.conftest import PASSWORD
from tests.fakes.sms_provider import API_KEY, FakeSMSProvider
from tests.processes import (
    ROOT,
    PostgresCluster,
    RedisServer,
    database_url,
    forget_queue,
    start_worker,
    wait_for,
)

# Transactional, so workers see committed rows; serialized rollback restores the role
# groups the flush removes.
pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BATCH = 1000
# Seconds: REMINDER_LEASE_SECONDS in the workers. Long enough that a full window of rows
# in flight goes out within it at the slowest rate seen on a loaded 2-core machine
# (about 13 a second, with one pool child respawning), so only a crash needs the lease.
LEASE = 10
SWEEP = 1  # seconds: REMINDER_SWEEP_SECONDS in the workers
# Most rows in flight (REMINDER_SWEEP_BATCH); see LEASE.
IN_FLIGHT = 50
# Reminders a send task takes (REMINDER_SEND_CHUNK): several chunks in flight at once,
# as in production, so both pool children send.
CHUNK = 10
TIMEOUT = 120.0  # a stuck test fails after this; the promised bounds are asserted apart


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    """A private redis-server: these tests kill workers into it and stop it."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def provider():
    with FakeSMSProvider() as fake:
        yield fake


class Rig:
    """The workers of one test, on one queue, sending texts to the fake provider."""

    def __init__(self, directory, broker, provider):
        self.directory = directory
        self.broker = broker
        self.provider = provider
        self.queue = f"spinecare-rel-{uuid.uuid4().hex}"
        self.workers = []

    def start(self, name, *, beat=True, ready=True, db_url=None):
        worker = start_worker(
            self.directory,
            database_url=db_url or database_url(connection.settings_dict),
            broker_url=self.broker.url(),
            queue=self.queue,
            name=name,
            beat=beat,
            env={
                "SMS_BACKEND": "http",
                "SMS_API_URL": self.provider.url,
                "SMS_API_KEY": API_KEY,
                "REMINDER_LEASE_SECONDS": str(LEASE),
                "REMINDER_SWEEP_SECONDS": str(SWEEP),
                "REMINDER_SWEEP_BATCH": str(IN_FLIGHT),
                "REMINDER_SEND_CHUNK": str(CHUNK),
                # Persistent connections, as a production worker would keep: the
                # PostgreSQL restart must be survived with them.
                "DATABASE_CONN_MAX_AGE": "60",
            },
        )
        self.workers.append(worker)
        if ready:
            worker.wait_ready()
        return worker

    def alive(self):
        return [w for w in self.workers if w.process.poll() is None]

    def stop(self):
        # The broker is private and the queue unique: nothing needs a warm shutdown.
        for worker in self.alive():
            worker.kill()
        if self.broker.process is not None:
            forget_queue(self.broker.url(), self.queue)


@pytest.fixture
def rig(transactional_db, require_postgres, broker, provider, tmp_path):
    rig = Rig(tmp_path, broker, provider)
    try:
        yield rig
    finally:
        rig.stop()


def due_texts(journey, n):
    """`n` SMS reminders due now, for a patient with a valid mobile number.

    The journey's own planned reminders are cancelled so only these rows are due.
    """
    journey.reminders.update(status=ReminderStatus.CANCELLED)
    User.objects.filter(pk=journey.patient_id).update(phone="+15551234567")
    due_at = timezone.now() - timedelta(seconds=1)
    rows = Reminder.objects.bulk_create(
        Reminder(
            journey=journey,
            key=f"load:{i}",
            channel=Channel.SMS,
            due_at=due_at,
            subject="Instruction due",
            body="Stop clopidogrel today.",
        )
        for i in range(n)
    )
    return [r.pk for r in rows]


@dataclass
class Tally:
    """What happened to a batch, from the database and from the provider."""

    total: int
    sent: int
    failed: int
    requests: int
    delivered: int
    reclaimed: int  # rows claimed more than once

    @property
    def duplicated(self):
        return self.requests - self.delivered

    @property
    def lost(self):
        return self.total - self.sent

    def __str__(self):
        return (
            f"sent={self.sent} duplicated={self.duplicated} lost={self.lost} "
            f"(of {self.total}; failed={self.failed}, requests={self.requests}, "
            f"delivered={self.delivered}, claimed more than once={self.reclaimed})"
        )


def tally(ids, provider):
    rows = Reminder.objects.filter(pk__in=ids)
    requests, delivered, _ = provider.counts()
    return Tally(
        total=len(ids),
        sent=rows.filter(status=ReminderStatus.SENT).count(),
        failed=rows.filter(status=ReminderStatus.FAILED).count(),
        requests=requests,
        delivered=delivered,
        reclaimed=rows.filter(attempts__gt=1).count(),
    )


def sent_count(ids):
    return Reminder.objects.filter(pk__in=ids, status=ReminderStatus.SENT).count()


def wait_sent(ids, rig, at_least=None):
    target = len(ids) if at_least is None else at_least
    wait_for(
        lambda: sent_count(ids) >= target,
        lambda: str(tally(ids, rig.provider)),
        timeout=TIMEOUT,
        processes=rig.alive(),
    )
    return time.monotonic()


def in_flight(ids):
    """Sends that may have started and recorded no outcome: Delivery rows without one.

    A chunk writes the rows of all its reminders before its first send, so a crash
    leaves one for each reminder of the chunk whose outcome it had not recorded.
    """
    return Delivery.objects.filter(reminder__in=ids, finished_at__isnull=True).count()


def send_rate(ids):
    """Reminders sent per second so far, from their sent_at times."""
    times = sorted(
        Reminder.objects.filter(pk__in=ids, sent_at__isnull=False).values_list("sent_at", flat=True)
    )
    span = (times[-1] - times[0]).total_seconds() if len(times) > 1 else 0
    return (len(times) - 1) / span if span else float("inf")


def assert_sent_once_each(ids, provider, result, report):
    """Nothing lost, nothing failed, and the provider delivered each reminder once."""
    assert result.lost == 0, report
    assert result.failed == 0, report
    uuids = {str(u) for u in Reminder.objects.filter(pk__in=ids).values_list("uuid", flat=True)}
    assert set(provider.messages) == uuids, f"delivered other than each once: {report}"
    assert result.delivered == len(ids), f"duplicate deliveries: {report}"


# --- (a) a worker killed in the middle of a batch ---------------------------------------


def test_killing_the_whole_worker_mid_batch_loses_nothing_and_delivers_nothing_twice(journey, rig):
    ids = due_texts(journey, BATCH)
    first = rig.start("first")
    wait_sent(ids, rig, at_least=BATCH // 4)
    rate = send_rate(ids)

    # Kill it while a send is in flight, at its worst moment: the provider has accepted
    # and is about to answer.
    rig.provider.fail_next("hold")
    wait_for(
        rig.provider.holding.is_set,
        lambda: str(tally(ids, rig.provider)),
        timeout=TIMEOUT,
        processes=[first],
    )
    first.kill()
    killed_at, killed_clock = time.monotonic(), timezone.now()
    at_kill = tally(ids, rig.provider)
    interrupted = in_flight(ids)
    rig.provider.release()
    rig.start("second")
    ready_after = time.monotonic() - killed_at
    done = wait_sent(ids, rig)

    result = tally(ids, rig.provider)
    # Claimed again after their lease ran out: sends lost with the worker (running or
    # reserved by it). Each waits for its lease, then for a sweep and its own turn,
    # each behind at most one window of rows in flight at the rate measured before.
    recovered = Reminder.objects.filter(pk__in=ids, attempts__gt=1)
    latest = max(((r.sent_at - killed_clock).total_seconds() for r in recovered), default=0.0)
    window = IN_FLIGHT / rate
    bound = max(LEASE, ready_after) + 2 * (SWEEP + window)
    report = (
        f"{result}; at the kill {at_kill.sent} sent and {interrupted} in flight; "
        f"{recovered.count()} recovered by lease, the last {latest:.1f} s after the kill "
        f"(bound {bound:.1f} s: lease {LEASE} s or restart {ready_after:.1f} s, plus two "
        f"sweeps of {SWEEP} s and two windows of {window:.1f} s at {rate:.0f}/s); "
        f"all sent {done - killed_at:.1f} s after the kill"
    )
    print(report)  # the counts, for `pytest -rP`, pass or fail
    assert_sent_once_each(ids, rig.provider, result, report)
    assert interrupted >= 1, report
    assert result.duplicated <= interrupted, report
    assert recovered.exists(), report  # at least the held send came back by its lease
    assert latest <= bound, report


def test_killing_one_pool_child_mid_batch_loses_nothing_and_delivers_nothing_twice(journey, rig):
    ids = due_texts(journey, BATCH)
    worker = rig.start("worker")
    wait_sent(ids, rig, at_least=BATCH // 4)

    # Kill a child in the middle of a send, at its worst moment: the provider has
    # accepted and is about to answer. The other child goes on sending meanwhile.
    rig.provider.fail_next("hold")
    wait_for(
        rig.provider.holding.is_set,
        lambda: str(tally(ids, rig.provider)),
        timeout=TIMEOUT,
        processes=[worker],
    )
    child = worker.pool_child_talking_to(rig.provider.port)
    assert child is not None, "the held request has no pool child"
    os.kill(child, signal.SIGKILL)
    killed_at = time.monotonic()
    at_kill = tally(ids, rig.provider)
    rig.provider.release()
    done = wait_sent(ids, rig)

    result = tally(ids, rig.provider)
    interrupted = in_flight(ids)  # the killed child's chunk never recorded its outcomes
    report = (
        f"{result}; at the kill {at_kill.sent} sent, {interrupted} sends interrupted; "
        f"all sent {done - killed_at:.1f} s after the kill"
    )
    print(report)  # the counts, for `pytest -rP`, pass or fail
    assert_sent_once_each(ids, rig.provider, result, report)
    assert 1 <= interrupted <= CHUNK, report
    assert result.duplicated <= interrupted, report
    # task_reject_on_worker_lost requeued the message at once, with its lease token,
    # and the requeued chunk went again one reminder a task: nothing had to wait for
    # a lease.
    assert result.reclaimed == 0, report
    assert "{'split': " in worker.log(), worker.log_tail()
    assert worker.process.poll() is None, report
    assert "exited with 'signal 9 (SIGKILL)'" in worker.log(), worker.log_tail()


# --- (b) two beats, and two sweeps racing ----------------------------------------------


def test_two_workers_each_with_beat_claim_and_send_every_row_once(journey, rig):
    ids = due_texts(journey, BATCH // 2)
    # Not due until both beats are sweeping: a batch sent before the second beat's first
    # tick would prove nothing about two beats.
    Reminder.objects.filter(pk__in=ids).update(due_at=timezone.now() + timedelta(days=1))
    workers = [rig.start("one"), rig.start("two")]
    for worker in workers:
        wait_for(
            lambda worker=worker: "Sending due task sweep-due-reminders" in worker.log(),
            worker.log_tail,
            timeout=TIMEOUT,
            processes=rig.alive(),
        )
    started = time.monotonic()
    Reminder.objects.filter(pk__in=ids).update(due_at=timezone.now())
    done = wait_sent(ids, rig)

    result = tally(ids, rig.provider)
    report = f"{result}; two beats, all sent in {done - started:.1f} s"
    print(report)  # the counts, for `pytest -rP`, pass or fail
    assert_sent_once_each(ids, rig.provider, result, report)
    assert result.reclaimed == 0, report
    assert result.duplicated == 0, report


def test_two_sweeps_racing_on_separate_connections_claim_every_row_once(
    journey, transactional_db, require_postgres, settings
):
    settings.REMINDER_SWEEP_BATCH = 10 * BATCH  # the race, not the cap, decides
    ids = set(due_texts(journey, BATCH))
    start = threading.Barrier(2)
    claimed = {}

    def sweep(name):
        try:
            start.wait(timeout=30)
            claimed[name] = reminders_sweep(enqueue=lambda reminder_ids, token: None)
        finally:
            connection.close()  # each thread had a connection of its own

    threads = [threading.Thread(target=sweep, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    a, b = set(claimed["a"]), set(claimed["b"])
    attempts = set(Reminder.objects.filter(pk__in=ids).values_list("attempts", flat=True))
    report = (
        f"sweep a claimed {len(a)}, sweep b {len(b)}, both {len(a & b)}, "
        f"neither {len(ids - a - b)} of {len(ids)}; attempts seen {sorted(attempts)}"
    )
    print(report)  # the counts, for `pytest -rP`, pass or fail
    assert len(claimed["a"]) == len(a) and len(claimed["b"]) == len(b), report
    assert not a & b, report
    assert a | b == ids, report
    assert attempts == {1}, report


# --- (c) Redis stopped for a while -----------------------------------------------------


def test_with_redis_stopped_pages_render_rows_stay_claimable_and_all_go_out_when_it_returns(
    journey, nurse, rig, broker, client, settings, caplog
):
    worker = rig.start("worker")
    # This process's sweep and cache use the private Redis too, like a web server would.
    settings.REMINDER_LEASE_SECONDS = LEASE
    settings.REMINDER_SWEEP_BATCH = IN_FLIGHT
    settings.CACHES = {
        "default": {
            "BACKEND": "journeys.cache.FallbackRedisCache",
            "LOCATION": broker.url(1),
        }
    }
    producer = Celery("reliability-producer", broker=broker.url(), set_as_current=False)

    def enqueue(reminder_ids, token):
        producer.send_task(
            "journeys.tasks.send_reminders", args=(reminder_ids, token), queue=rig.queue
        )

    broker.stop()
    stopped_at = time.monotonic()
    try:
        ids = due_texts(journey, 200)
        claimed = reminders_sweep(enqueue=enqueue)  # publishing fails; nothing raises

        pages = {}
        # A real sign-in: allauth's rate limits live in the cache that just went away.
        signed_in = client.post(
            reverse("account_login"),
            {"login": journey.patient.email, "password": PASSWORD},
        )
        pages["patient sign-in"] = signed_in.status_code
        pages["patient home"] = client.get(reverse("journeys:home")).status_code
        pages["patient journey"] = client.get(
            reverse("journeys:journey", args=[journey.pk])
        ).status_code
        client.force_login(nurse)
        for name, url in [
            ("staff worklist", reverse("journeys:staff-worklist")),
            ("staff journey", reverse("journeys:staff-journey", args=[journey.pk])),
        ]:
            pages[name] = client.get(url).status_code
        while_down = tally(ids, rig.provider)
        statuses = set(Reminder.objects.filter(pk__in=claimed).values_list("status", flat=True))
        # Down long enough for the worker to notice and start retrying.
        wait_for(
            lambda: "consumer: Cannot connect to redis" in worker.log(),
            lambda: "the worker never noticed Redis had gone",
            timeout=TIMEOUT,
            processes=[worker],
        )
    finally:
        producer.close()
        broker.start()
    restarted_at = time.monotonic()
    down_for = restarted_at - stopped_at
    done = wait_sent(ids, rig)

    result = tally(ids, rig.provider)
    report = (
        f"{result}; Redis down {down_for:.1f} s: pages {pages}, {len(claimed)} rows claimed "
        f"by a sweep that could not queue them ({while_down.sent} sent meanwhile); "
        f"all sent {done - restarted_at:.1f} s after Redis returned"
    )
    print(report)  # the counts, for `pytest -rP`, pass or fail
    assert pages.pop("patient sign-in") == 302, report
    assert set(pages.values()) == {200}, report
    assert len(claimed) == IN_FLIGHT, report
    assert statuses == {ReminderStatus.SENDING}, report
    assert "Could not queue reminders (broker unreachable)" in caplog.text, report
    assert while_down.sent == 0, report
    assert_sent_once_each(ids, rig.provider, result, report)
    assert result.duplicated == 0, report
    assert worker.process.poll() is None, report


# --- (d) a crash between the provider's accept and our commit -------------------------


@pytest.mark.parametrize("kill", ["pool child", "whole worker"])
def test_a_worker_killed_after_the_provider_accepted_retries_with_the_same_key(journey, rig, kill):
    worker = rig.start("first")
    rig.provider.fail_next("hold")  # accept, deliver, then keep the answer back
    [reminder_id] = due_texts(journey, 1)
    reminder = Reminder.objects.get(pk=reminder_id)
    key = str(reminder.uuid)
    wait_for(
        rig.provider.holding.is_set,
        lambda: "the send never reached the provider",
        timeout=TIMEOUT,
        processes=[worker],
    )

    if kill == "pool child":
        child = worker.pool_child_talking_to(rig.provider.port)
        assert child is not None, "the held request has no pool child"
        os.kill(child, signal.SIGKILL)
    else:
        worker.kill()
        rig.start("second")
    rig.provider.release()
    wait_sent([reminder_id], rig)

    reminder.refresh_from_db()
    requests = rig.provider.requests_for(key)
    result = tally([reminder_id], rig.provider)
    deliveries = list(reminder.deliveries.order_by("id"))
    report = (
        f"{result}; killed the {kill}; requests carried keys "
        f"{[r.key == key for r in requests]}; attempts {reminder.attempts}; deliveries "
        f"{[(d.succeeded, d.provider_message_id) for d in deliveries]}"
    )
    print(report)  # the counts, for `pytest -rP`, pass or fail
    assert len(requests) == 2, report
    assert all(r.key == key for r in requests), report
    assert_sent_once_each([reminder_id], rig.provider, result, report)
    assert [d.succeeded for d in deliveries] == [None, True], report
    assert deliveries[1].provider_message_id == rig.provider.messages[key].id, report
    # A requeued message keeps its lease; a dead worker's row waits for its lease.
    assert reminder.attempts == (1 if kill == "pool child" else 2), report


# --- (e) PostgreSQL restarted ----------------------------------------------------------

SEED = """
import json, sys
import django
django.setup()
from journeys.enrolment import journey_enroll
from journeys.models import Clinic, ProcedureTemplate, Role
from journeys.defaults import install_clinic_defaults
from tests.conftest import make_user, surgery_in
from tests.test_reliability import due_texts

clinic = Clinic.objects.create(name="Restart Clinic", phone="(555) 123-4567")
install_clinic_defaults(clinic)
nurse = make_user("nurse@restart.example", Role.STAFF, clinic)
patient = make_user("patient@restart.example", Role.PATIENT, clinic)
procedure = ProcedureTemplate.objects.filter(clinic=clinic).first()
journey = journey_enroll(
    patient=patient, procedure=procedure, by=nurse, surgery_at=surgery_in(clinic, 21)
)
print(json.dumps(due_texts(journey, int(sys.argv[1]))))
"""


@pytest.fixture
def private_postgres():
    cluster = PostgresCluster().init()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        cluster.remove()


def manage(db_url, *args):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "spinecare.settings", "DATABASE_URL": db_url}
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def query(dsn, sql, params):
    """Rows of `sql` on the private database; None while it is down."""
    try:
        conn = psycopg2.connect(dsn, connect_timeout=2)
    except psycopg2.OperationalError:
        return None
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    except psycopg2.OperationalError:
        return None
    finally:
        conn.close()


def status_counts(dsn, ids):
    """{status: count} of `ids` in the private database; {} while it is down."""
    table = Reminder._meta.db_table
    sql = f"SELECT status, count(*) FROM {table} WHERE id = ANY(%s) GROUP BY status"  # noqa: S608
    return dict(query(dsn, sql, [ids]) or [])


def unfinished_deliveries(dsn, ids):
    table = Delivery._meta.db_table
    sql = f"SELECT count(*) FROM {table} WHERE reminder_id = ANY(%s) AND finished_at IS NULL"  # noqa: S608
    return query(dsn, sql, [ids])[0][0]


def test_after_a_postgresql_restart_the_worker_recovers_on_its_own(rig, private_postgres):
    n = 300
    db_url = private_postgres.url("spinecare")
    port = str(private_postgres.port)
    subprocess.run(
        ["createdb", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "spinecare"],
        check=True,
        timeout=60,
    )
    manage(db_url, "manage.py", "migrate", "--verbosity", "0")
    ids = json.loads(manage(db_url, "-c", SEED, str(n)).strip().splitlines()[-1])
    dsn = f"host=127.0.0.1 port={private_postgres.port} user=postgres dbname=spinecare"
    worker = rig.start("worker", db_url=db_url)

    def sent():
        return status_counts(dsn, ids).get(ReminderStatus.SENT, 0)

    def describe():
        requests, delivered, duplicated = rig.provider.counts()
        return f"{status_counts(dsn, ids)}; provider {requests=} {delivered=} {duplicated=}"

    wait_for(lambda: sent() >= n // 6, describe, timeout=TIMEOUT, processes=[worker])
    # Restart while a send is held at the provider, so that task's open connection
    # is certainly cut between the send and its bookkeeping.
    rig.provider.fail_next("hold")
    wait_for(rig.provider.holding.is_set, describe, timeout=TIMEOUT, processes=[worker])
    private_postgres.restart()
    restarted_at = time.monotonic()
    before = sent()
    rig.provider.release()
    wait_for(lambda: sent() == n, describe, timeout=TIMEOUT, processes=[worker])
    took = time.monotonic() - restarted_at

    requests, delivered, duplicated = rig.provider.counts()
    counts = status_counts(dsn, ids)
    interrupted = unfinished_deliveries(dsn, ids)
    report = (
        f"sent={counts.get(ReminderStatus.SENT, 0)} duplicated={duplicated} "
        f"lost={n - counts.get(ReminderStatus.SENT, 0)} (of {n}; {counts}, "
        f"requests={requests}, delivered={delivered}, sends cut off {interrupted}); "
        f"{before} sent when PostgreSQL restarted, all sent {took:.1f} s later"
    )
    print(report)  # the counts, for `pytest -rP`, pass or fail
    assert before < n, f"the restart came after the batch: {report}"
    assert "OperationalError" in worker.log(), f"the held send never met the restart: {report}"
    assert delivered == n, report
    # Sends cut off by the restart are retried with their key; the provider dedups.
    assert duplicated <= interrupted, report
    assert worker.process.poll() is None, report
