"""The benchmark's instruction counts (journeys/bench/instructions.py): real callgrind
runs of real pages, so the table in docs/benchmarks.md means what it says."""

import pytest
from django.conf import settings
from django.db import connection

from journeys.bench import instructions
from journeys.bench.instructions import InstructionCount
from journeys.bench.load import new_secret_key, production_env
from journeys.bench.pages import FLOOR, REFERENCES, Page
from journeys.bench.processes import database_url
from journeys.bench.report import Results, _instructions
from journeys.bench.seeding import seed_installation
from tests.conftest import require_service


@pytest.fixture
def bench(transactional_db, role_groups, redis_url, tmp_path):
    require_service("PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL")
    require_service("valgrind", instructions.available(), "apt-get install valgrind")
    env = production_env(
        database_url=database_url(connection.settings_dict),
        redis_url=settings.REDIS_URL,
        var_dir=tmp_path / "var",
        secret_key=new_secret_key(),
    )
    return seed_installation(5), env


def test_a_page_counts_the_same_twice_and_more_than_what_it_adds_to(bench):
    clinic, env = bench
    floor, layout = FLOOR, REFERENCES[0]

    first = instructions.count_instructions(clinic, [floor, layout], env=env)
    again = instructions.count_instructions(clinic, [floor], env=env)

    floor_count, layout_count = (count.per_request for count in first)
    # The same code and data, the same count: eight runs of the floor here spread over
    # 0.40%, and 1% is allowed, so noise does not fail it. That lets one run's table be
    # compared with another's, for changes larger than that.
    assert abs(again[0].per_request - floor_count) <= floor_count / 100
    # The layout is the floor plus a template: more work, counted as more.
    assert layout_count > floor_count * 1.1


def test_a_pages_template_is_counted_apart_from_the_rest_of_its_work(bench):
    clinic, env = bench
    floor, layout = instructions.count_instructions(clinic, [FLOOR, REFERENCES[0]], env=env)

    # The floor renders no template, so nothing of it is counted as one.
    assert floor.template is None
    # The layout view is the floor's view plus rendering base.html, so its template is
    # most of what it adds to the floor. Not all: calling render() and answering with
    # HTML rather than plain text cost about 6% of it here. Measured: 3.35 M of 3.57 M.
    added = layout.per_request - floor.per_request
    assert added * 0.85 <= layout.template <= added + floor.per_request / 100
    results = Results()
    results.instructions = [floor, layout]
    text = _instructions(results)
    share = f"{layout.template / 1000:,.0f} ({layout.template / layout.per_request:.0%})"
    assert f"| reference: the layout | {layout.per_request / 1000:,.0f} | " in text
    assert share in text


def test_the_report_says_what_the_pages_would_cost_without_their_templates():
    results = Results()
    results.instructions = [
        InstructionCount("floor (minimal signed-in view)", 6_000_000),
        InstructionCount("reference: the layout and one audited read", 12_000_000, 3_000_000),
        InstructionCount("patient home", 36_000_000, 15_000_000),
        InstructionCount("staff worklist", 96_000_000, 42_000_000),
    ]

    text = _instructions(results)

    assert "| patient home | 36,000 | 6.0 | 15,000 (42%) | 3.5 |" in text
    assert "| staff worklist | 96,000 | 16.0 | 42,000 (44%) | 9.0 |" in text
    assert (
        "Without their templates, the pages would still cost 3.5 to 9.0 times the floor's "
        "instructions, each more than the layout and one audited read with its template (2.0)."
    ) in text
    # A page whose work without its template is below the reference is said to be.
    results.instructions[2] = InstructionCount("patient home", 20_000_000, 10_000_000)
    text = _instructions(results)
    assert "1.7 to 9.0 times the floor's instructions, not all more than the layout" in text


def test_a_page_the_project_does_not_have_is_reported_not_available(bench):
    clinic, env = bench
    missing = Page("a page that is not there", "journeys:no-such-page", "patient")

    counts = instructions.count_instructions(clinic, [missing], env=env)

    assert counts[0].per_request is None
    results = Results()
    results.instructions = counts
    assert "| a page that is not there | not available |  |  |  |" in _instructions(results)
