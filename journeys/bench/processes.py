"""Starting, watching and stopping the processes a benchmark runs: gunicorn, Celery
workers, locust. Everything polls with a deadline; nothing waits a fixed time."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent.parent
POLL = 0.05


class ProcessFailed(RuntimeError):
    pass


def database_url(settings_dict):
    """A postgres:// URL for a Django database settings dict, for another process to use."""
    user = quote(settings_dict["USER"] or "", safe="")
    password = quote(settings_dict["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict["HOST"] or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'], safe='')}"


def free_port(first):
    """The first port from `first` on that nobody listens on or holds."""
    for port in range(first, first + 200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"No free port in {first}..{first + 199}")


def wait_until(check, describe, *, timeout, process=None):
    """Poll `check()` until it returns something truthy, or raise saying what was seen."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if process is not None and process.poll() is not None:
            raise ProcessFailed(f"{describe()}: the process exited ({process.returncode})")
        if time.monotonic() > deadline:
            raise ProcessFailed(f"nothing after {timeout:.0f} s: {describe()}")
        time.sleep(POLL)


class Service:
    """A subprocess in its own session, so it and its children stop together."""

    def __init__(self, command, *, env, log_path):
        self.log_path = log_path
        with log_path.open("ab") as log:
            # Our own fixed commands (sys.executable and arguments), never a shell.
            self.process = subprocess.Popen(  # noqa: S603
                command,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self):
        return self.process.pid

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def children(self):
        return children_of(self.pid)

    def kill(self):
        """SIGKILL the whole group at once: main process and every child."""
        if self.process.poll() is None:
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout=30):
        """Warm shutdown; the group is killed if it hangs, and any child left behind."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.process.wait(timeout=timeout)
        # Children left behind by a killed parent would keep consuming.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)


def python(*args):
    return [sys.executable, *args]


def children_of(pid):
    """Direct children of `pid`, read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: split after it.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def peak_rss_kib(pid):
    """The process's peak resident set (VmHWM), in KiB; None once it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def listening(port):
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0
