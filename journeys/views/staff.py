"""The care team's pages: the clinic's patients, stage updates, one journey's checklist."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from journeys import transitions
from journeys.access import get_journey_for_user, is_care_team
from journeys.audit import audit_journey_view, audit_journeys_listed
from journeys.care_team_page import load_care_team_page
from journeys.caregivers import live_grants
from journeys.dispatch import reminder_resend
from journeys.enrolment import checklist_item_add, checklist_item_remove, journey_set_status
from journeys.exports import (
    csv_download,
    day_appointments,
    schedule_header,
    schedule_rows,
    worklist_header,
    worklist_rows,
)
from journeys.forms import (
    ChecklistItemForm,
    JourneyStatusForm,
    MedicationAddForm,
    MedicationClassifyForm,
    MedicationRemoveForm,
    NoteForm,
    ScheduleDayForm,
    StageActionForm,
    WorklistFilterForm,
    first_error,
)
from journeys.medications import (
    formulary,
    journey_medication_add,
    journey_medication_classify,
    journey_medication_remove,
    journey_medications,
    medication_rows,
)
from journeys.models import (
    ChecklistItem,
    Journey,
    JourneyStatus,
    Reminder,
    Stage,
)
from journeys.notes import journey_notes, note_add
from journeys.readiness import missing_tests
from journeys.worklist import (
    page_rows,
    page_with_flags,
    with_flags,
    with_row_text,
    worklist_journeys,
)

PER_PAGE = 50
ACTIONS = {
    "start": transitions.stage_start,
    "complete": transitions.stage_complete,
    "skip": transitions.stage_skip,
    "block": transitions.stage_block,
    "unblock": transitions.stage_unblock,
    "reopen": transitions.stage_reopen,
}
JOURNEY_QS = Journey.objects.select_related("clinic", "patient", "surgeon", "surgery_location")


# The journey with how many medicines it has, and how many still need classifying: the
# patient page links to the medicines page instead of loading them. Counted over a join
# in the journey's own query (two subqueries cost more to compile than to run); without
# the surgeon, whom the page does not name. Built once, like JOURNEY_QS: resolving the
# counts anew cost about as much as the query.
DETAIL_QS = Journey.objects.select_related("clinic", "patient", "surgery_location").annotate(
    medicine_count=Count("medications"),
    medicines_to_classify=Count("medications", filter=Q(medications__medication__isnull=True)),
)


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


def _filtered(request):
    """The filter form from the query string, the journeys it selects (None if invalid)
    and the clinic's date."""
    clinic = request.user.clinic
    form = WorklistFilterForm(request.GET, clinic=clinic)
    today = timezone.now().astimezone(clinic.zone).date()
    if not form.is_valid():
        return form, None, today
    return form, worklist_journeys(request.user, today=today, filters=form.cleaned_data), today


@care_team_required
@require_GET
def worklist(request):
    form, journeys, today = _filtered(request)
    page = None
    if journeys is not None:
        # The page's rows first, then their flags: the flags' queries run for these 50
        # rows only, however large the clinic.
        page = Paginator(page_rows(journeys), PER_PAGE).get_page(request.GET.get("page"))
        page.object_list = with_row_text(page_with_flags(list(page.object_list), today=today))
        audit_journeys_listed(
            request, [(j.pk, j.patient_id) for j in page.object_list], page="worklist"
        )
    return render(request, "staff/worklist.html", {"form": form, "page": page})


@care_team_required
@require_GET
def worklist_export(request):
    form, journeys, today = _filtered(request)
    if journeys is None:
        # Back to the list with the same filters, where the form says what is wrong.
        return redirect(f"{reverse('journeys:staff-worklist')}?{request.GET.urlencode()}")
    zone = request.user.clinic.zone
    return csv_download(
        request=request,
        filename=f"patients-{timezone.now().astimezone(zone):%Y-%m-%d}.csv",
        header=worklist_header(),
        rows=worklist_rows(with_flags(journeys, request.user, today=today), zone),
        action="worklist.export",
        filters=form.describe(),
    )


@care_team_required
@require_GET
def schedule_export(request):
    form = ScheduleDayForm(request.GET)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect("journeys:staff-worklist")
    day, zone = form.cleaned_data["date"], request.user.clinic.zone
    return csv_download(
        request=request,
        filename=f"schedule-{day:%Y-%m-%d}.csv",
        header=schedule_header(),
        rows=schedule_rows(day_appointments(request.user, day, zone), zone),
        action="schedule.export",
        day=day.isoformat(),
    )


@care_team_required
def journey_detail(request, journey_id):
    journey = get_journey_for_user(request.user, journey_id, queryset=DETAIL_QS)
    page = load_care_team_page(journey)
    audit_journey_view(request, journey)
    context = {
        "page": page,
        "journey": journey,
        # The token's hidden field, built once for the page's forms, two to a checklist item.
        "csrf_input": csrf_input(request),
        "missing_tests": missing_tests(journey, tests=page.tests, appointments=page.appointments),
        "statuses": JourneyStatus,
        "caregiver_grants": live_grants(journey),
        "notes": journey_notes(journey),
    }
    return render(request, "staff/journey.html", context)


@care_team_required
def medications(request, journey_id):
    """The patient's medicines and their holds, and the forms to add and classify them."""
    journey = get_journey_for_user(request.user, journey_id, queryset=JOURNEY_QS)
    audit_journey_view(request, journey)
    context = {
        "journey": journey,
        "medications": medication_rows(journey, journey_medications(journey)),
        "formulary": formulary(journey.clinic),
    }
    return render(request, "staff/medications.html", context)


def _back_to_medications(journey):
    return redirect("journeys:staff-medications", journey_id=journey.pk)


@care_team_required
@require_POST
def note_add_view(request, journey_id):
    journey = get_journey_for_user(request.user, journey_id, write=True, queryset=JOURNEY_QS)
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back_to(journey)
    _attempt(
        request,
        lambda: note_add(journey=journey, by=request.user, request=request, **form.cleaned_data),
        _("Note added."),
    )
    return _back_to(journey)


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
        return _back_to_medications(journey)
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
    return _back_to_medications(journey)


@care_team_required
@require_POST
def medication_classify(request, journey_id):
    journey = get_journey_for_user(request.user, journey_id, write=True, queryset=JOURNEY_QS)
    form = MedicationClassifyForm(request.POST, journey=journey)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back_to_medications(journey)
    item, medication = form.cleaned_data["item"], form.cleaned_data["medication"]
    item.journey = journey
    _attempt(
        request,
        lambda: journey_medication_classify(
            item=item, medication=medication, by=request.user, request=request
        ),
        _("%(text)s is now classified as %(name)s.") % {"text": item, "name": medication},
    )
    return _back_to_medications(journey)


@care_team_required
@require_POST
def medication_remove(request, journey_id):
    journey = get_journey_for_user(request.user, journey_id, write=True, queryset=JOURNEY_QS)
    form = MedicationRemoveForm(request.POST, journey=journey)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back_to_medications(journey)
    item = form.cleaned_data["item"]
    item.journey = journey
    _attempt(
        request,
        lambda: journey_medication_remove(item=item, by=request.user, request=request),
        _("Removed from the medicines: %(name)s") % {"name": item},
    )
    return _back_to_medications(journey)


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
