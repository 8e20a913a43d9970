"""The load: each simulated user asks for one page again and again, with no pause.

Run by journeys/bench/load.py as `locust --headless` in a process of its own. The
targets come in BENCH_TARGETS, a JSON list of {"path", "cookie"}: user k takes target
k modulo their number, so each user has its own session (and patient) when there are
enough. X-Forwarded-Proto says what the TLS proxy in front of production would say.
A redirect (to sign-in, or to enrol a second factor) is an error, not a page.
"""

import itertools
import json
import os

from locust import FastHttpUser, constant, task

TARGETS = json.loads(os.environ.get("BENCH_TARGETS", "[]"))
LABEL = os.environ.get("BENCH_LABEL", "page")
_next_user = itertools.count()


class PageUser(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        target = TARGETS[next(_next_user) % len(TARGETS)]
        self.path = target["path"]
        self.headers = {"Cookie": target["cookie"], "X-Forwarded-Proto": "https"}

    @task
    def page(self):
        with self.client.get(
            self.path, headers=self.headers, name=LABEL, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
