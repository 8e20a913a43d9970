"""Care-team notes: internal by default, shown to the patient only when marked so."""

import pytest
from django.urls import reverse

from journeys.models import AuditEvent, Note


@pytest.fixture
def nurse_client(client, nurse):
    client.force_login(nurse)
    return client


def add_note(client, journey, text, shared=False):
    data = {"text": text, **({"visible_to_patient": "on"} if shared else {})}
    return client.post(reverse("journeys:note-add", args=[journey.pk]), data, follow=True)


def patient_home(client, journey):
    client.force_login(journey.patient)
    return client.get(reverse("journeys:home")).content.decode()


def test_an_internal_note_shows_to_staff_and_never_to_the_patient(nurse_client, journey, nurse):
    response = add_note(nurse_client, journey, "Anxious about anaesthesia; call the day before.")

    page = response.content.decode()
    assert "Note added." in page
    assert "Anxious about anaesthesia; call the day before." in page
    assert "Care team only" in page
    event = AuditEvent.objects.get(action="note.add")
    assert (event.actor, event.patient) == (nurse, journey.patient)
    assert "Anxious" not in str(event.detail)
    assert "Anxious about anaesthesia" not in patient_home(nurse_client, journey)


def test_a_shared_note_shows_on_the_patients_page(nurse_client, journey):
    add_note(nurse_client, journey, "Bring your walker to the hospital.", shared=True)

    page = patient_home(nurse_client, journey)

    assert "Notes from your care team" in page
    assert "Bring your walker to the hospital." in page
    assert "Nina Nurse" in page


@pytest.mark.parametrize("text", ["", "   \n  "])
def test_a_blank_note_is_refused_and_nothing_saved(nurse_client, journey, text):
    response = add_note(nurse_client, journey, text)

    assert "Note: This field is required." in response.content.decode()
    assert not Note.objects.exists()
    assert not AuditEvent.objects.filter(action="note.add").exists()


def test_another_clinics_nurse_cannot_write_a_note(client, other_clinic_nurse, journey):
    client.force_login(other_clinic_nurse)

    assert add_note(client, journey, "Hello").status_code == 404
    assert not Note.objects.exists()


def test_a_patient_cannot_write_a_note(client, journey):
    client.force_login(journey.patient)

    assert add_note(client, journey, "I am staff now", shared=True).status_code == 403
    assert not Note.objects.exists()


def test_a_closed_journey_takes_no_more_notes(nurse_client, journey):
    journey.status = "cancelled"
    journey.save(update_fields=["status"])

    response = add_note(nurse_client, journey, "Too late")

    assert "This journey is closed" in response.content.decode()
    assert not Note.objects.exists()
