"""SQL queries per page, counted in this process with Django's test client.

The second request is counted: the first also fills per-process caches (content
types, translations) that a served page has long since filled.
"""

from dataclasses import dataclass

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from journeys.bench.pages import PAGES


@dataclass
class QueryCount:
    label: str
    queries: int | None  # None: the page is not available
    status: int | None


def count_queries(bench):
    journey = bench.sample_journey()
    counts = []
    for page in PAGES:
        path = page.path(journey)
        if path is None:
            counts.append(QueryCount(page.label, None, None))
            continue
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(page.user(bench, journey))
        client.get(path, secure=True)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, secure=True)
        counts.append(QueryCount(page.label, len(captured), response.status_code))
    return counts
