"""The reminder engine: reconciling every journey, and dispatching due reminders through
real Celery workers on Redis, the outbox way and the ETA way, with a worker killed.

Each dispatch run makes the same reminder rows due at one instant and times until the
null channel (journeys/bench/null_channel.py) has been called for all of them. Calls are
counted per reminder in Redis, so a reminder called twice is a duplicate and one never
called is lost, whatever the database says.
"""

import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import redis
from django.db import transaction
from django.utils import timezone

from journeys.bench.null_channel import CALLS
from journeys.bench.processes import (
    ProcessFailed,
    Service,
    peak_rss_kib,
    python,
    wait_until,
)
from journeys.models import Delivery, Reminder, ReminderStatus
from journeys.tasks import reconcile_all_reminders
from spinecare.celery import app

SWEEP_SECONDS = 1  # beat's sweep interval in the dispatch runs (production: 60)
KILL_LEASE_SECONDS = 10  # the lease in the kill runs: a killed send comes back this soon
ETA_TASK = "journeys.bench.worker.eta_send"


@dataclass
class DispatchResult:
    approach: str
    processes: int
    reminders: int
    seconds: float | None = None
    called: int = 0  # reminders the channel was called for at least once
    duplicates: int = 0  # calls beyond the first
    killed: bool = False
    finished: bool = False  # every reminder called (outbox: and marked sent) within the run
    unsent: int = 0  # rows not marked sent when the run ended
    note: str = ""
    settings: dict = field(default_factory=dict)

    @property
    def per_second(self):
        """Reminders called per second; over the part that was sent if not all were."""
        return self.called / self.seconds if self.seconds and self.seconds > 0 else None

    @property
    def lost(self):
        return self.reminders - self.called


def time_reconcile_all():
    """Seconds to plan and reconcile every active journey, as the nightly task does."""
    started = time.perf_counter()
    count = reconcile_all_reminders()
    return count, time.perf_counter() - started


def pick_reminders(count):
    """Ids of `count` reminders that are still to be sent, oldest journeys first."""
    return list(
        Reminder.objects.filter(status=ReminderStatus.PENDING)
        .order_by("journey_id", "id")
        .values_list("id", flat=True)[:count]
    )


def reset(ids, *, due_at):
    """Put the rows back as planned and unsent, due at `due_at`; forget their calls."""
    with transaction.atomic():
        Delivery.objects.filter(reminder_id__in=ids).delete()
        Reminder.objects.filter(id__in=ids).update(
            status=ReminderStatus.PENDING,
            due_at=due_at,
            attempts=0,
            lease_token=None,
            lease_expires_at=None,
            sent_at=None,
            last_error="",
        )


class Dispatcher:
    """Runs the dispatch rounds against one database and one Redis."""

    def __init__(self, *, directory, env, redis_url, ids, timeout):
        self.directory = directory
        self.timeout = timeout
        self.env = env
        self.redis = redis.Redis.from_url(redis_url)
        self.ids = ids
        self.uuids = {
            str(u) for u in Reminder.objects.filter(id__in=ids).values_list("uuid", flat=True)
        }
        self.peak_rss = {}

    # Workers ---------------------------------------------------------------------------

    def start_worker(self, queue, *, processes, beat, name, lease=None):
        env = {
            **self.env,
            "CELERY_QUEUE": queue,
            "REMINDER_SWEEP_SECONDS": str(SWEEP_SECONDS),
        }
        if lease is not None:
            env["REMINDER_LEASE_SECONDS"] = str(lease)
        command = python(
            "-m",
            "celery",
            "-A",
            "journeys.bench.worker",
            "worker",
            *(["--beat", "--schedule", str(self.directory / f"{name}-beat")] if beat else []),
            "--concurrency",
            str(processes),
            "--loglevel",
            "INFO",
            "--hostname",
            f"{name}-{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        )
        worker = Service(command, env=env, log_path=self.directory / f"{name}-{queue}.log")
        wait_until(
            lambda: " ready." in worker.log(),
            lambda: f"the {name} worker did not start:\n{worker.log()[-2000:]}",
            timeout=120,
            process=worker.process,
        )
        return worker

    def note_rss(self, approach, worker):
        pids = [worker.pid, *worker.children()]
        peaks = [p for p in (peak_rss_kib(pid) for pid in pids) if p is not None]
        if peaks:
            self.peak_rss[approach] = max(self.peak_rss.get(approach, 0), *peaks)

    def forget_queue(self, queue):
        keys = list(self.redis.scan_iter(match=f"*{queue}*"))
        if keys:
            self.redis.delete(*keys)

    # Counting --------------------------------------------------------------------------

    def called(self):
        return self.redis.hlen(CALLS)

    def outcome(self, result):
        calls = {k.decode(): int(v) for k, v in self.redis.hgetall(CALLS).items()}
        ours = {k: v for k, v in calls.items() if k in self.uuids}
        result.called = len(ours)
        result.duplicates = sum(v - 1 for v in ours.values())
        result.unsent = (
            Reminder.objects.filter(id__in=self.ids).exclude(status=ReminderStatus.SENT).count()
        )
        return result

    def all_recorded(self):
        return (
            not Reminder.objects.filter(id__in=self.ids)
            .exclude(status=ReminderStatus.SENT)
            .exists()
        )

    def wait_all_called(self, *, settle, worker, recorded=False):
        """Until every reminder was called (and, with `recorded`, every row marked sent),
        nothing new came for `settle` seconds, or the run's time is up. Returns (when the
        last new call was seen, or when the last row was marked sent; all done)."""
        last, last_change = -1, time.monotonic()
        deadline = time.monotonic() + self.timeout
        while True:
            now_called = self.called()
            if now_called != last:
                last, last_change = now_called, time.monotonic()
            if now_called >= len(self.ids):
                if not recorded:
                    return last_change, True
                # A killed chunk's rows were called but wait for their lease to be
                # sent again and recorded: the run is over when they are, and their
                # second calls count as duplicates.
                if self.all_recorded():
                    return time.monotonic(), True
            if time.monotonic() - last_change > settle or time.monotonic() > deadline:
                return last_change, False
            if worker.process.poll() is not None:
                raise ProcessFailed(f"the worker exited:\n{worker.log()[-2000:]}")
            time.sleep(0.02)

    def kill_halfway(self, worker):
        """SIGKILL the whole worker once half the reminders were called (or half the
        run's time has gone)."""
        deadline = time.monotonic() + self.timeout / 2
        while self.called() < len(self.ids) // 2 and time.monotonic() < deadline:
            if worker.process.poll() is not None:
                raise ProcessFailed(f"the worker exited:\n{worker.log()[-2000:]}")
            time.sleep(0.02)
        worker.kill()

    # Rounds ----------------------------------------------------------------------------

    def outbox(self, *, processes, kill=False):
        """SpineCare's way: rows due now, claimed by beat's sweep, sent by send tasks."""
        queue = f"bench-outbox-{uuid.uuid4().hex[:8]}"
        lease = KILL_LEASE_SECONDS if kill else None
        result = DispatchResult("outbox", processes, len(self.ids), killed=kill)
        result.settings = {"sweep_seconds": SWEEP_SECONDS, "lease_seconds": lease}
        reset(self.ids, due_at=timezone.now() + timedelta(days=3650))
        self.redis.delete(CALLS)
        worker = self.start_worker(queue, processes=processes, beat=True, name="a", lease=lease)
        spare = None
        try:
            started = time.monotonic()
            Reminder.objects.filter(id__in=self.ids).update(due_at=timezone.now())
            if kill:
                self.kill_halfway(worker)
                spare = worker = self.start_worker(
                    queue, processes=processes, beat=True, name="b", lease=lease
                )
            settle = (lease or 0) + 10
            last, result.finished = self.wait_all_called(
                settle=settle, worker=worker, recorded=True
            )
            result.seconds = last - started
            self.note_rss("outbox", worker)
        finally:
            worker.stop()
            if spare is not None:
                spare.stop()
            self.forget_queue(queue)
        return self.outcome(result)

    def eta(self, *, processes, kill=False):
        """The common way: one task per reminder, queued ahead with eta=its due time."""
        queue = f"bench-eta-{uuid.uuid4().hex[:8]}"
        result = DispatchResult("Celery ETA", processes, len(self.ids), killed=kill)
        # Far enough ahead that every task is queued before the first is due.
        due = timezone.now() + timedelta(seconds=2 + len(self.ids) / 1000)
        reset(self.ids, due_at=due)
        self.redis.delete(CALLS)
        worker = self.start_worker(queue, processes=processes, beat=False, name="a")
        spare = None
        try:
            with app.producer_or_acquire() as producer:
                for reminder_id in self.ids:
                    app.send_task(
                        ETA_TASK, args=[reminder_id], eta=due, queue=queue, producer=producer
                    )
            lead = (due - timezone.now()).total_seconds()
            started = time.monotonic() + max(lead, 0)
            if lead < 0:
                result.note = f"queueing took {-lead:.1f} s longer than planned"
            if kill:
                self.kill_halfway(worker)
                spare = worker = self.start_worker(queue, processes=processes, beat=False, name="b")
            last, result.finished = self.wait_all_called(settle=10, worker=worker)
            result.seconds = last - started
            self.note_rss("Celery ETA", worker)
        finally:
            worker.stop()
            if spare is not None:
                spare.stop()
            self.forget_queue(queue)
        return self.outcome(result)


def measure_dispatch(*, directory, env, redis_url, count, kill_count, processes, timeout):
    """Each approach with each number of processes, then each with a worker killed.

    The kill runs use the first `kill_count` reminders, few enough that the outbox can
    finish within the run (its killed sends come back when their lease expires), so
    what is never sent is lost, not merely late.
    """
    ids = pick_reminders(count)
    if len(ids) < count:
        raise ProcessFailed(f"only {len(ids)} unsent reminders to dispatch, {count} wanted")
    rounds = Dispatcher(directory=directory, env=env, redis_url=redis_url, ids=ids, timeout=timeout)
    results = []
    for n in processes:
        results.append(rounds.outbox(processes=n))
        results.append(rounds.eta(processes=n))
    kills = Dispatcher(
        directory=directory, env=env, redis_url=redis_url, ids=ids[:kill_count], timeout=timeout
    )
    most = max(processes)
    results.append(kills.outbox(processes=most, kill=True))
    results.append(kills.eta(processes=most, kill=True))
    peak_rss = {
        approach: max(d.peak_rss.get(approach, 0) for d in (rounds, kills))
        for approach in {*rounds.peak_rss, *kills.peak_rss}
    }
    return results, peak_rss
