"""`manage.py bench` at N = 50 with short runs, so the benchmark cannot rot.

Not a timing test: it checks every section comes out, every page was served without an
error by gunicorn under production settings, and the dispatch runs counted every
reminder. The real run is `make bench` (README, "Benchmarks").
"""

import pytest
from django.core.management import call_command
from django.db import connection

from journeys.bench.pages import FLOOR, FLOOR_PATH, PAGES, REFERENCES
from tests.conftest import require_service

pytestmark = pytest.mark.celery


@pytest.fixture
def bench_services(transactional_db, role_groups, redis_url):
    require_service("PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL")


def test_a_small_benchmark_writes_every_section_without_errors(bench_services, tmp_path):
    output = tmp_path / "benchmarks.md"

    call_command(
        "bench",
        n=[50],
        users=[1],
        duration=2,
        workers=2,
        dispatch=40,
        processes=[1],
        instructions=False,  # tests/test_bench_instructions.py counts a few pages
        output=str(output),
    )

    text = output.read_text()
    for heading in (
        "## Machine",
        "## 1. Data: seeding",
        "## 2. Pages under load (N = 50)",
        "## 3. SQL queries per page",
        "## 4. Reminder engine",
        "## 5. Memory",
        "## Goals",
    ):
        assert heading in text
    assert "| SpineCare commit | " in text
    load_rows = [line for line in text.splitlines() if line.startswith("| ") and "| 1 |" in line]
    for page in (FLOOR, *PAGES):
        row = next(line for line in load_rows if line.startswith(f"| {page.label} |"))
        assert "not available" not in row
        assert row.split(" | ")[6] == "0", row  # errors
    # The parts every page shares, each beside the floor, and the budget they leave.
    for page in REFERENCES:
        row = next(line for line in load_rows if line.startswith(f"| {page.label} |"))
        assert row.split(" | ")[3] != "", row  # its ratio to the floor
    assert "A page at 50% of the floor's throughput may cost 2 floor requests." in text
    # The same pages with a connection per request, beside production's kept ones.
    compared = text.split("new database connection for every request")[1].split("## 3.")[0]
    for page in (FLOOR, *PAGES):
        assert f"| {page.label} | 1 |" in compared
    assert "| no errors under load (0) | met |" in text
    assert "| outbox loses no reminder when a worker is killed (0) | met |" in text
    assert "| outbox | 1 | 40 |" in text
    assert "| Celery ETA | 1 | 40 |" in text
    assert "gunicorn worker" in text
    assert "CPU instructions per request: not counted" in text


def test_the_floor_page_exists_only_when_the_benchmark_serves_the_site(client, patient):
    client.force_login(patient)

    assert client.get(FLOOR_PATH).status_code == 404


@pytest.mark.parametrize(
    ("layout_rps", "read_rps", "says"),
    [
        (450, 400, "After the layout and one audited journey read, 0.75 of them are left"),
        (350, 200, "The layout and one audited journey read alone cost 2.50: in this run "),
    ],
)
def test_the_report_says_what_the_shared_parts_leave_of_a_pages_budget(layout_rps, read_rps, says):
    from journeys.bench.load import LoadResult
    from journeys.bench.report import Results, _references

    results = Results()
    results.load = [
        LoadResult(FLOOR.label, 10, rps=500.0),
        LoadResult(REFERENCES[0].label, 10, rps=float(layout_rps), reference=True),
        LoadResult(REFERENCES[1].label, 10, rps=float(read_rps), reference=True),
    ]

    text = _references(results)

    assert says in text
    assert f"| {REFERENCES[1].label} | 10 | {read_rps:.1f} | {read_rps / 500:.2f} |" in text
