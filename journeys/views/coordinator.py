"""The coordinator's pages: enrolling a patient, sending them a new invitation."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from journeys.access import can_enrol, get_journey_for_user
from journeys.forms import EnrolPatientForm
from journeys.invitations import invitation_send
from journeys.models import Journey
from journeys.onboarding import patient_enrol


def enrolment_required(view):
    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not can_enrol(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@enrolment_required
def enrol(request):
    form = EnrolPatientForm(
        request.POST if request.method == "POST" else None, clinic=request.user.clinic
    )
    if form.is_valid():
        try:
            journey = patient_enrol(by=request.user, request=request, **form.enrol_kwargs())
        except ValidationError as exc:
            form.add_error("email" if exc.code == "email_taken" else None, exc)
        else:
            patient = journey.patient
            messages.success(
                request,
                _("%(name)s is enrolled. Invitation sent to %(email)s.")
                % {"name": patient.full_name, "email": patient.email},
            )
            return redirect("journeys:staff-journey", journey_id=journey.pk)
    return render(request, "coordinator/enrol.html", {"form": form})


@enrolment_required
@require_POST
def invitation_resend(request, journey_id):
    journey = get_journey_for_user(
        request.user,
        journey_id,
        write=True,
        queryset=Journey.objects.select_related("patient"),
        request=request,
    )
    try:
        invitation_send(user=journey.patient, by=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("A new invitation was sent to %(email)s. Earlier links no longer work.")
            % {"email": journey.patient.email},
        )
    return redirect("journeys:staff-journey", journey_id=journey.pk)
