"""A patient's record: who has looked at it, and a copy to take away."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render

from journeys.access import get_journey_for_user, own_record_or_404
from journeys.audit import audit_record
from journeys.records import access_log, record_export
from journeys.views.staff import JOURNEY_QS, care_team_required


@login_required
def my_access_log(request):
    patient = own_record_or_404(request.user)
    audit_record(actor=request.user, action="record.access_log", patient=patient, request=request)
    events = access_log(patient)
    return render(request, "patient/access_log.html", {"events": events, "patient": patient})


@login_required
def my_export(request):
    patient = own_record_or_404(request.user)
    audit_record(actor=request.user, action="record.export", patient=patient, request=request)
    response = JsonResponse(record_export(patient), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = 'attachment; filename="spinecare-record.json"'
    return response


@care_team_required
def patient_access_log(request, journey_id):
    journey = get_journey_for_user(request.user, journey_id, queryset=JOURNEY_QS)
    patient = journey.patient
    audit_record(actor=request.user, action="record.access_log", patient=patient, request=request)
    context = {"events": access_log(patient), "patient": patient, "journey": journey}
    return render(request, "staff/access_log.html", context)
