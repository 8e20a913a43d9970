"""`manage.py bench`: seed, count queries, load the pages, run the reminder engine, and
print and write the tables (journeys/bench/). `make bench` runs it on its own database.

It writes thousands of patients, so it refuses a database whose name does not say it
is for benchmarks (or tests).
"""

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from journeys.bench import engine, instructions, load, queries, report, seeding
from journeys.bench.pages import FLOOR, PAGES, REFERENCES
from journeys.bench.processes import ROOT, ProcessFailed, database_url


def positive_list(value):
    numbers = [int(v) for v in value.split(",") if v.strip()]
    if not numbers or min(numbers) < 1:
        raise ValueError(value)
    return numbers


class Command(BaseCommand):
    help = "Benchmark SpineCare on PostgreSQL and Redis; print and write the tables."

    def add_arguments(self, parser):
        parser.add_argument(
            "--n", type=positive_list, default=[1000, 10000], help="patients, e.g. 1000,10000"
        )
        parser.add_argument(
            "--clinic-size",
            type=int,
            default=seeding.CLINIC_SIZE,
            help="patients per clinic; the N patients fill as many clinics as it takes",
        )
        parser.add_argument("--users", type=positive_list, default=[1, 10, 50])
        parser.add_argument(
            "--duration", type=int, default=10, help="seconds of load per page and user count"
        )
        parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
        parser.add_argument(
            "--dispatch", type=int, default=10000, help="due reminders per dispatch run"
        )
        parser.add_argument(
            "--kill-dispatch",
            type=int,
            default=2000,
            help="due reminders in the runs where a worker is killed",
        )
        parser.add_argument("--processes", type=positive_list, default=[1, 2])
        parser.add_argument(
            "--dispatch-timeout",
            type=int,
            default=120,
            help="seconds a dispatch run may take; the rate is then over what was sent",
        )
        parser.add_argument(
            "--instructions",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="count CPU instructions per page request with valgrind (a few minutes)",
        )
        parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))

    def handle(self, *args, **options):
        if options["clinic_size"] < 1:
            raise CommandError("--clinic-size must be at least 1.")
        if options["duration"] < 2:
            # locust keeps nothing of a run shorter than its own start-up.
            raise CommandError("--duration must be at least 2 seconds.")
        self._check_services()
        directory = Path(tempfile.mkdtemp(prefix="spinecare-bench-"))
        try:
            results = self._run(directory, options)
        except ProcessFailed as exc:
            raise CommandError(f"{exc}\n(logs in {directory})") from exc
        shutil.rmtree(directory, ignore_errors=True)
        results.goals = report.evaluate(results)
        text = report.render(results)
        Path(options["output"]).write_text(text)
        self.stdout.write(text)
        self.stdout.write(f"Written to {options['output']}.")

    def _check_services(self):
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark runs on PostgreSQL: set DATABASE_URL.")
        if not settings.REDIS_URL:
            raise CommandError("The benchmark runs on Redis: set REDIS_URL.")
        name = connection.settings_dict["NAME"]
        if "bench" not in name and not name.startswith("test"):
            raise CommandError(
                f"The benchmark writes thousands of patients; it refuses the database {name!r}. "
                "Use one whose name contains 'bench' (make bench creates spinecare_bench)."
            )

    def _run(self, directory, options):
        results = report.Results()
        results.settings = {
            "gunicorn workers": options["workers"],
            "seconds of load per row": options["duration"],
            "beat sweep interval (s)": engine.SWEEP_SECONDS,
            "reminder sweep batch": settings.REMINDER_SWEEP_BATCH,
            "lease in the kill runs (s)": engine.KILL_LEASE_SECONDS,
            "time limit of a dispatch run (s)": options["dispatch_timeout"],
            # gunicorn runs with production settings: their default unless the
            # environment says otherwise.
            "web DATABASE_CONN_MAX_AGE (s)": os.environ.get("DATABASE_CONN_MAX_AGE")
            or "60 (production default)",
            "worker WORKER_CONN_MAX_AGE (s)": settings.WORKER_CONN_MAX_AGE,
            "reminders per send task": settings.REMINDER_SEND_CHUNK,
        }
        env = load.production_env(
            database_url=database_url(connection.settings_dict),
            redis_url=settings.REDIS_URL,
            var_dir=directory / "var",
            secret_key=load.new_secret_key(),
        )
        largest = None
        for n in sorted(options["n"]):
            self.stderr.write(f"Seeding {n:,} patients…")
            bench = seeding.seed_installation(n, clinic_size=options["clinic_size"])
            results.seeding.append(bench)
            results.queries[n] = queries.count_queries(bench)
            largest = bench
        self.stderr.write(f"Pages under load at N = {largest.n:,}…")
        results.load_n = largest.n
        compare = [u for u in options["users"] if u == 10] or options["users"][:1]
        results.load, gunicorn_rss = load.measure_load(
            largest,
            directory=directory,
            env_base=env,
            secret_key=env["SECRET_KEY"],
            users=options["users"],
            seconds=options["duration"],
            workers=options["workers"],
            reference_users=compare,
        )
        results.rss["gunicorn worker"] = gunicorn_rss
        self.stderr.write("Pages with a new database connection per request…")
        results.load_per_request, _rss = load.measure_load(
            largest,
            directory=directory,
            env_base={**env, "DATABASE_CONN_MAX_AGE": "0"},
            secret_key=env["SECRET_KEY"],
            users=compare,
            seconds=options["duration"],
            workers=options["workers"],
        )
        if options["instructions"]:
            results.instructions = self._instructions(largest, env)
        self.stderr.write("Reconciling every journey…")
        journeys, seconds = engine.time_reconcile_all()
        results.reconcile = (journeys, seconds)
        self.stderr.write("Dispatching reminders…")
        results.dispatch, celery_rss = engine.measure_dispatch(
            directory=directory,
            env={**env, "SPINECARE_BENCH": "false"},
            redis_url=settings.REDIS_URL,
            count=options["dispatch"],
            kill_count=min(options["kill_dispatch"], options["dispatch"]),
            processes=options["processes"],
            timeout=options["dispatch_timeout"],
        )
        for approach, kib in celery_rss.items():
            results.rss[f"Celery worker ({approach})"] = kib
        return results

    def _instructions(self, bench, env):
        if not instructions.available():
            self.stderr.write("No valgrind: instructions per request not counted.")
            return None
        self.stderr.write("Counting instructions per request (callgrind)…")
        return instructions.count_instructions(bench, [FLOOR, *REFERENCES, *PAGES], env=env)
