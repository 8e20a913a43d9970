"""The patient's preparation sheet: what to do in the days before surgery, printable."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from journeys.access import get_journey_for_user
from journeys.audit import audit_journey_view
from journeys.preparation import preparation_sheet
from journeys.reconcile import journey_facts
from journeys.views.patient import JOURNEY_QS


@login_required
def preparation(request, journey_id):
    journey = get_journey_for_user(request.user, journey_id, queryset=JOURNEY_QS, request=request)
    # The same facts the reminders are planned from, so the sheet and reminders agree.
    sheet = preparation_sheet(journey_facts(journey))
    audit_journey_view(request, journey, page="preparation")
    return render(request, "patient/preparation.html", {"journey": journey, "sheet": sheet})
