"""The benchmark's own pages, included only when SPINECARE_BENCH is on (spinecare/urls.py)."""

from django.urls import path

from journeys.bench.views import audited_read, floor, layout

app_name = "bench"

urlpatterns = [
    # /bench/floor/
    path("floor/", floor, name="floor"),
    # /bench/layout/
    path("layout/", layout, name="layout"),
    # /bench/journeys/<id>/
    path("journeys/<int:journey_id>/", audited_read, name="audited-read"),
]
