"""CPU instructions per request, counted by valgrind's callgrind.

The throughput ratios of journeys/bench/load.py move with whatever else the machine is
doing; an instruction count hardly does: the same code and data give the same count
within half a percent. Eight runs of the floor here spread over 0.40%, of the layout
0.18%, and of the patient home 0.01%: some ten thousand instructions either way, a
larger share of a smaller page. So a change to a page of a percent or more can be
judged by its count, and a page's cost read beside the floor's.

Each page is asked for in a process of its own (journeys/bench/replay.py), under
callgrind, with the production settings gunicorn runs with: FEW times, then MORE
times. The difference, per request, leaves out start-up and the first request's
filling of per-process caches. It counts the web process (Python, Django and
psycopg2's side of each query), not PostgreSQL's work.

A page that renders a template is also asked for MORE times rendering it twice
(replay.py): the difference from the normal run, per request, is what its template
costs. What is left is what no template engine, however fast, would save.
"""

import json
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from journeys.bench.load import collect_static
from journeys.bench.processes import ROOT, ProcessFailed, python

FEW, MORE = 2, 7
COLLECTED = re.compile(r"Collected : (\d+)")


@dataclass
class InstructionCount:
    label: str
    per_request: int | None  # None: the page is not available
    template: int | None = None  # of per_request, rendering the template; None: none

    @property
    def without_template(self):
        return self.per_request - (self.template or 0)


def available():
    return shutil.which("valgrind") is not None


def count_instructions(bench, pages, *, env, processes=2):
    """One InstructionCount per page, for the bench's sample journey."""
    collect_static(env)
    journey = bench.sample_journey()
    targets = {}
    for page in pages:
        path = page.path(journey)
        targets[page.label] = (path, page.user(bench, journey).pk) if path else None
    runs = []
    for page in pages:
        if target := targets[page.label]:
            runs += [(target, FEW, False), (target, MORE, False)]
            if page.renders_template:
                runs.append((target, MORE, True))
    with ThreadPoolExecutor(processes) as pool:
        collected = pool.map(lambda run: _collected(*run, env=env), runs)
        counted = dict(zip(runs, collected, strict=True))
    return [_count(page, targets[page.label], counted) for page in pages]


def _count(page, target, counted):
    if target is None:
        return InstructionCount(page.label, None)
    per_request = (counted[(target, MORE, False)] - counted[(target, FEW, False)]) // (MORE - FEW)
    template = None
    if page.renders_template:
        template = (counted[(target, MORE, True)] - counted[(target, MORE, False)]) // MORE
    return InstructionCount(page.label, per_request, template)


def _collected(target, times, render_twice, *, env):
    """Instructions callgrind counted in one replay process asking `times` times."""
    path, user = target
    replayed = {"path": path, "user": user, "render_twice": render_twice}
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        *python("-m", "journeys.bench.replay", json.dumps(replayed)),
        str(times),
    ]
    # A fixed hash seed: sets and dicts of strings then do the same work in every run.
    env = {**env, "PYTHONHASHSEED": "0"}
    done = subprocess.run(  # noqa: S603 (our own interpreter and module)
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    found = COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise ProcessFailed(f"callgrind replay of {path}: {done.stderr[-2000:]}")
    return int(found.group(1))
