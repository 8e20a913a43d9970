import logging

import pytest
from django.test import Client
from django.urls import reverse
from django.views.defaults import page_not_found, server_error

from journeys.dispatch import reminders_send, reminders_sweep
from journeys.transitions import stage_complete


def test_a_working_day_writes_no_patient_data_to_the_logs(
    caplog, client, patient, journey, nurse, stranger_journey, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    Client().post(reverse("account_login"), {"login": patient.email, "password": "wrong"})
    patient.email = ""  # so the welcome reminder fails and logs its failure
    patient.save()
    client.force_login(nurse)
    client.get(reverse("journeys:staff-journey", args=[journey.pk]))
    client.get(reverse("journeys:staff-journey", args=[999999]))
    stage_complete(stage=journey.stages.first(), by=nurse)
    claimed = []
    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep(enqueue=lambda ids, token: claimed.append((ids, token)))
    for reminder_ids, token in claimed:
        reminders_send(reminder_ids=reminder_ids, token=token)

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert claimed and "failed" in logged, logged
    for secret in (
        journey.patient.full_name,
        stranger_journey.patient.full_name,
        stranger_journey.patient.email,
        *journey.checklist_items.values_list("text", flat=True),
    ):
        assert secret not in logged


@pytest.mark.parametrize("view", [page_not_found, server_error])
def test_error_pages_show_no_trace_and_point_to_the_care_team(rf, view, patient):
    request = rf.get("/journeys/1/")
    request.user = patient
    response = (
        view(request, exception=Exception(patient.email))
        if view is page_not_found
        else view(request)
    )

    page = response.content.decode()
    assert "Traceback" not in page
    assert patient.email not in page
    assert "journey" in page
