import pytest
from django.urls import reverse

from journeys.enrolment import checklist_item_add
from journeys.models import AuditEvent, Owner, Step
from journeys.transitions import stage_complete


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient)
    return client


def test_home_shows_the_next_step_and_all_ten_steps(patient_client, journey):
    response = patient_client.get(reverse("journeys:home"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Your next step:" in page
    assert "Consultation" in page
    for stage in journey.stages.all():
        assert stage.title in page
    assert page.count('aria-current="step"') == 1
    assert "Follow your care team" in page


def test_home_shows_the_following_step_once_staff_complete_the_current_one(
    patient_client, journey, nurse
):
    stage_complete(stage=journey.stages.get(step=Step.CONSULTATION), by=nurse)

    page = patient_client.get(reverse("journeys:home")).content.decode()

    assert "Tests before surgery" in page.split("Your next step:")[1].split("</h1>")[0]


def test_opening_the_journey_is_audited_with_the_viewer_and_address(patient_client, journey):
    patient_client.get(reverse("journeys:home"), REMOTE_ADDR="203.0.113.9")

    event = AuditEvent.objects.get(action="journey.view")
    assert (event.actor, event.patient, event.ip_address) == (
        journey.patient,
        journey.patient,
        "203.0.113.9",
    )


def test_patient_ticks_and_unticks_their_own_item(patient_client, journey):
    item = journey.checklist_items.filter(owner=Owner.PATIENT).first()
    url = reverse("journeys:checklist-toggle", args=[journey.pk, item.pk])

    patient_client.post(url, {"done": "1"})
    item.refresh_from_db()
    assert item.is_done
    patient_client.post(url, {"done": "0"})
    item.refresh_from_db()
    assert not item.is_done


def test_patient_cannot_tick_a_care_team_item(patient_client, journey):
    item = journey.checklist_items.filter(owner=Owner.STAFF).first()

    response = patient_client.post(
        reverse("journeys:checklist-toggle", args=[journey.pk, item.pk]), {"done": "1"}
    )

    assert response.status_code == 404
    item.refresh_from_db()
    assert not item.is_done


def test_patient_cannot_tick_another_patients_item(patient_client, stranger_journey):
    item = stranger_journey.checklist_items.filter(owner=Owner.PATIENT).first()

    response = patient_client.post(
        reverse("journeys:checklist-toggle", args=[stranger_journey.pk, item.pk]), {"done": "1"}
    )

    assert response.status_code == 404
    item.refresh_from_db()
    assert not item.is_done


def test_patient_cannot_open_another_patients_journey(patient_client, stranger_journey):
    response = patient_client.get(reverse("journeys:journey", args=[stranger_journey.pk]))

    assert response.status_code == 404
    assert stranger_journey.patient.full_name not in response.content.decode()


def test_patient_cannot_open_staff_pages(patient_client, journey):
    assert patient_client.get(reverse("journeys:staff-worklist")).status_code == 403
    assert (
        patient_client.get(reverse("journeys:staff-journey", args=[journey.pk])).status_code == 403
    )


def test_signed_out_visitor_is_sent_to_sign_in(client, journey):
    response = client.get(reverse("journeys:home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_home_runs_the_same_number_of_queries_however_big_the_journey(
    patient_client, journey, nurse, django_assert_max_num_queries
):
    # session, user, journey (+clinic, locations), stages, items, appointments,
    # audit insert, transaction savepoints: a fixed set whatever the row counts.
    with django_assert_max_num_queries(12):
        patient_client.get(reverse("journeys:home"))
    preparation = journey.stages.get(step=Step.PREPARATION)
    for n in range(30):
        checklist_item_add(journey=journey, stage=preparation, text=f"Extra {n}", by=nurse)

    with django_assert_max_num_queries(12):
        response = patient_client.get(reverse("journeys:home"))
    assert response.status_code == 200
