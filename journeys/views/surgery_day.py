"""The surgery-day panel the patient and their caregivers watch, refreshed by htmx polling."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from journeys.access import get_journey_for_user
from journeys.audit import audit_journey_view
from journeys.models import Journey, Stage
from journeys.surgery_day import surgery_progress

JOURNEY_QS = Journey.objects.select_related("clinic", "patient")


def surgery_live_context(journey, stages):
    """What _surgery_live.html needs, for a page that has already loaded the stages."""
    return {
        "surgery": surgery_progress(journey, stages),
        "poll_seconds": settings.SPINECARE_LIVE_POLL_SECONDS,
    }


@login_required
@require_GET
def surgery_live(request, journey_id):
    """The panel alone. Every poll asks the access module again, so a caregiver whose
    access was revoked gets a 404 at the next refresh, and every poll is a read on the trail."""
    journey = get_journey_for_user(request.user, journey_id, queryset=JOURNEY_QS, request=request)
    stages = list(Stage.objects.filter(journey=journey).order_by("position"))
    audit_journey_view(request, journey, page="surgery-live")
    context = {"journey": journey, **surgery_live_context(journey, stages)}
    return render(request, "patient/_surgery_live.html", context)
