"""The benchmark's tables, as Markdown: printed, and written to docs/benchmarks.md."""

import os
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import django
import redis
from django.conf import settings
from django.db import connection
from django.utils.text import capfirst

from journeys.bench.processes import ROOT

PAGE_RATIO_GOAL = 0.5  # of the floor's throughput, at the largest N
P95_GOAL_MS = 100  # at 10 users
QUERY_GOAL = 12
RECONCILE_GOAL_SECONDS = 30
DISPATCH_GOAL_PER_SECOND = 1000


@dataclass
class Results:
    seeding: list = field(default_factory=list)  # BenchClinic
    queries: dict = field(default_factory=dict)  # n -> [QueryCount]
    load: list = field(default_factory=list)  # LoadResult, at the largest N
    # The same pages with a new database connection per request, at one user count.
    load_per_request: list = field(default_factory=list)
    instructions: list | None = None  # InstructionCount; None: not counted
    load_n: int | None = None
    reconcile: tuple | None = None  # (journeys, seconds)
    dispatch: list = field(default_factory=list)  # DispatchResult
    rss: dict = field(default_factory=dict)  # process -> KiB
    settings: dict = field(default_factory=dict)
    goals: list = field(default_factory=list)  # (goal, met)


def met(ok):
    return "met" if ok else "**not met**"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def code_revision(root=ROOT):
    """The commit the figures were made at, so that two reports compare like with like."""
    command = ["git", "describe", "--always", "--abbrev=7", "--exclude=*", "--dirty=+"]
    try:
        done = subprocess.run(  # noqa: S603 (a fixed git command)
            command, cwd=root, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown (no git)"
    if done.returncode != 0:
        return "unknown (not a git checkout)"
    commit = done.stdout.strip()
    if commit.endswith("+"):
        return f"{commit[:-1]}, with uncommitted changes"
    return commit


def machine():
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    redis_version = redis.Redis.from_url(settings.REDIS_URL).info("server")["redis_version"]
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return [
        ("SpineCare commit", code_revision()),
        ("CPU", f"{os.cpu_count()} × {cpu}"),
        ("RAM", f"{mem_kib / 1024 / 1024:.1f} GiB"),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
        ("Django", django.get_version()),
        ("PostgreSQL", postgres),
        ("Redis", redis_version),
        ("gunicorn", version("gunicorn")),
        ("Celery", version("celery")),
        ("locust", version("locust")),
    ]


def render(results):
    now = datetime.now(UTC)
    parts = [
        "# SpineCare benchmarks",
        f"Written by `make bench` (`manage.py bench`) on {now:%Y-%m-%d %H:%M} UTC. "
        "The machine is shared and noisy, so every goal is a ratio or a bound measured "
        "within this one run; absolute figures are beside them. How to run it: README, "
        "“Benchmarks”.",
        "## Machine",
        table(["", ""], machine()),
        "Settings of this run: "
        + ", ".join(f"{k} = {v}" for k, v in results.settings.items())
        + ".",
        _seeding(results),
        _load(results),
        _references(results),
        _load_per_request(results),
        _instructions(results),
        _queries(results),
        _engine(results),
        _memory(results),
        "## Goals",
        table(["goal", ""], [(goal, met(ok)) for goal, ok in results.goals]),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def _seeding(results):
    rows = [
        (
            f"{b.n:,}",
            f"{b.clinics:,}",
            f"{b.clinic_n:,}",
            f"{b.seconds:.1f}",
            f"{b.n / b.seconds:,.0f}" if b.seconds else "",
        )
        for b in results.seeding
    ]
    return (
        "## 1. Data: seeding\n\n"
        + table(
            [
                "patients (N)",
                "clinics",
                "patients in the measured clinic",
                "seconds",
                "patients per second",
            ],
            rows,
        )
        + (
            "\n\nOne installation for a health system: each round's N patients go to new "
            "clinics of at most the clinic size (`--clinic-size`), each with its own "
            "procedures, care team and calendar; the pages are measured in the first of "
            "them while the database holds every round's clinics. "
            "Each patient: an account, a journey copied from one of the clinic's five "
            "procedures (stages, checklist items), the history of finished steps, consultation, "
            "pre-op tests, surgery, follow-ups and therapy sessions, medicines from the "
            "formulary, an audit entry and every planned reminder (journeys/bulk.py, "
            "bulk_create in batches of 500). After each N, `ANALYZE` (not timed), as "
            "autovacuum would have."
        )
    )


def _load(results):
    if not results.load:
        return ""
    floor = {r.users: r for r in results.load if r.label.startswith("floor")}
    rows = []
    for r in results.load:
        if r.reference:
            continue
        if not r.available:
            rows.append((r.label, r.users, "not available", "", "", "", "", ""))
            continue
        base = floor.get(r.users)
        ratio = r.rps / base.rps if base and base.rps else None
        rows.append(
            (
                r.label,
                r.users,
                f"{r.rps:,.1f}",
                "1.00" if r.label.startswith("floor") else (f"{ratio:.2f}" if ratio else ""),
                f"{r.median_ms:.0f}",
                f"{r.p95_ms:.0f}",
                r.failures + (1 if r.error else 0),
                r.error,
            )
        )
    return (
        f"## 2. Pages under load (N = {results.load_n:,})\n\n"
        + table(
            [
                "page",
                "users",
                "requests/s",
                "ratio to floor",
                "median ms",
                "p95 ms",
                "errors",
                "",
            ],
            rows,
        )
        + f"\n\nGoals: each page at least {PAGE_RATIO_GOAL:.0%} of the floor's throughput at "
        f"the same number of users; p95 under {P95_GOAL_MS} ms at 10 users; no errors."
        + "\n\nThe floor reads the session and the user (two queries) and renders no "
        "template. Every page adds its own queries (each about 0.4 ms of Django's work "
        "besides the database's), writes its audit rows in a durable commit, and renders "
        "a template of tens of rows; load generator, web workers and PostgreSQL share the "
        "machine's cores, so the throughput at 10 and 50 users is what their CPU time allows."
    )


def _references(results):
    """What the parts every page shares cost, against the floor: the budget they leave."""
    references = [r for r in results.load if r.reference and r.available and r.rps]
    floor = {r.users: r for r in results.load if r.label.startswith("floor") and r.rps}
    measured = [(r, floor[r.users]) for r in references if r.users in floor]
    if not measured:
        return ""
    # Cost per request in floor requests: 1 / ratio. A page at the goal's ratio may cost
    # 1 / PAGE_RATIO_GOAL of them; what a reference costs is spent already.
    rows = [
        (r.label, r.users, f"{r.rps:,.1f}", f"{r.rps / base.rps:.2f}", f"{base.rps / r.rps:.2f}")
        for r, base in measured
    ]
    last, base = measured[-1]  # the last reference holds every part the others do
    label = last.label.removeprefix("reference: ")
    allowed, spent = 1 / PAGE_RATIO_GOAL, base.rps / last.rps
    if spent < allowed:
        left = (
            f"After {label}, {allowed - spent:.2f} of them are left for everything else a "
            "page does: its own queries and its rows."
        )
    else:
        left = (
            f"{capfirst(label)} alone cost {spent:.2f}: in this run nothing is "
            "left for a page's own queries and rows."
        )
    return (
        "What every page adds to the floor and none can leave out, in the same run:\n\n"
        + table(
            ["reference", "users", "requests/s", "ratio to floor", "cost in floor requests"],
            rows,
        )
        + f"\n\nA page at {PAGE_RATIO_GOAL:.0%} of the floor's throughput may cost "
        f"{allowed:.0f} floor requests. {left}"
    )


def _load_per_request(results):
    """The pages again, with DATABASE_CONN_MAX_AGE=0: why production keeps connections."""
    if not results.load_per_request:
        return ""
    kept = {(r.label, r.users): r for r in results.load}
    floor = next((r for r in results.load_per_request if r.label.startswith("floor")), None)
    rows = []
    for r in results.load_per_request:
        if not r.available:
            continue
        other = kept.get((r.label, r.users))
        ratio = r.rps / floor.rps if floor and floor.rps else None
        rows.append(
            (
                r.label,
                r.users,
                f"{r.rps:,.1f}",
                f"{other.rps:,.1f}" if other else "",
                f"{ratio:.2f}" if ratio else "",
                f"{r.p95_ms:.0f}",
                f"{other.p95_ms:.0f}" if other else "",
            )
        )
    return (
        "The same pages in the same run with a new database connection for every request "
        "(`DATABASE_CONN_MAX_AGE=0`, Django's default), beside the kept connections above "
        "(production's default, 60 s):\n\n"
        + table(
            [
                "page",
                "users",
                "requests/s, new connection",
                "requests/s, kept",
                "ratio to floor, new connection",
                "p95 ms, new connection",
                "p95 ms, kept",
            ],
            rows,
        )
        + "\n\nA new connection costs every request the same few milliseconds, the floor "
        "too, so the ratios look better and every page is slower; the goals above are "
        "judged on production's setting."
    )


def _instructions(results):
    """CPU instructions per request: the pages' cost beside the floor's, without noise."""
    if results.instructions is None:
        return (
            "CPU instructions per request: not counted (valgrind is not installed, or "
            "`--no-instructions`)."
        )
    floor = next((c for c in results.instructions if c.label.startswith("floor")), None)
    floor_count = floor.per_request if floor else None
    header = [
        "page",
        "thousand instructions",
        "times the floor",
        "of which its template (thousand)",
        "without its template, times the floor",
    ]
    rows = []
    for count in results.instructions:
        if count.per_request is None:
            rows.append((count.label, "not available", *[""] * (len(header) - 2)))
            continue
        row = [count.label, f"{count.per_request / 1000:,.0f}"]
        row.append(_floors(count.per_request, floor_count))
        if count.template is None:
            row += ["", ""]
        else:
            share = count.template / count.per_request
            row.append(f"{count.template / 1000:,.0f} ({share:.0%})")
            row.append(_floors(count.without_template, floor_count))
        rows.append(row)
    return (
        "CPU instructions per request, counted by valgrind's callgrind in the web process "
        "(Python, Django, psycopg2's side of each query; not PostgreSQL's work), on the "
        "sample journey with production settings. Unlike the rates above, they stay within "
        "half a percent from run to run for the same code and data, whatever else the "
        "machine does (journeys/bench/instructions.py). A page's template is counted by "
        "asking for the page again with the template rendered twice; a query the template "
        "itself runs (a form's list of choices) counts as the template's:\n\n"
        + table(header, rows)
        + _without_templates(results.instructions, floor_count)
    )


def _floors(instructions, floor):
    return f"{instructions / floor:.1f}" if floor else ""


def _without_templates(counts, floor):
    """What the pages would still cost if their templates cost nothing, beside the
    reference that holds every part the others do (the layout and one audited read)."""
    counted = [c for c in counts if c.template is not None and c.per_request]
    references = [c for c in counted if c.label.startswith("reference")]
    costs = [c.without_template / floor for c in counted if c not in references] if floor else []
    if not costs:
        return ""
    least = min(costs)
    text = (
        f"\n\nWithout their templates, the pages would still cost {least:.1f} to "
        f"{max(costs):.1f} times the floor's instructions"
    )
    if references:
        reference = references[-1]
        cost = reference.per_request / floor
        compared = "each more than" if least > cost else "not all more than"
        label = reference.label.removeprefix("reference: ")
        text += f", {compared} {label} with its template ({cost:.1f})"
    return text + "."


def _queries(results):
    sizes = sorted(results.queries)
    if not sizes:
        return ""
    labels = [q.label for q in results.queries[sizes[0]]]
    rows = []
    for i, label in enumerate(labels):
        counts = [results.queries[n][i].queries for n in sizes]
        if any(c is None for c in counts):
            rows.append((label, *("not available" for _ in sizes), ""))
            continue
        rows.append((label, *counts, met(len(set(counts)) == 1 and max(counts) <= QUERY_GOAL)))
    return (
        "## 3. SQL queries per page\n\n"
        + table(["page", *(f"N = {n:,}" for n in sizes), "equal, at most 12"], rows)
        + "\n\nCounted on the second request of a signed-in test client (the first also "
        "fills per-process caches), including the session and user queries."
    )


def _engine(results):
    parts = ["## 4. Reminder engine"]
    if results.reconcile:
        journeys, seconds = results.reconcile
        parts.append(
            table(
                ["", "journeys", "seconds", f"goal: under {RECONCILE_GOAL_SECONDS} s"],
                [
                    (
                        "plan and reconcile every active journey in the database, "
                        "as the nightly task does",
                        f"{journeys:,}",
                        f"{seconds:.1f}",
                        met(seconds < RECONCILE_GOAL_SECONDS),
                    )
                ],
            )
        )
    rows, kills = [], []
    for d in results.dispatch:
        if d.killed:
            kills.append(
                (
                    d.approach,
                    d.processes,
                    f"{d.reminders:,}",
                    d.lost,
                    d.duplicates,
                    d.unsent,
                    f"{d.seconds:.1f}" if d.finished else "never, within the run",
                    d.note,
                )
            )
            continue
        rate = d.per_second
        rows.append(
            (
                d.approach,
                d.processes,
                f"{d.reminders:,}",
                f"{d.seconds:.1f}" if d.finished else f"{d.called:,} sent in {d.seconds:.0f}",
                f"{rate:,.0f}" if rate else "",
                d.duplicates,
                met(rate is not None and rate >= DISPATCH_GOAL_PER_SECOND)
                if d.approach == "outbox"
                else "",
            )
        )
    if rows:
        parts.append(
            "Dispatch of due reminders through Redis into a null channel (it counts each "
            "call per reminder in Redis), real Celery workers with 1 and 2 pool processes:\n\n"
            + table(
                [
                    "approach",
                    "processes",
                    "reminders",
                    "seconds",
                    "per second",
                    "duplicated",
                    f"goal: {DISPATCH_GOAL_PER_SECOND:,}/s",
                ],
                rows,
            )
        )
    if kills:
        parts.append(
            "A worker killed (SIGKILL to the whole worker) when half the reminders were sent, "
            "then a new worker started on the same queue:\n\n"
            + table(
                [
                    "approach",
                    "processes",
                    "reminders",
                    "never sent",
                    "duplicated",
                    "rows not marked sent",
                    "all sent after (s)",
                    "",
                ],
                kills,
            )
        )
    if kills:
        parts.append(
            "A killed outbox worker's claimed rows stay `sending` until their lease expires, "
            "then the next sweep claims them again, one to a task: late, not lost. The chunk "
            "that was being sent (REMINDER_SEND_CHUNK reminders) had made its calls but not "
            "recorded them, so they go again: those are the duplicated calls above, each with "
            "the reminder's own idempotency key, which a provider uses to deliver it once "
            "(tests/test_reliability.py checks that against a provider that honours it). "
            "A killed worker's ETA tasks were already reserved by it and sit "
            "unacknowledged in Redis until the broker's visibility timeout (3,600 s here) "
            "gives them to another worker: within the run they are never sent, and nothing "
            "in the database asks for them."
        )
    parts.append(
        "“outbox” is SpineCare's dispatch (journeys/dispatch.py): beat's sweep claims due "
        "rows with a lease, send tasks mark them sent. “Celery ETA” is the way most Django "
        "projects do it: `apply_async(eta=due time)` for each reminder when it is planned, "
        "a task that sends and marks the row sent (journeys/bench/worker.py). "
        "django-celery-beat, the other common approach, does not install with Django 6.1, "
        "so it is not measured."
    )
    return "\n\n".join(parts)


def _memory(results):
    if not results.rss:
        return ""
    rows = [(name, f"{kib / 1024:.0f}") for name, kib in results.rss.items() if kib]
    return (
        "## 5. Memory\n\n"
        + table(["process", "peak RSS (MiB)"], rows)
        + (
            "\n\nVmHWM from /proc after the run: the largest gunicorn worker after the load, and "
            "the largest Celery process (main or pool child) after each approach's runs."
        )
    )


def evaluate(results):
    """Each goal of the issue, met or not, in this run."""
    goals = []
    floor = {r.users: r for r in results.load if r.label.startswith("floor")}
    pages = [
        r
        for r in results.load
        if not r.label.startswith("floor") and not r.reference and r.available
    ]
    for label in dict.fromkeys(r.label for r in pages):
        rows = [r for r in pages if r.label == label]
        ratios = [
            r.rps / floor[r.users].rps for r in rows if r.users in floor and floor[r.users].rps
        ]
        goals.append(
            (
                f"{label}: at least {PAGE_RATIO_GOAL:.0%} of the floor's throughput "
                f"(N = {results.load_n:,}; lowest {min(ratios, default=0):.2f})",
                bool(ratios) and min(ratios) >= PAGE_RATIO_GOAL,
            )
        )
        at_ten = [r for r in rows if r.users == 10]
        if at_ten:
            goals.append(
                (
                    f"{label}: p95 under {P95_GOAL_MS} ms at 10 users ({at_ten[0].p95_ms:.0f} ms)",
                    at_ten[0].p95_ms < P95_GOAL_MS,
                )
            )
    if results.load:
        errors = sum(r.failures + (1 if r.error else 0) for r in results.load if r.available)
        goals.append((f"no errors under load ({errors})", errors == 0))
    sizes = sorted(results.queries)
    for i, first in enumerate(results.queries.get(sizes[0], []) if sizes else []):
        counts = [results.queries[n][i].queries for n in sizes]
        if None in counts:
            continue
        goals.append(
            (
                f"{first.label}: the same SQL queries at every N, at most {QUERY_GOAL} "
                f"({', '.join(map(str, counts))})",
                len(set(counts)) == 1 and max(counts) <= QUERY_GOAL,
            )
        )
    if results.reconcile:
        journeys, seconds = results.reconcile
        goals.append(
            (
                f"plan and reconcile all {journeys:,} active journeys under "
                f"{RECONCILE_GOAL_SECONDS} s ({seconds:.1f} s)",
                seconds < RECONCILE_GOAL_SECONDS,
            )
        )
    for d in results.dispatch:
        if d.approach == "outbox" and not d.killed:
            rate = d.per_second or 0
            goals.append(
                (
                    f"outbox dispatch with {d.processes} process(es) at least "
                    f"{DISPATCH_GOAL_PER_SECOND:,}/s ({rate:,.0f}/s)",
                    rate >= DISPATCH_GOAL_PER_SECOND,
                )
            )
        if d.approach == "outbox" and d.killed:
            goals.append(
                (f"outbox loses no reminder when a worker is killed ({d.lost})", d.lost == 0)
            )
    return goals
