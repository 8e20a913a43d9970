"""The patient's appointments page and the private calendar feed their phone subscribes to."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from journeys.access import get_journey_for_user
from journeys.audit import audit_journey_view
from journeys.calendar import (
    calendar_feed,
    calendar_fetch_audit,
    calendar_link_create,
    calendar_link_revoke,
    journey_for_token,
)
from journeys.invitations import absolute_url
from journeys.models import Appointment, CalendarLink, Journey

JOURNEY_QS = Journey.objects.select_related("clinic", "patient", "surgery_location", "surgeon")


@login_required
@require_http_methods(["GET", "POST"])
def calendar_page(request, journey_id):
    """Upcoming and past appointments, and the patient's private calendar link."""
    journey = get_journey_for_user(request.user, journey_id, queryset=JOURNEY_QS, request=request)
    is_patient = journey.patient_id == request.user.pk
    feed_url = None
    if request.method == "POST":
        # The link is the patient's own: caregivers and the care team read this page only.
        if not is_patient:
            raise Http404("Only the patient manages their calendar link.")
        if request.POST.get("action") == "revoke":
            calendar_link_revoke(journey=journey, by=request.user, request=request)
        else:
            token = calendar_link_create(journey=journey, by=request.user, request=request)
            # Shown on this response only: the database keeps just the token's hash.
            feed_url = absolute_url(reverse("journeys:calendar-feed", args=[token]), request)
    now = timezone.now()
    # The page shows cancelled visits too, marked so; the feed leaves them out.
    appointments = list(
        Appointment.objects.filter(journey=journey)
        .select_related("location", "test_type")
        .order_by("starts_at", "id")
    )
    context = {
        "journey": journey,
        "is_patient": is_patient,
        "upcoming": [a for a in appointments if a.ends_at >= now],
        "past": [a for a in appointments if a.ends_at < now][::-1],
        "has_link": CalendarLink.objects.filter(journey=journey).exists(),
        "feed_url": feed_url,
        "webcal_url": "webcal://" + feed_url.split("://", 1)[1] if feed_url else None,
    }
    audit_journey_view(request, journey, page="calendar")
    return render(request, "patient/calendar.html", context)


# No sign-in: a phone's calendar app fetches this on its own. The secret token is the
# credential; an unknown or revoked one is the same 404.
@never_cache
@require_GET
def calendar_feed_view(request, token):
    journey = journey_for_token(token)
    if journey is None:
        raise Http404("No such calendar.")
    calendar_fetch_audit(journey=journey, request=request)
    response = HttpResponse(calendar_feed(journey), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="spinecare.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response
