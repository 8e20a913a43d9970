"""The care team's pages: the clinic's patients, stage updates, one journey's checklist."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from journeys import transitions
from journeys.access import get_journey_for_user, is_care_team
from journeys.audit import audit_journey_view
from journeys.caregivers import live_grants
from journeys.dispatch import reminder_resend
from journeys.enrolment import checklist_item_add, checklist_item_remove, journey_set_status
from journeys.forms import (
    ChecklistItemForm,
    JourneyStatusForm,
    MedicationAddForm,
    MedicationClassifyForm,
    MedicationRemoveForm,
    StageActionForm,
    first_error,
)
from journeys.loading import load_journey_page
from journeys.medications import (
    formulary,
    journey_medication_add,
    journey_medication_classify,
    journey_medication_remove,
    journey_medications,
    medication_rows,
)
from journeys.models import ChecklistItem, Journey, JourneyStatus, Reminder, Stage
from journeys.readiness import missing_tests

ACTIONS = {
    "start": transitions.stage_start,
    "complete": transitions.stage_complete,
    "skip": transitions.stage_skip,
    "block": transitions.stage_block,
    "unblock": transitions.stage_unblock,
    "reopen": transitions.stage_reopen,
}
JOURNEY_QS = Journey.objects.select_related("clinic", "patient", "surgeon", "surgery_location")


def care_team_required(view):
    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not is_care_team(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _back_to(journey):
    return redirect("journeys:staff-journey", journey_id=journey.pk)


def _attempt(request, change, success):
    """Run `change`; flash its refusal, or `success` when it went through."""
    try:
        change()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success() if callable(success) else success)


@care_team_required
def worklist(request):
    journeys = (
        Journey.objects.visible_to(request.user)
        .filter(status__in=[JourneyStatus.ACTIVE, JourneyStatus.ON_HOLD])
        .select_related("patient", "surgeon")
        .order_by("surgery_at", "id")
    )
    return render(request, "staff/worklist.html", {"journeys": journeys})


@care_team_required
def journey_detail(request, journey_id):
    journey = get_journey_for_user(request.user, journey_id, queryset=JOURNEY_QS)
    page = load_journey_page(journey, with_history=True)
    audit_journey_view(request, journey)
    context = {
        "page": page,
        "journey": journey,
        "missing_tests": missing_tests(journey, appointments=page.appointments),
        "statuses": JourneyStatus,
        "caregiver_grants": live_grants(journey),
        "medications": medication_rows(journey, journey_medications(journey)),
        "formulary": formulary(journey.clinic),
        "reminders": list(journey.reminders.order_by("due_at", "id")),
    }
    return render(request, "staff/journey.html", context)


@care_team_required
@require_POST
def stage_action(request, journey_id, stage_id):
    journey = get_journey_for_user(request.user, journey_id, write=True, queryset=JOURNEY_QS)
    stage = get_object_or_404(Stage, pk=stage_id, journey=journey)
    form = StageActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back_to(journey)
    action = ACTIONS[form.cleaned_data["action"]]
    kwargs = form.transition_kwargs(journey)
    _attempt(
        request,
        lambda: action(stage=stage, by=request.user, request=request, **kwargs),
        lambda: f"{stage.title}: {Stage.objects.get(pk=stage.pk).get_status_display()}.",
    )
    return _back_to(journey)


@care_team_required
@require_POST
def journey_status(request, journey_id):
    journey = get_journey_for_user(request.user, journey_id, write=True, queryset=JOURNEY_QS)
    form = JourneyStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back_to(journey)
    status = JourneyStatus(form.cleaned_data["status"])
    _attempt(
        request,
        lambda: journey_set_status(
            journey=journey,
            status=status,
            reason=form.cleaned_data["reason"],
            by=request.user,
            request=request,
        ),
        _("Journey: %(status)s.") % {"status": status.label},
    )
    return _back_to(journey)


@care_team_required
@require_POST
def checklist_add(request, journey_id):
    journey = get_journey_for_user(request.user, journey_id, write=True, queryset=JOURNEY_QS)
    form = ChecklistItemForm(request.POST, journey=journey)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back_to(journey)
    _attempt(
        request,
        lambda: checklist_item_add(
            journey=journey, by=request.user, request=request, **form.cleaned_data
        ),
        _("Added to the checklist: %(text)s") % {"text": form.cleaned_data["text"]},
    )
    return _back_to(journey)


@care_team_required
@require_POST
def checklist_remove(request, journey_id, item_id):
    journey = get_journey_for_user(request.user, journey_id, write=True, queryset=JOURNEY_QS)
    item = get_object_or_404(ChecklistItem, pk=item_id, journey=journey)
    item.journey = journey
    _attempt(
        request,
        lambda: checklist_item_remove(item=item, by=request.user, request=request),
        _("Removed from the checklist: %(text)s") % {"text": item.text},
    )
    return _back_to(journey)


@care_team_required
@require_POST
def medication_add(request, journey_id):
    journey = get_journey_for_user(request.user, journey_id, write=True, queryset=JOURNEY_QS)
    form = MedicationAddForm(request.POST, journey=journey)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back_to(journey)
    data = form.cleaned_data
    _attempt(
        request,
        lambda: journey_medication_add(
            journey=journey,
            by=request.user,
            medication=data["medication"],
            free_text=data["free_text"],
            request=request,
        ),
        _("Added to the medicines: %(name)s") % {"name": data["medication"] or data["free_text"]},
    )
    return _back_to(journey)


@care_team_required
@require_POST
def medication_classify(request, journey_id):
    journey = get_journey_for_user(request.user, journey_id, write=True, queryset=JOURNEY_QS)
    form = MedicationClassifyForm(request.POST, journey=journey)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back_to(journey)
    item, medication = form.cleaned_data["item"], form.cleaned_data["medication"]
    item.journey = journey
    _attempt(
        request,
        lambda: journey_medication_classify(
            item=item, medication=medication, by=request.user, request=request
        ),
        _("%(text)s is now classified as %(name)s.") % {"text": item, "name": medication},
    )
    return _back_to(journey)


@care_team_required
@require_POST
def medication_remove(request, journey_id):
    journey = get_journey_for_user(request.user, journey_id, write=True, queryset=JOURNEY_QS)
    form = MedicationRemoveForm(request.POST, journey=journey)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back_to(journey)
    item = form.cleaned_data["item"]
    item.journey = journey
    _attempt(
        request,
        lambda: journey_medication_remove(item=item, by=request.user, request=request),
        _("Removed from the medicines: %(name)s") % {"name": item},
    )
    return _back_to(journey)


@care_team_required
@require_POST
def reminder_resend_view(request, journey_id):
    journey = get_journey_for_user(request.user, journey_id, write=True, queryset=JOURNEY_QS)
    # Which reminder is the POST's `reminder` field, looked up within this journey only.
    reminder = get_object_or_404(
        Reminder, pk=_int_or_404(request.POST.get("reminder")), journey=journey
    )
    reminder.journey = journey
    _attempt(
        request,
        lambda: reminder_resend(reminder=reminder, by=request.user, request=request),
        _("“%(subject)s” will be sent again within a minute.") % {"subject": reminder.subject},
    )
    return _back_to(journey)


def _int_or_404(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("No such reminder.") from None
