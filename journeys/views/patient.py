"""The patient's pages: their journey and next step, their checklist."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from journeys.access import get_journey_for_user, get_tickable_item, is_care_team
from journeys.audit import audit_journey_view
from journeys.enrolment import checklist_item_set_done
from journeys.loading import load_journey_page
from journeys.models import Journey, ReminderStatus, Role
from journeys.next_step import next_step
from journeys.views import caregivers
from journeys.views.surgery_day import surgery_live_context

JOURNEY_QS = Journey.objects.select_related("clinic", "patient", "surgery_location", "surgeon")
# The home page's journey is the signed-in patient's own: the patient is request.user,
# already loaded with their clinic, and joining the user table again cost a third of
# the query. The page does not name the surgeon, so that join is left out too.
HOME_QS = Journey.objects.select_related("surgery_location")


@login_required
def home(request):
    if is_care_team(request.user):
        return redirect("journeys:staff-worklist")
    if request.user.role == Role.CAREGIVER:
        return caregivers.follower_home(request)
    journey = HOME_QS.visible_to(request.user).order_by("-enrolled_at").first()
    if journey is None:
        return render(request, "patient/no_journey.html")
    journey.patient = request.user  # visible_to: a patient sees only their own journeys
    if journey.clinic_id == request.user.clinic_id:
        journey.clinic = request.user.clinic
    return _render_journey(request, journey, "patient/home.html")


@login_required
def journey_detail(request, journey_id):
    journey = get_journey_for_user(request.user, journey_id, queryset=JOURNEY_QS, request=request)
    if request.user.role == Role.CAREGIVER:
        return caregivers.render_followed(request, journey)
    page = load_journey_page(journey, with_history=True)
    audit_journey_view(request, journey, page="timeline")
    return render(
        request, "patient/timeline.html", {"page": page, "journey": journey, "next": page.next}
    )


def _render_journey(request, journey, template):
    page = load_journey_page(journey, next_appointment_only=True)
    audit_journey_view(request, journey)
    context = {
        "page": page,
        "journey": journey,
        "next": page.next,
        **surgery_live_context(journey, page.stages),
    }
    return render(request, template, context)


@login_required
@require_POST
def checklist_toggle(request, journey_id, item_id):
    """Set an item to the state the form asked for (done=1 or 0), never a blind toggle:
    a page left open in another tab cannot undo what this one did."""
    journey = get_journey_for_user(
        request.user, journey_id, write=True, queryset=JOURNEY_QS, request=request
    )
    item = get_tickable_item(request.user, journey, item_id, request=request)
    error = _tick(request, item)
    if request.htmx:
        # Only the item changes: the page keeps its place, focus and anything typed.
        overdue = next_step(journey, stages=[item.stage], items=[item], appointments=[]).overdue
        context = {"item": item, "journey": journey, "next": {"overdue": overdue}}
        context.update(error=error, back=_safe_next(request))
        return render(request, "patient/_checklist_item.html", context)
    if error:
        messages.error(request, error)
    return redirect(_safe_next(request) or "journeys:home")


def _tick(request, item):
    """None, or why nothing changed."""
    wanted = request.POST.get("done")
    if wanted not in ("0", "1"):
        return _("That tick could not be read. Nothing was changed; please try again.")
    try:
        checklist_item_set_done(item=item, done=wanted == "1", by=request.user, request=request)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return None


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
