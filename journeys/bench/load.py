"""Pages under load: gunicorn with production settings, driven by locust from its own
process on 127.0.0.1, the floor page served by the same gunicorn in the same run.

Sign-in is done server-side: a session is written to the database for each simulated
user (with the second factor already enrolled for the care team, as production
requires), signed with the server's secret key, and its cookie sent by locust with the
X-Forwarded-Proto header the TLS proxy would add. Sessions are created exactly as a
sign-in leaves them; the sign-in page itself is not what is measured.
"""

import csv
import json
import os
import secrets
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.test import override_settings

from journeys.bench.pages import FLOOR, PAGES, REFERENCES
from journeys.bench.processes import (
    ROOT,
    ProcessFailed,
    Service,
    free_port,
    listening,
    peak_rss_kib,
    python,
    wait_until,
)
from journeys.security import LOGIN_AT, SEEN_AT

PRODUCTION_COOKIE = "__Host-sessionid"  # SESSION_COOKIE_NAME when SPINECARE_PRODUCTION


@dataclass
class LoadResult:
    label: str
    users: int
    requests: int = 0
    failures: int = 0
    rps: float = 0.0
    median_ms: float = 0.0
    p95_ms: float = 0.0
    available: bool = True
    error: str = ""
    reference: bool = False  # one of REFERENCES, not a page with goals


def production_env(*, database_url, redis_url, var_dir, secret_key):
    """The environment of a production deployment on this host, plus the floor page."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "spinecare.settings",
        "SPINECARE_PRODUCTION": "true",
        "SPINECARE_BENCH": "true",
        "DEBUG": "false",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        # Required in production; no page under load sends mail.
        "EMAIL_URL": "smtp://127.0.0.1:25",
        "SPINECARE_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def collect_static(env, *, timeout=120):
    """Production settings serve static files from a manifest: collect them first."""
    done = subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        python("manage.py", "collectstatic", "--noinput", "-v", "0"),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise ProcessFailed(f"collectstatic: {done.stderr[-2000:]}")


class WebServer:
    """gunicorn serving spinecare.wsgi as the README's deployment section does."""

    def __init__(self, directory, env, *, workers):
        self.directory = directory
        self.env = env
        self.port = free_port(8700)
        self.workers = workers
        self.service = None

    def start(self, timeout=120):
        collect_static(self.env, timeout=timeout)
        self.service = Service(
            python(
                "-m",
                "gunicorn",
                "spinecare.wsgi",
                "--workers",
                str(self.workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--control-socket",
                str(self.directory / "gunicorn.ctl"),
            ),
            env=self.env,
            log_path=self.directory / "gunicorn.log",
        )
        wait_until(
            lambda: listening(self.port),
            lambda: f"gunicorn did not listen on {self.port}:\n{self.service.log()[-2000:]}",
            timeout=timeout,
            process=self.service.process,
        )
        return self

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def worker_peak_rss_kib(self):
        """The largest peak resident set of gunicorn's workers."""
        peaks = [peak_rss_kib(pid) for pid in self.service.children()]
        return max((p for p in peaks if p is not None), default=None)

    def stop(self):
        if self.service is not None:
            self.service.stop()


def server_session(user, secret_key):
    """A session as a sign-in leaves it, signed for the server's key; returns its key."""
    with override_settings(SECRET_KEY=secret_key):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        # The backend a password sign-in records: the first one configured.
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        now = time.time()
        session[LOGIN_AT] = now
        session[SEEN_AT] = now
        session.create()
        return session.session_key


def new_secret_key():
    return secrets.token_urlsafe(50)


def targets_for(page, bench, journeys, secret_key):
    """One (path, cookie) per journey, or None when the page is not available."""
    targets = []
    for journey in journeys:
        path = page.path(journey)
        if path is None:
            return None
        key = server_session(page.user(bench, journey), secret_key)
        targets.append({"path": path, "cookie": f"{PRODUCTION_COOKIE}={key}"})
    return targets


def run_locust(server, targets, *, label, users, seconds, directory):
    """Drive `targets` with `users` users for `seconds` after all have started."""
    prefix = directory / f"locust-{label.split()[0]}-{users}-{time.monotonic_ns()}"
    env = {**os.environ, "BENCH_TARGETS": json.dumps(targets), "BENCH_LABEL": label}
    command = python(
        "-m",
        "locust",
        "-f",
        str(Path(__file__).with_name("locustfile.py")),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{seconds}s",
        "--reset-stats",
        "--only-summary",
        "--stop-timeout",
        "5",
        "--loglevel",
        "WARNING",
        "--host",
        server.url,
        "--csv",
        str(prefix),
    )
    process = Service(command, env=env, log_path=directory / "locust.log").process
    try:
        process.wait(timeout=seconds + 120)
    except Exception:
        process.kill()
        raise
    return parse_stats(Path(f"{prefix}_stats.csv"), label=label, users=users)


def warm(server, targets, *, times):
    """A few requests first, so each worker has loaded its imports and templates
    before anything is counted."""
    for n in range(times):
        target = targets[n % len(targets)]
        # Our own server on 127.0.0.1, never a URL from outside.
        request = urllib.request.Request(  # noqa: S310
            server.url + target["path"],
            headers={"Cookie": target["cookie"], "X-Forwarded-Proto": "https"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            response.read()


def parse_stats(path, *, label, users):
    if not path.exists():
        return LoadResult(label, users, available=False, error="locust wrote no statistics")
    with path.open() as f:
        rows = {row["Name"]: row for row in csv.DictReader(f)}
    row = rows.get("Aggregated")
    if row is None or int(row["Request Count"]) == 0:
        return LoadResult(label, users, error="no request completed")
    return LoadResult(
        label,
        users,
        requests=int(row["Request Count"]),
        failures=int(row["Failure Count"]),
        rps=float(row["Requests/s"]),
        median_ms=float(row["50%"]),
        p95_ms=float(row["95%"]),
    )


def measure_load(
    bench, *, directory, env_base, secret_key, users, seconds, workers, reference_users=()
):
    """Every page and the floor at each number of users, and the reference pages at
    `reference_users`; returns results and peak RSS."""
    env = {**env_base, "SECRET_KEY": secret_key}
    server = WebServer(directory, env, workers=workers).start()
    results = []
    try:
        journeys = bench.active_journeys(max(users))
        # The references right after the floor they are compared with: a shared host's
        # speed drifts over minutes, and their ratios are read as small differences.
        runs = [(FLOOR, users)]
        runs += [(page, reference_users) for page in REFERENCES if reference_users]
        runs += [(page, users) for page in PAGES]
        for page, counts in runs:
            targets = targets_for(page, bench, journeys, secret_key)
            if targets is None:
                results += [LoadResult(page.label, u, available=False) for u in counts]
                continue
            warm(server, targets, times=2 * workers)
            for count in counts:
                result = run_locust(
                    server,
                    targets,
                    label=page.label,
                    users=count,
                    seconds=seconds,
                    directory=directory,
                )
                result.reference = page in REFERENCES
                results.append(result)
        rss = server.worker_peak_rss_kib()
    except ProcessFailed as exc:
        raise ProcessFailed(f"{exc}\n{server.service.log()[-3000:]}") from exc
    finally:
        server.stop()
    return results, rss
