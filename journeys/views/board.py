"""The surgery-day board the theatre team updates with one tap per step."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from journeys.access import get_journey_for_user
from journeys.audit import audit_journeys_listed
from journeys.board import surgery_board, surgery_step_advance
from journeys.models import Journey
from journeys.views.agenda import clinic_today, requested_day
from journeys.views.staff import care_team_required


@care_team_required
def board(request):
    day = requested_day(request)
    rows = surgery_board(request.user, day)
    audit_journeys_listed(
        request, [(r.journey.pk, r.journey.patient_id) for r in rows], page="surgery-day"
    )
    context = {"day": day, "rows": rows, "is_today": day == clinic_today(request.user)}
    return render(request, "coordinator/board.html", context)


def _back_to_board(request):
    day = request.POST.get("date", "")
    url = reverse("journeys:surgery-day")
    return redirect(f"{url}?{urlencode({'date': day})}" if day else url)


@care_team_required
@require_POST
def board_advance(request, journey_id):
    journey = get_journey_for_user(
        request.user,
        journey_id,
        write=True,
        queryset=Journey.objects.select_related("clinic", "patient"),
        request=request,
    )
    try:
        started = surgery_step_advance(
            journey=journey,
            expected_step=request.POST.get("step", ""),
            by=request.user,
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(patient)s: %(step)s started.")
            % {"patient": journey.patient.full_name, "step": started.title},
        )
    return _back_to_board(request)
