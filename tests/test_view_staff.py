import pytest
from django.urls import reverse

from journeys.models import StageStatus, Step


@pytest.fixture
def nurse_client(client, nurse):
    client.force_login(nurse)
    return client


def stage_url(journey, step):
    stage = journey.stages.get(step=step)
    return stage, reverse("journeys:stage-action", args=[journey.pk, stage.pk])


def test_worklist_lists_the_clinics_patients_only(
    nurse_client, journey, stranger_journey, other_clinic_journey
):
    page = nurse_client.get(reverse("journeys:staff-worklist")).content.decode()

    assert journey.patient.full_name in page
    assert stranger_journey.patient.full_name in page
    assert other_clinic_journey.patient.full_name not in page


def test_nurse_marks_the_current_stage_done(nurse_client, journey):
    stage, url = stage_url(journey, Step.CONSULTATION)

    response = nurse_client.post(url, {"action": "complete", "version": stage.version}, follow=True)

    stage.refresh_from_db()
    assert stage.status == StageStatus.DONE
    assert "Consultation: Done." in response.content.decode()


def test_marking_a_done_stage_done_again_says_so_and_changes_nothing(nurse_client, journey):
    stage, url = stage_url(journey, Step.CONSULTATION)
    nurse_client.post(url, {"action": "complete", "version": stage.version})
    stage.refresh_from_db()

    response = nurse_client.post(url, {"action": "complete", "version": stage.version}, follow=True)

    assert "is already done" in response.content.decode()
    assert stage.events.count() == 1


def test_a_stale_form_is_refused_with_a_clear_message(nurse_client, journey):
    stage, url = stage_url(journey, Step.CONSULTATION)
    loaded = stage.version
    nurse_client.post(url, {"action": "block", "reason": "Waiting", "version": loaded})

    response = nurse_client.post(url, {"action": "complete", "version": loaded}, follow=True)

    assert "Someone else changed" in response.content.decode()
    stage.refresh_from_db()
    assert stage.status == StageStatus.BLOCKED


def test_state_changes_need_post(nurse_client, journey):
    _, url = stage_url(journey, Step.CONSULTATION)

    assert nurse_client.get(url).status_code == 405


def test_staff_of_another_clinic_get_404_and_change_nothing(client, other_clinic_nurse, journey):
    client.force_login(other_clinic_nurse)
    stage, url = stage_url(journey, Step.CONSULTATION)

    assert client.get(reverse("journeys:staff-journey", args=[journey.pk])).status_code == 404
    assert client.post(url, {"action": "complete"}).status_code == 404
    stage.refresh_from_db()
    assert stage.status == StageStatus.ACTIVE


def test_staff_journey_page_runs_a_fixed_number_of_queries(
    nurse_client, journey, django_assert_max_num_queries
):
    # session, user, journey+clinic+patient, stages, stage history, items,
    # appointments, audit insert.
    with django_assert_max_num_queries(12):
        response = nurse_client.get(reverse("journeys:staff-journey", args=[journey.pk]))
    assert response.status_code == 200
