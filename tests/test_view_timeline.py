"""The journey timeline: every step of the patient's procedure with its explanation,
status, dates in the clinic's zone, who in the care team completed it, and its checklist."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from journeys.enrolment import journey_enroll
from journeys.models import AuditEvent, Owner, Role, Step
from journeys.transitions import stage_complete, stage_reopen
from tests.conftest import make_user, surgery_in


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient)
    return client


def timeline(client, journey):
    response = client.get(reverse("journeys:journey", args=[journey.pk]))
    assert response.status_code == 200
    return response.content.decode()


def step_section(page, stage):
    """The HTML of one step's entry on the page."""
    start = page.index(f'id="step-{stage.pk}"')
    end = page.find('class="timeline-step', start)
    return page[start : end if end != -1 else len(page)]


def test_every_step_shows_its_explanation_status_and_checklist(patient_client, journey):
    page = timeline(patient_client, journey)

    assert "Every step of your journey" in page
    for stage in journey.stages.all():
        section = step_section(page, stage)
        assert escape(stage.title) in section
        assert escape(stage.explanation) in section
        for item in stage.checklist_items.all():
            assert escape(item.text) in section
    assert page.count('aria-current="step"') == 1


def test_only_the_procedures_own_steps_are_listed(client, microdiscectomy, nurse):
    patient = make_user("james@test.example", Role.PATIENT, microdiscectomy.clinic, "James")
    journey = journey_enroll(
        patient=patient,
        procedure=microdiscectomy,
        by=nurse,
        surgery_at=surgery_in(microdiscectomy.clinic, 14),
    )
    client.force_login(patient)

    page = timeline(client, journey)

    assert page.count('class="timeline-step') == journey.stages.count()
    assert not journey.stages.filter(step=Step.FUSION).exists()
    assert "The surgeon joins two or more bones" not in page


def test_a_completed_step_says_when_and_by_whom_in_the_clinics_time_zone(
    patient_client, journey, nurse
):
    journey.clinic.time_zone = "America/New_York"
    journey.clinic.save()
    consultation = journey.stages.get(step=Step.CONSULTATION)
    done_at = timezone.now().replace(microsecond=0) + timedelta(minutes=5)
    with time_machine.travel(done_at, tick=False):
        stage_complete(stage=consultation, by=nurse)

    section = step_section(timeline(patient_client, journey), consultation)

    local = done_at.astimezone(journey.clinic.zone)
    assert "Completed" in section
    assert local.strftime("%H:%M") in section
    assert f'datetime="{local.isoformat()}"' in section
    assert "by Nina Nurse (Clinic staff)" in section


def test_a_step_reopened_and_finished_again_names_who_finished_it_last(
    patient_client, journey, nurse, coordinator
):
    consultation = journey.stages.get(step=Step.CONSULTATION)
    stage_complete(stage=consultation, by=nurse)
    stage_reopen(stage=consultation, by=nurse, reason="Second opinion")
    stage_complete(stage=consultation, by=coordinator)

    section = step_section(timeline(patient_client, journey), consultation)

    assert "by Cora Coordinator (Coordinator)" in section
    assert "Nina Nurse" not in section


def test_a_step_not_yet_done_names_nobody(patient_client, journey):
    preparation = journey.stages.get(step=Step.PREPARATION)

    section = step_section(timeline(patient_client, journey), preparation)

    assert "Completed" not in section
    assert "Started" not in section


def test_the_patient_ticks_items_on_the_timeline_and_comes_back_to_it(patient_client, journey):
    item = journey.checklist_items.filter(owner=Owner.PATIENT, stage__step="preparation").first()
    url = reverse("journeys:journey", args=[journey.pk])
    toggle = reverse("journeys:checklist-toggle", args=[journey.pk, item.pk])
    assert toggle in timeline(patient_client, journey)

    response = patient_client.post(toggle, {"done": "1", "next": url})

    assert response.url == url
    item.refresh_from_db()
    assert item.is_done


def test_opening_the_timeline_is_audited(patient_client, journey, patient):
    timeline(patient_client, journey)

    event = AuditEvent.objects.get(action="journey.view")
    assert (event.actor, event.patient, event.detail) == (patient, patient, {"page": "timeline"})


def test_another_patients_timeline_is_a_404(patient_client, stranger_journey):
    response = patient_client.get(reverse("journeys:journey", args=[stranger_journey.pk]))

    assert response.status_code == 404


def test_home_and_the_header_link_to_the_timeline(patient_client, journey):
    page = patient_client.get(reverse("journeys:home")).content.decode()

    url = reverse("journeys:journey", args=[journey.pk])
    assert page.count(f'href="{url}"') == 2  # in the header, and under the next step


def test_surgery_day_times_show_on_the_timeline_by_the_clock_of_the_clinic(patient_client, journey):
    # A fixed instant in the clinic's zone, so the expected text does not depend on the server.
    at = datetime(2026, 3, 4, 7, 42, tzinfo=journey.clinic.zone)
    consultation = journey.stages.get(step=Step.CONSULTATION)
    consultation.started_at = at
    consultation.save(update_fields=["started_at"])

    section = step_section(timeline(patient_client, journey), consultation)

    assert "Wed 4 Mar 2026, 07:42" in section
