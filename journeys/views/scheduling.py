"""One patient's scheduling page: book the surgery, tests, therapy and follow-ups.

Coordinators (and clinic admins) book; the rest of the care team reads the page, and
clinicians record test results (journeys/scheduling.py says who).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from journeys import scheduling
from journeys.access import can_enrol, get_journey_for_user
from journeys.audit import audit_journey_view
from journeys.models import Appointment, Journey
from journeys.readiness import missing_tests
from journeys.scheduling_forms import (
    FollowUpForm,
    PreopTestForm,
    RescheduleForm,
    ResultForm,
    SurgeryForm,
    TherapySeriesForm,
    add_refusal,
)
from journeys.views.staff import care_team_required

JOURNEY_QS = Journey.objects.select_related("clinic", "patient", "surgeon", "surgery_location")
# Context name -> (form, prefix). The page holds them all: prefixes keep field ids apart,
# so each label names its own input.
BOOKING_FORMS = {
    "surgery_form": (SurgeryForm, "surgery"),
    "test_form": (PreopTestForm, "test"),
    "therapy_form": (TherapySeriesForm, "therapy"),
    "follow_up_form": (FollowUpForm, "follow-up"),
}


def _journey(request, journey_id, *, write=False):
    return get_journey_for_user(
        request.user, journey_id, write=write, queryset=JOURNEY_QS, request=request
    )


def _appointments(journey):
    return list(
        Appointment.objects.filter(journey=journey)
        .select_related("location", "test_type")
        .order_by("starts_at", "id")
    )


def _surgery_initial(journey):
    local = journey.surgery_local()
    if local is None:
        return {"location": journey.surgery_location_id}
    return {"day": local.date(), "starts": local.time(), "location": journey.surgery_location_id}


def _render_schedule(request, journey, **bound):
    appointments = _appointments(journey)
    forms = {
        name: bound.get(name)
        or form_class(
            journey=journey,
            prefix=prefix,
            initial=_surgery_initial(journey) if name == "surgery_form" else None,
        )
        for name, (form_class, prefix) in BOOKING_FORMS.items()
    }
    context = {
        "journey": journey,
        "appointments": appointments,
        "missing_tests": missing_tests(journey, appointments=appointments),
        "can_book": can_enrol(request.user) and not journey.is_read_only,
        **forms,
    }
    return render(request, "coordinator/schedule.html", context)


@care_team_required
def schedule(request, journey_id):
    journey = _journey(request, journey_id)
    audit_journey_view(request, journey, page="schedule")
    return _render_schedule(request, journey)


def _book(request, journey_id, form_name, book, success):
    """Validate the posted booking form and run `book`; on a refusal, show the page again."""
    if not can_enrol(request.user):
        raise PermissionDenied
    journey = _journey(request, journey_id, write=True)
    form_class, prefix = BOOKING_FORMS[form_name]
    form = form_class(request.POST, journey=journey, prefix=prefix)
    if form.is_valid():
        try:
            result = book(journey, form)
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, success(result))
            return redirect("journeys:schedule", journey_id=journey.pk)
    return _render_schedule(request, journey, **{form_name: form})


@care_team_required
@require_POST
def surgery_set(request, journey_id):
    return _book(
        request,
        journey_id,
        "surgery_form",
        lambda journey, form: scheduling.surgery_schedule(
            journey=journey, by=request.user, request=request, **form.slot_kwargs()
        ),
        lambda surgery: (
            _("Surgery booked: %(when)s.")
            % {"when": scheduling.describe(surgery, surgery.journey.clinic.zone)}
        ),
    )


@care_team_required
@require_POST
def test_book(request, journey_id):
    return _book(
        request,
        journey_id,
        "test_form",
        lambda journey, form: scheduling.preop_test_schedule(
            journey=journey,
            test_type=form.cleaned_data["test_type"],
            by=request.user,
            request=request,
            **form.slot_kwargs(),
        ),
        lambda test: (
            _("Booked: %(when)s.") % {"when": scheduling.describe(test, test.journey.clinic.zone)}
        ),
    )


@care_team_required
@require_POST
def therapy_book(request, journey_id):
    return _book(
        request,
        journey_id,
        "therapy_form",
        lambda journey, form: scheduling.therapy_series_schedule(
            journey=journey, by=request.user, request=request, **form.series_kwargs()
        ),
        lambda sessions: (
            _("Therapy series booked: %(count)s sessions from %(first)s.")
            % {
                "count": len(sessions),
                "first": scheduling.describe(sessions[0], sessions[0].journey.clinic.zone),
            }
        ),
    )


@care_team_required
@require_POST
def follow_up_book(request, journey_id):
    return _book(
        request,
        journey_id,
        "follow_up_form",
        lambda journey, form: scheduling.follow_up_schedule(
            journey=journey, by=request.user, request=request, **form.slot_kwargs()
        ),
        lambda visit: (
            _("Follow-up booked: %(when)s.")
            % {"when": scheduling.describe(visit, visit.journey.clinic.zone)}
        ),
    )


def _render_appointment(request, journey, appointment, *, reschedule_form=None, result_form=None):
    local = appointment.starts_at.astimezone(journey.clinic.zone)
    initial = {
        "day": local.date(),
        "starts": local.time(),
        "ends": (local + appointment.duration).time(),
        "location": appointment.location_id,
    }
    context = {
        "journey": journey,
        "appointment": appointment,
        "reschedule_form": reschedule_form or RescheduleForm(journey=journey, initial=initial),
        "result_form": result_form or ResultForm(),
        "can_book": can_enrol(request.user) and not journey.is_read_only,
        "can_record": scheduling.may_record_results(request.user) and not journey.is_read_only,
    }
    return render(request, "coordinator/appointment.html", context)


def _appointment(journey, appointment_id):
    return get_object_or_404(
        Appointment.objects.select_related("location", "test_type"),
        pk=appointment_id,
        journey=journey,
    )


@care_team_required
def appointment_detail(request, journey_id, appointment_id):
    journey = _journey(request, journey_id)
    appointment = _appointment(journey, appointment_id)
    audit_journey_view(request, journey, page="appointment", appointment=appointment.pk)
    return _render_appointment(request, journey, appointment)


@care_team_required
@require_POST
def appointment_reschedule(request, journey_id, appointment_id):
    if not can_enrol(request.user):
        raise PermissionDenied
    journey = _journey(request, journey_id, write=True)
    appointment = _appointment(journey, appointment_id)
    form = RescheduleForm(request.POST, journey=journey)
    if form.is_valid():
        try:
            moved = scheduling.appointment_reschedule(
                journey=journey,
                appointment=appointment,
                by=request.user,
                request=request,
                **form.slot_kwargs(),
            )
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(
                request,
                _("Moved: %(when)s.") % {"when": scheduling.describe(moved, journey.clinic.zone)},
            )
            return redirect("journeys:schedule", journey_id=journey.pk)
    return _render_appointment(request, journey, appointment, reschedule_form=form)


@care_team_required
@require_POST
def appointment_cancel(request, journey_id, appointment_id):
    if not can_enrol(request.user):
        raise PermissionDenied
    journey = _journey(request, journey_id, write=True)
    appointment = _appointment(journey, appointment_id)
    try:
        scheduling.appointment_cancel(
            journey=journey, appointment=appointment, by=request.user, request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(
            "journeys:appointment", journey_id=journey.pk, appointment_id=appointment.pk
        )
    messages.success(
        request,
        _("Cancelled: %(when)s.") % {"when": scheduling.describe(appointment, journey.clinic.zone)},
    )
    return redirect("journeys:schedule", journey_id=journey.pk)


@care_team_required
@require_POST
def series_cancel(request, journey_id, appointment_id):
    if not can_enrol(request.user):
        raise PermissionDenied
    journey = _journey(request, journey_id, write=True)
    appointment = _appointment(journey, appointment_id)
    try:
        count = scheduling.therapy_series_cancel(
            journey=journey, appointment=appointment, by=request.user, request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            ngettext(
                "Cancelled %(count)s session still to come.",
                "Cancelled %(count)s sessions still to come.",
                count,
            )
            % {"count": count},
        )
    return redirect("journeys:schedule", journey_id=journey.pk)


@care_team_required
@require_POST
def result_record(request, journey_id, appointment_id):
    journey = _journey(request, journey_id, write=True)
    # Looked up within this journey only; a missing one is refused by the function below.
    appointment = (
        Appointment.objects.select_related("location", "test_type")
        .filter(pk=appointment_id, journey=journey)
        .first()
    )
    form = ResultForm(request.POST)
    if form.is_valid():
        try:
            scheduling.preop_result_record(
                journey=journey,
                appointment=appointment,
                by=request.user,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            if appointment is None:
                messages.error(request, " ".join(exc.messages))
                return redirect("journeys:schedule", journey_id=journey.pk)
            add_refusal(form, exc)
        else:
            messages.success(
                request,
                _("%(test)s: %(result)s.")
                % {"test": appointment.title, "result": appointment.get_result_display()},
            )
            return redirect("journeys:schedule", journey_id=journey.pk)
    if appointment is None:
        raise Http404("No such appointment.")
    return _render_appointment(request, journey, appointment, result_form=form)
