"""Real service processes for tests: Celery workers, a private Redis, a private PostgreSQL.

Tests about Celery start `celery -A spinecare worker` as a subprocess, the way
Procfile.demo does, pointed at the test database and a queue of their own. Tests that
stop a service start a private one on 127.0.0.1 (never the shared one), and stop it
themselves. Everything here polls with a deadline; nothing waits a fixed time.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import redis

from journeys.bench import processes as shared
from journeys.bench.processes import children_of, free_port
from tests.conftest import require_service

# Shared with `manage.py bench`, which starts the same kinds of processes.
database_url = shared.database_url

ROOT = Path(__file__).resolve().parent.parent
POLL = 0.1
# What the file-based email backend writes after each message.
MESSAGE_SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def wait_for(check, describe, *, timeout, processes=()):
    """Poll `check()` until it returns something truthy; fail saying what was seen.

    `processes` are Worker (or Popen) objects that must stay alive meanwhile.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        for process in processes:
            popen = getattr(process, "process", process)
            if popen.poll() is not None:
                tail = process.log_tail() if hasattr(process, "log_tail") else ""
                pytest.fail(
                    f"{popen.args[:6]} exited with code {popen.returncode}; {describe()}\n{tail}"
                )
        if time.monotonic() > deadline:
            tails = "\n".join(p.log_tail() for p in processes if hasattr(p, "log_tail"))
            pytest.fail(f"Nothing after {timeout:.0f} s: {describe()}\n{tails}")
        time.sleep(POLL)


def _socket_inodes_to(port):
    """Inodes of the TCP sockets on this host connected to 127.0.0.1:`port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if remote_port == port and fields[9] != "0":
                inodes.add(fields[9])
    return inodes


def _holds_socket(pid, inodes):
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            return True
    return False


class Worker(shared.Service):
    """A `celery worker` subprocess in its own session (its group id is its pid)."""

    def __init__(self, command, *, env, log_path, mail_dir, queue):
        super().__init__(command, env=env, log_path=log_path)
        self.mail_dir = mail_dir
        self.queue = queue

    def log_tail(self, lines=40):
        return f"--- {self.log_path.name} ---\n" + "\n".join(self.log().splitlines()[-lines:])

    def emails(self):
        """Every message the worker's email backend has written, parsed."""
        messages = []
        for path in sorted(self.mail_dir.glob("*")):
            for chunk in path.read_bytes().split(MESSAGE_SEPARATOR):
                if chunk.strip():
                    messages.append(BytesParser(policy=policy.default).parsebytes(chunk))
        return messages

    def wait_ready(self, timeout=60):
        wait_for(
            lambda: " ready." in self.log(),
            lambda: "the worker did not say it was ready",
            timeout=timeout,
            processes=[self],
        )

    def pool_child_talking_to(self, port):
        """The pid of a pool child with a connection open to 127.0.0.1:`port`, or None.

        The embedded beat is a child too, but it never talks to a provider.
        """
        # Children first: scanning /proc is slow, and a request lasts milliseconds.
        children = children_of(self.pid)
        inodes = _socket_inodes_to(port)
        if not inodes:
            return None
        for child in children:
            if _holds_socket(child, inodes):
                return child
        return None


def start_worker(directory, *, database_url, broker_url, queue, name="worker", beat=True, env=None):
    """Start a worker (with embedded beat unless `beat=False`) on its own queue.

    It sweeps every second; `env` adds or overrides settings for it.
    """
    var_dir = directory / f"{name}-var"
    mail_dir = var_dir / "mail"
    mail_dir.mkdir(parents=True, exist_ok=True)
    worker_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "spinecare.settings",
        "SPINECARE_PRODUCTION": "false",
        "DATABASE_URL": database_url,
        "REDIS_URL": broker_url,
        "CELERY_QUEUE": queue,
        "SPINECARE_VAR_DIR": str(var_dir),
        "REMINDER_SWEEP_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    # Unset, the mailer is the file-based backend writing into var_dir/mail.
    worker_env.pop("EMAIL_URL", None)
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "spinecare",
        "worker",
        *(["--beat", "--schedule", str(directory / f"{name}-beat-schedule")] if beat else []),
        "--concurrency",
        "2",
        "--loglevel",
        "INFO",
        "--hostname",
        f"{name}-{queue}@%h",
        # Keep to ourselves: other workers may share this Redis.
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    return Worker(
        command,
        env=worker_env,
        log_path=directory / f"{name}.log",
        mail_dir=mail_dir,
        queue=queue,
    )


def forget_queue(redis_url, queue):
    """Delete this run's queue and its kombu bindings; the name is unique to the run."""
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"*{queue}*"))
    if keys:
        client.delete(*keys)


class RedisServer:
    """A private redis-server on 127.0.0.1 that a test may stop and start again.

    No persistence: stopping it loses every queued message, as a restart without
    AOF does in production.
    """

    def __init__(self, directory):
        binary = shutil.which("redis-server")
        require_service("redis-server", binary is not None, "install the redis-server package")
        self.binary = binary
        self.directory = directory
        self.port = free_port(6391)
        self.process = None

    def url(self, db=0):
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, timeout=20):
        log = (self.directory / f"redis-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--maxmemory-policy",
                "noeviction",
                "--dir",
                str(self.directory),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)

        def answers():
            try:
                return client.ping()
            except redis.RedisError:
                return False

        wait_for(answers, lambda: "redis-server did not answer", timeout=timeout)
        return self

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None


class PostgresCluster:
    """A private PostgreSQL cluster in a temporary directory, on a free port.

    initdb refuses to run as root, so as root the cluster belongs to the postgres user.
    """

    def __init__(self):
        initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
        require_service(
            "PostgreSQL server binaries", bool(initdb and pg_ctl), "initdb and pg_ctl on PATH"
        )
        self.initdb, self.pg_ctl = initdb, pg_ctl
        self.port = free_port(5441)
        self.directory = Path(tempfile.mkdtemp(prefix="spinecare-pg-"))
        self.data = self.directory / "data"
        self.as_user = []
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def url(self, name):
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *command, timeout=120):
        result = subprocess.run(
            [*self.as_user, *command],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.directory,
        )
        assert result.returncode == 0, f"{command[:2]} failed:\n{result.stdout}{result.stderr}"
        return result

    def init(self):
        self._run(
            self.initdb,
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        return self

    def _options(self):
        return (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )

    def start(self):
        self._run(
            self.pg_ctl,
            "-D",
            str(self.data),
            "-l",
            str(self.directory / "postgres.log"),
            "-o",
            self._options(),
            "-w",
            "start",
        )

    def restart(self):
        """Fast restart: every open connection is cut, as in a failover or an upgrade."""
        self._run(
            self.pg_ctl,
            "-D",
            str(self.data),
            "-l",
            str(self.directory / "postgres.log"),
            "-o",
            self._options(),
            "-m",
            "fast",
            "-w",
            "restart",
        )

    def stop(self):
        if (self.data / "postmaster.pid").exists():
            self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self):
        shutil.rmtree(self.directory, ignore_errors=True)
