"""The care team's pages: the clinic's patients and stage updates."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from journeys import transitions
from journeys.access import get_journey_for_user, is_care_team
from journeys.audit import audit_record
from journeys.loading import load_journey_page
from journeys.models import Journey, JourneyStatus, Stage

ACTIONS = {
    "start": transitions.stage_start,
    "complete": transitions.stage_complete,
    "skip": transitions.stage_skip,
    "block": transitions.stage_block,
    "unblock": transitions.stage_unblock,
    "reopen": transitions.stage_reopen,
}


def care_team_required(view):
    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not is_care_team(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@care_team_required
def worklist(request):
    journeys = (
        Journey.objects.visible_to(request.user)
        .filter(status=JourneyStatus.ACTIVE)
        .select_related("patient", "surgeon")
        .order_by("surgery_at", "id")
    )
    return render(request, "staff/worklist.html", {"journeys": journeys})


@care_team_required
def journey_detail(request, journey_id):
    journey = get_journey_for_user(
        request.user, journey_id, queryset=Journey.objects.select_related("clinic", "patient")
    )
    page = load_journey_page(journey, with_history=True)
    audit_record(
        actor=request.user,
        action="journey.view",
        patient=journey.patient,
        obj=journey,
        request=request,
    )
    return render(
        request, "staff/journey.html", {"page": page, "journey": journey, "actions": ACTIONS}
    )


@care_team_required
@require_POST
def stage_action(request, journey_id, stage_id):
    journey = get_journey_for_user(request.user, journey_id, write=True)
    stage = get_object_or_404(Stage, pk=stage_id, journey=journey)
    action = ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        messages.error(request, "Unknown action.")
        return redirect("journeys:staff-journey", journey_id=journey.pk)
    kwargs = {"expected_version": _int_or_none(request.POST.get("version"))}
    if action in (transitions.stage_block, transitions.stage_reopen):
        kwargs["reason"] = request.POST.get("reason", "")
    try:
        action(stage=stage, by=request.user, request=request, **kwargs)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        stage.refresh_from_db()
        messages.success(request, f"{stage.title}: {stage.get_status_display()}.")
    return redirect("journeys:staff-journey", journey_id=journey.pk)


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
