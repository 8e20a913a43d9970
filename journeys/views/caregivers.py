"""Caregivers: the patient shares their journey; the people they chose follow it, read-only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from journeys.access import get_journey_for_user, is_care_team
from journeys.audit import audit_journey_view
from journeys.caregivers import caregiver_invite, caregiver_revoke, live_grants
from journeys.forms import CaregiverInviteForm
from journeys.loading import load_journey_page
from journeys.models import CaregiverGrant, Journey
from journeys.views.surgery_day import surgery_live_context

JOURNEY_QS = Journey.objects.select_related("clinic", "patient", "surgery_location", "surgeon")
# Refusals a person can fix by typing another address.
EMAIL_PROBLEMS = ("email_not_caregiver", "already_granted")


def _back_to(request, journey):
    if is_care_team(request.user):
        return redirect("journeys:staff-journey", journey_id=journey.pk)
    return redirect("journeys:caregivers", journey_id=journey.pk)


@login_required
def manage(request, journey_id):
    """Who can follow the journey, and a form to invite someone new."""
    journey = get_journey_for_user(
        request.user, journey_id, write=True, queryset=JOURNEY_QS, request=request
    )
    form = CaregiverInviteForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            grant = caregiver_invite(
                journey=journey, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error("email" if exc.code in EMAIL_PROBLEMS else None, exc)
        else:
            messages.success(
                request,
                _("%(name)s can now follow your journey. We emailed them at %(email)s.")
                % {"name": grant.caregiver.full_name, "email": grant.caregiver.email},
            )
            return _back_to(request, journey)
    audit_journey_view(request, journey, page="caregivers")
    context = {"journey": journey, "grants": live_grants(journey), "form": form}
    return render(request, "patient/caregivers.html", context)


@login_required
@require_POST
def revoke(request, journey_id, grant_id):
    journey = get_journey_for_user(
        request.user, journey_id, write=True, queryset=JOURNEY_QS, request=request
    )
    grant = get_object_or_404(
        CaregiverGrant.objects.select_related("caregiver"), pk=grant_id, journey=journey
    )
    grant.journey = journey
    try:
        caregiver_revoke(grant=grant, by=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(name)s can no longer follow this journey.") % {"name": grant.caregiver.full_name},
        )
    return _back_to(request, journey)


def follower_home(request):
    """A caregiver's home: the one journey they follow, or a list to choose from."""
    journeys = list(JOURNEY_QS.visible_to(request.user).order_by("surgery_at", "id"))
    if len(journeys) == 1:
        return render_followed(request, journeys[0])
    return render(request, "caregiver/choose.html", {"journeys": journeys})


def render_followed(request, journey):
    """One followed journey, read-only: steps, surgery-day times, what the patient must do."""
    page = load_journey_page(journey, next_appointment_only=True)
    audit_journey_view(request, journey)
    context = {"page": page, "journey": journey, "next": page.next}
    context.update(surgery_live_context(journey, page.stages))
    return render(request, "caregiver/journey.html", context)
