"""The benchmark's own page, included only when SPINECARE_BENCH is on (spinecare/urls.py)."""

from django.urls import path

from journeys.bench.views import floor

app_name = "bench"

urlpatterns = [
    # /bench/floor/
    path("floor/", floor, name="floor"),
]
