"""The patient's pages: their journey and next step, their checklist."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from journeys.access import get_journey_for_user, is_care_team
from journeys.audit import audit_journey_view
from journeys.enrolment import checklist_item_set_done
from journeys.loading import load_journey_page
from journeys.models import ChecklistItem, Journey, Owner, ReminderStatus, Role
from journeys.views import caregivers

JOURNEY_QS = Journey.objects.select_related("clinic", "patient", "surgery_location", "surgeon")


@login_required
def home(request):
    if is_care_team(request.user):
        return redirect("journeys:staff-worklist")
    if request.user.role == Role.CAREGIVER:
        return caregivers.follower_home(request)
    journey = JOURNEY_QS.visible_to(request.user).order_by("-enrolled_at").first()
    if journey is None:
        return render(request, "patient/no_journey.html")
    return _render_journey(request, journey, "patient/home.html")


@login_required
def journey_detail(request, journey_id):
    journey = get_journey_for_user(request.user, journey_id, queryset=JOURNEY_QS, request=request)
    if request.user.role == Role.CAREGIVER:
        return caregivers.render_followed(request, journey)
    return _render_journey(request, journey, "patient/home.html")


def _render_journey(request, journey, template):
    page = load_journey_page(journey)
    audit_journey_view(request, journey)
    return render(request, template, {"page": page, "journey": journey, "next": page.next})


@login_required
@require_POST
def checklist_toggle(request, journey_id, item_id):
    journey = get_journey_for_user(
        request.user, journey_id, write=True, queryset=JOURNEY_QS, request=request
    )
    item = get_object_or_404(
        ChecklistItem.objects.select_related("journey"), pk=item_id, journey=journey
    )
    if request.user.role == Role.PATIENT and item.owner != Owner.PATIENT:
        # Patients see the care team's items but cannot tick them.
        raise Http404("Not your item.")
    try:
        checklist_item_set_done(
            item=item, done=request.POST.get("done") == "1", by=request.user, request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(_safe_next(request) or "journeys:home")


def _safe_next(request):
    # Only our own pages: an attacker's form could otherwise send people anywhere.
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else None


@login_required
def journey_reminders(request, journey_id):
    journey = get_journey_for_user(request.user, journey_id, queryset=JOURNEY_QS, request=request)
    upcoming = journey.reminders.filter(
        status__in=[ReminderStatus.PENDING, ReminderStatus.SENDING]
    ).order_by("due_at")
    audit_journey_view(request, journey, page="reminders")
    return render(request, "patient/reminders.html", {"journey": journey, "upcoming": upcoming})
